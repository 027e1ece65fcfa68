//! The terminal table.

use super::Report;
use tabled::settings::{location::ByColumnName, object::Columns, Alignment, Remove, Style};
use tabled::{Table, Tabled};
use tinybench_results::compare::{Comparison, Verdict};
use tinybench_results::{CaseStatus, RunResult};

#[derive(Tabled)]
struct Row {
    case: String,
    kernel: String,
    shape: String,
    #[tabled(rename = "MACs")]
    macs: u64,
    min: String,
    median: String,
    max: String,
    #[tabled(rename = "per MAC")]
    per_mac: String,
    #[tabled(rename = "cycles, modeled")]
    modeled: String,
    #[tabled(rename = "cyc/MAC")]
    modeled_per_mac: String,
    #[tabled(rename = "µJ/inference")]
    energy: String,
    #[tabled(rename = "overhead −")]
    overhead: u64,
    kind: String,
    checksum: String,
}

fn status_mark(s: &CaseStatus) -> String {
    match s {
        CaseStatus::Ok => "✔".into(),
        CaseStatus::ChecksumMismatch => "✘ mismatch".into(),
        CaseStatus::KernelError(e) => format!("✘ {e}"),
        CaseStatus::Incomplete(_) => "✘ incomplete".into(),
    }
}

/// Render a run as a table, with a title line saying what the numbers are.
pub fn render(run: &RunResult) -> String {
    let rows: Vec<Row> = run
        .cases
        .iter()
        .map(|c| {
            let (min, median, max, per_mac) = match c.summary {
                Some(s) => (
                    s.min.to_string(),
                    s.median.to_string(),
                    s.max.to_string(),
                    format!("{:.2}", s.median as f64 / c.macs.max(1) as f64),
                ),
                None => ("—".into(), "—".into(), "—".into(), "—".into()),
            };
            let (modeled, modeled_per_mac) = match c.modeled_summary {
                Some(s) => (
                    s.median.to_string(),
                    format!("{:.2}", s.median as f64 / c.macs.max(1) as f64),
                ),
                None => ("—".into(), "—".into()),
            };
            let energy = match &c.energy {
                Some(e) => format!("{:.3} ±{:.3}", e.median_uj, e.bound_uj),
                None => "—".into(),
            };
            Row {
                energy,
                modeled,
                modeled_per_mac,
                case: c.name.clone(),
                kernel: c.kernel.clone(),
                shape: c.shape.clone(),
                macs: c.macs,
                min,
                median,
                max,
                per_mac,
                overhead: run.overhead,
                kind: run.count_kind.label().to_string(),
                checksum: status_mark(&c.status),
            }
        })
        .collect();
    let mut table = Table::new(rows);
    table
        .with(Style::rounded())
        .modify(Columns::new(3..12), Alignment::right());
    // Columns a run has no numbers for are left out rather than shown empty.
    if run.cycle_model.is_none() {
        table.with(Remove::column(ByColumnName::new("cycles, modeled")));
        table.with(Remove::column(ByColumnName::new("cyc/MAC")));
    }
    let energy = match &run.energy_source {
        Some(src) => format!("\nµJ/inference: {src}, median ± sampling bound"),
        None => {
            table.with(Remove::column(ByColumnName::new("µJ/inference")));
            String::new()
        }
    };
    let model = match &run.cycle_model {
        Some(m) => format!(
            "\ncycles, modeled: {m}, overhead {} subtracted (an estimate; see docs/cycle-model.md for its limits)",
            run.modeled_overhead.unwrap_or(0)
        ),
        None => String::new(),
    };
    format!(
        "{} · suite {} · {} · counts are {} (timer overhead of {} subtracted){model}{energy}\n{table}",
        run.target,
        run.suite,
        run.backend,
        run.count_kind.label(),
        run.overhead
    )
}

#[derive(Tabled)]
struct ChangeRow {
    case: String,
    #[tabled(rename = "BASE median")]
    base: String,
    #[tabled(rename = "HEAD median")]
    head: String,
    change: String,
    verdict: String,
}

/// Render a comparison as a table, with its title and the gate's verdict.
pub fn render_comparison(cmp: &Comparison, gate: Option<f64>) -> String {
    let opt = |v: Option<u64>| v.map_or("—".to_string(), |v| v.to_string());
    let rows: Vec<ChangeRow> = cmp
        .cases
        .iter()
        .map(|c| {
            let flagged = gate.is_some_and(|g| c.regressed_above(g))
                || matches!(c.verdict, Verdict::Failed(_));
            ChangeRow {
                case: c.name.clone(),
                base: opt(c.base_median),
                head: opt(c.head_median),
                change: super::change_text(c),
                verdict: if flagged {
                    format!("✘ {}", c.verdict.label())
                } else {
                    c.verdict.label()
                },
            }
        })
        .collect();
    let mut table = Table::new(rows);
    table
        .with(Style::rounded())
        .modify(Columns::new(1..4), Alignment::right());
    let mut out = format!("{}\n{table}", super::comparison_title(cmp));
    if let Some(g) = super::gate_text(cmp, gate) {
        out.push('\n');
        out.push_str(&g);
    }
    out
}

/// Terminal table reporter.
#[derive(Default)]
pub struct TableReport {
    out: Vec<String>,
}

impl Report for TableReport {
    fn run(&mut self, run: &RunResult) {
        self.out.push(render(run));
    }

    fn comparison(&mut self, cmp: &Comparison, gate: Option<f64>) {
        self.out.push(render_comparison(cmp, gate));
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out).join("\n\n")
    }
}
