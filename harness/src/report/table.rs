//! The terminal table.

use super::Report;
use tabled::settings::{location::ByColumnName, object::Columns, Alignment, Remove, Style};
use tabled::{Table, Tabled};
use tinybench_results::compare::{Comparison, Verdict};
use tinybench_results::{CaseResult, CaseStatus, RunResult};

/// Every column a run can have; those a run has no numbers for are removed.
#[derive(Tabled)]
struct Row {
    case: String,
    kernel: String,
    variant: String,
    shape: String,
    #[tabled(rename = "MACs")]
    macs: u64,
    min: String,
    median: String,
    max: String,
    #[tabled(rename = "per MAC")]
    per_mac: String,
    /// Reference median ÷ this median, same count kind (suites with variants).
    #[tabled(rename = "vs reference")]
    ratio: String,
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

/// The case name without its `/<variant>` suffix.
fn base_name<'a>(name: &'a str, variant: &str) -> &'a str {
    name.strip_suffix(variant)
        .and_then(|n| n.strip_suffix('/'))
        .unwrap_or(name)
}

/// `reference median ÷ this median` for a case with a variant, when both exist.
fn ratio(run: &RunResult, c: &CaseResult) -> String {
    let Some(v) = c.variant.as_deref() else {
        return "—".into();
    };
    if v == "reference" {
        return "1.00×".into();
    }
    let base = base_name(&c.name, v);
    let reference = run.cases.iter().find(|r| {
        r.variant.as_deref() == Some("reference") && base_name(&r.name, "reference") == base
    });
    match (reference.and_then(|r| r.summary), c.summary) {
        (Some(r), Some(o)) if o.median > 0 => format!("{:.2}×", r.median as f64 / o.median as f64),
        _ => "—".into(),
    }
}

/// ✔ or ✘ with the reason, as the tables show a case's status.
pub fn status_mark(s: &CaseStatus) -> String {
    match s {
        CaseStatus::Ok => "✔".into(),
        CaseStatus::ChecksumMismatch => "✘ mismatch".into(),
        CaseStatus::KernelError(e) => format!("✘ {e}"),
        CaseStatus::Incomplete(_) => "✘ incomplete".into(),
    }
}

/// min/median/max/per-MAC cells of a case.
fn cells(c: &CaseResult) -> (String, String, String, String) {
    match c.summary {
        Some(s) => (
            s.min.to_string(),
            s.median.to_string(),
            s.max.to_string(),
            super::per_mac(s.median, c.macs),
        ),
        None => ("—".into(), "—".into(), "—".into(), "—".into()),
    }
}

fn row(run: &RunResult, c: &CaseResult) -> Row {
    let (min, median, max, per_mac) = cells(c);
    let (modeled, modeled_per_mac) = match c.modeled_summary {
        Some(s) => (s.median.to_string(), super::per_mac(s.median, c.macs)),
        None => ("—".into(), "—".into()),
    };
    let energy = match &c.energy {
        Some(e) => format!("{:.3} ±{:.3}", e.median_uj, e.bound_uj),
        None => "—".into(),
    };
    let variant = c.variant.clone().unwrap_or_default();
    Row {
        case: if variant.is_empty() {
            c.name.clone()
        } else {
            base_name(&c.name, &variant).to_string()
        },
        kernel: c.kernel.clone(),
        ratio: ratio(run, c),
        variant,
        shape: c.shape.clone(),
        macs: c.macs,
        min,
        median,
        max,
        per_mac,
        modeled,
        modeled_per_mac,
        energy,
        overhead: run.overhead,
        kind: run.count_kind.label().to_string(),
        checksum: status_mark(&c.status),
    }
}

/// Columns holding numbers.
const NUMERIC: &[&str] = &[
    "MACs",
    "min",
    "median",
    "max",
    "per MAC",
    "vs reference",
    "cycles, modeled",
    "cyc/MAC",
    "µJ/inference",
    "overhead −",
];

