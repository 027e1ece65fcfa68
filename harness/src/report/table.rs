//! The terminal table.

use super::layout::{Column, Layout};
use super::{timing, Report};
use tabled::settings::{object::Columns, Alignment, Style};
use tabled::{Table, Tabled};
use tinybench_results::compare::{Comparison, Verdict};
use tinybench_results::{CaseResult, CaseStatus, RunResult};

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

/// `median ÷ MACs`, or `—` (no count, or a 0-MAC op such as RESHAPE).
fn per_mac(v: Option<u64>, macs: u64) -> String {
    v.map_or("—".into(), |v| super::per_mac(v, macs))
}

/// Whether every case's repetitions counted the same (emulated counts): one column then.
fn one_count(run: &RunResult) -> bool {
    run.cases
        .iter()
        .all(|c| c.summary.is_none_or(|s| s.min == s.max))
}

type Col<'a> = Column<'a, &'a CaseResult>;

/// The columns of a run's table, those it has numbers for.
fn columns<'a>(run: &'a RunResult, layout: &Layout) -> Vec<Col<'a>> {
    let opt = |v: Option<u64>| v.map_or("—".to_string(), |v| v.to_string());
    let variants = run.cases.iter().any(|c| c.variant.is_some());
    let mut cols: Vec<Col<'a>> = vec![
        Column::text("case", |c: &&CaseResult| match c.variant.as_deref() {
            Some(v) => base_name(&c.name, v).to_string(),
            None => c.name.clone(),
        }),
        Column::text("kernel", |c: &&CaseResult| c.kernel.clone())
            .foldable()
            .droppable(3),
    ];
    if variants {
        cols.push(Column::text("variant", |c: &&CaseResult| {
            c.variant.clone().unwrap_or_default()
        }));
    }
    cols.push(Column::text("shape", |c: &&CaseResult| c.shape.clone()).droppable(2));
    cols.push(Column::num("MACs", |c: &&CaseResult| c.macs.to_string()).droppable(4));
    if layout.collapse() && one_count(run) {
        cols.push(Column::num("count", move |c: &&CaseResult| {
            opt(c.summary.map(|s| s.median))
        }));
    } else {
        cols.push(Column::num("min", move |c: &&CaseResult| {
            opt(c.summary.map(|s| s.min))
        }));
        cols.push(Column::num("median", move |c: &&CaseResult| {
            opt(c.summary.map(|s| s.median))
        }));
        cols.push(Column::num("max", move |c: &&CaseResult| {
            opt(c.summary.map(|s| s.max))
        }));
    }
    cols.push(
        Column::num("per MAC", |c: &&CaseResult| {
            per_mac(c.summary.map(|s| s.median), c.macs)
        })
        .droppable(1),
    );
    if let Some(hz) = timing::clock(run) {
        cols.push(Column::num(timing::header(hz), move |c: &&CaseResult| {
            c.summary
                .map_or("—".into(), |s| timing::sig3(timing::ms(s.median, hz)))
        }));
    }
    if variants {
        // Reference median ÷ this median, same count kind.
        cols.push(Column::num("vs reference", move |c: &&CaseResult| {
            ratio(run, c)
        }));
    }
    if run.cycle_model.is_some() {
        cols.push(Column::num("cycles, modeled", move |c: &&CaseResult| {
            opt(c.modeled_summary.map(|s| s.median))
        }));
        cols.push(
            Column::num("cyc/MAC", |c: &&CaseResult| {
                per_mac(c.modeled_summary.map(|s| s.median), c.macs)
            })
            .droppable(0),
        );
    }
    if run.energy_source.is_some() {
        cols.push(Column::num("µJ/inference", |c: &&CaseResult| {
            match &c.energy {
                Some(e) => format!("{:.3} ±{:.3}", e.median_uj, e.bound_uj),
                None => "—".into(),
            }
        }));
    }
    // Run-wide: said in the title, shown as columns only with --wide.
    if layout.wide {
        cols.push(Column::num("overhead −", move |_: &&CaseResult| {
            run.overhead.to_string()
        }));
        cols.push(Column::text("kind", move |_: &&CaseResult| {
            run.count_kind.label().to_string()
        }));
    }
    cols.push(Column::text("checksum", |c: &&CaseResult| {
        status_mark(&c.status)
    }));
    cols
}

/// Render a run as a table, with title lines saying what the numbers are, fitted to the
/// terminal ([`Layout::current`]).
pub fn render(run: &RunResult) -> String {
    render_with(run, &Layout::current())
}

/// Render a run as a table for `layout`.
pub fn render_with(run: &RunResult, layout: &Layout) -> String {
    let rows: Vec<&CaseResult> = run.cases.iter().collect();
    let (table, notes) = super::layout::render(layout, columns(run, layout), &rows);
    let same = if layout.collapse() && one_count(run) {
        ", the same on every repetition"
    } else {
        ""
    };
    let mut title = format!(
        "{} · suite {} · {} · counts are {}{same} (timer overhead of {} subtracted)",
        run.target,
        run.suite,
        run.backend,
        run.count_kind.label(),
        run.overhead
    );
    for n in notes {
        title.push_str(&format!(" · {n}"));
    }
    if let Some(hz) = timing::clock(run) {
        title.push_str(&format!(
            "\n{}: the median count at the target's clock",
            timing::label(run.count_kind, hz)
        ));
    }
    if let Some(m) = &run.cycle_model {
        title.push_str(&format!(
            "\ncycles, modeled: {m}, overhead {} subtracted (an estimate; see docs/cycle-model.md for its limits)",
            run.modeled_overhead.unwrap_or(0)
        ));
    }
    if let Some(src) = &run.energy_source {
        title.push_str(&format!("\nµJ/inference: {src}, median ± sampling bound"));
    }
    format!("{}\n{table}", layout.wrap(&title))
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
    let layout = Layout::current();
    layout.fit(&mut table);
    let mut out = format!("{}\n{table}", layout.wrap(&super::comparison_title(cmp)));
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
    use tinybench_results::{stats, CaseResult};

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
        crate::report::test_run(cases)
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