/// Render a run as a table, with title lines saying what the numbers are.
pub fn render(run: &RunResult) -> String {
    let rows: Vec<Row> = run.cases.iter().map(|c| row(run, c)).collect();
    let mut table = Table::new(rows);
    table.with(Style::rounded());
    // Columns a run has no numbers for are left out rather than shown empty.
    if !run.cases.iter().any(|c| c.variant.is_some()) {
        table.with(Remove::column(ByColumnName::new("variant")));
        table.with(Remove::column(ByColumnName::new("vs reference")));
    }
    if run.cycle_model.is_none() {
        table.with(Remove::column(ByColumnName::new("cycles, modeled")));
        table.with(Remove::column(ByColumnName::new("cyc/MAC")));
    }
    let mut title = format!(
        "{} · suite {} · {} · counts are {} (timer overhead of {} subtracted)",
        run.target,
        run.suite,
        run.backend,
        run.count_kind.label(),
        run.overhead
    );
    if let Some(m) = &run.cycle_model {
        title.push_str(&format!(
            "\ncycles, modeled: {m}, overhead {} subtracted (an estimate; see docs/cycle-model.md for its limits)",
            run.modeled_overhead.unwrap_or(0)
        ));
    }
    match &run.energy_source {
        Some(src) => title.push_str(&format!("\nµJ/inference: {src}, median ± sampling bound")),
        None => {
            table.with(Remove::column(ByColumnName::new("µJ/inference")));
        }
    }
    // Numbers right-aligned, by name and after the removals (alignment is positional).
    for name in NUMERIC {
        table.modify(ByColumnName::new(*name), Alignment::right());
    }
    format!("{title}\n{table}")
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
    for line in super::run_metric_lines(cmp) {
        out.push('\n');
        out.push_str(&line);
    }
    if let Some(g) = super::gate_text(cmp) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use tinybench_results::{stats, CaseResult, CountKind, SCHEMA_VERSION};

    fn case(name: &str, variant: Option<&str>, samples: &[u64]) -> CaseResult {
        CaseResult {
            name: name.into(),
            kernel: "conv2d".into(),
            shape: "4x4x8 k3x3 →4x4x8".into(),
            variant: variant.map(str::to_string),
            macs: 100,
            raw_samples: samples.to_vec(),
            samples: samples.to_vec(),
            summary: stats::summarize(samples),
            modeled_samples: vec![],
            modeled_summary: None,
            energy: None,
            device_checksum: Some(7),
            host_checksum: 7,
            status: CaseStatus::Ok,
        }
    }

    fn run(cases: Vec<CaseResult>) -> RunResult {
        RunResult {
            schema_version: SCHEMA_VERSION,
            tinybench_version: "0".into(),
            target: "t".into(),
            core: "cortex-m4".into(),
            backend: "emulator".into(),
            suite: "s".into(),
            suite_hash: "0".into(),
            firmware_sha256: String::new(),
            unix_time: 0,
            count_kind: CountKind::InstructionsEmulated,
            overhead_samples: vec![1],
            overhead: 1,
            cases,
            meta: Default::default(),
            cycle_model: None,
            energy_source: None,
            modeled_overhead: None,
            model: None,
        }
    }

    #[test]
    fn variants_get_their_column_and_the_ratio_to_the_reference() {
        let t = render(&run(vec![
            case("c/reference", Some("reference"), &[1000, 1000]),
            case("c/optimized", Some("optimized"), &[250, 250]),
        ]));
        assert!(t.contains("vs reference"), "{t}");
        assert!(t.contains("4.00×"), "{t}");
        assert!(t.contains("optimized"), "{t}");
        // The case column shows the case without its variant suffix.
        assert!(!t.contains("c/optimized"), "{t}");
    }

    #[test]
    fn single_variant_suites_keep_the_plain_table() {
        let t = render(&run(vec![case("fc", None, &[10])]));
        assert!(!t.contains("vs reference") && !t.contains("variant"), "{t}");
        assert!(t.contains("instructions, emulated"), "{t}");
    }
}
