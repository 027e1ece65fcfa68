//! Markdown (GitHub-flavoured): for a CI step summary (`>> $GITHUB_STEP_SUMMARY`) or a pull
//! request comment. Every column the run has (counts, modeled cycles, energy), then its
//! memory and quality; regressions and failures are marked ❌ and bold, and the gate says
//! which metric tripped.

use super::{change_text, comparison_heading, gate_text, per_mac, run_metric_lines, Report};
use tinybench_results::compare::{CaseChange, Comparison, Direction, Verdict};
use tinybench_results::gate::Metric;
use tinybench_results::RunResult;

/// Markdown reporter.
#[derive(Default)]
pub struct MarkdownReport {
    out: String,
}

/// A table cell: no line breaks, `|` escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Memory and quality of a run, as bullet lines (empty when it has neither).
pub fn run_extras(run: &RunResult) -> String {
    let mut o = String::new();
    if let Some(m) = run.memory() {
        o.push_str(&format!(
            "- memory: flash **{} B** of {} (text {}, rodata {}, data {}), RAM **{} B** of {} (data {}, bss {}, stack {})\n",
            m.flash(),
            m.flash_size,
            m.text,
            m.rodata,
            m.data,
            m.ram(),
            m.ram_size,
            m.data,
            m.bss,
            m.stack_used.map_or("not reported".to_string(), |s| s.to_string())
        ));
    }
    if let Some(q) = run.quality() {
        let f = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.2} %", v * 100.0));
        o.push_str(&format!(
            "- quality ({}, {} labelled): accuracy {}, precision {}, recall {}, F1 {}, ROC-AUC {}\n",
            cell(&q.task),
            q.labelled,
            f(q.accuracy),
            f(q.precision),
            f(q.recall),
            f(q.f1),
            f(q.roc_auc)
        ));
    }
    o
}

impl Report for MarkdownReport {
    fn run(&mut self, run: &RunResult) {
        let o = &mut self.out;
        o.push_str(&format!(
            "### tinybench · {} · suite {}\n\n{} · commit {} · counts are **{}** (timer overhead of {} subtracted)\n\n",
            cell(&run.target),
            cell(&run.suite),
            cell(&run.backend),
            run.meta.commit_label(),
            run.count_kind.label(),
            run.overhead
        ));
        let modeled = run.cases.iter().any(|c| c.modeled_summary.is_some());
        let energy = run.energy_source.as_deref();
        if let Some(m) = &run.cycle_model {
            o.push_str(&format!("cycles, modeled: {} (an estimate)\n\n", cell(m)));
        }
        if let Some(e) = energy {
            o.push_str(&format!(
                "µJ/inference: **{}**, median ± sampling bound\n\n",
                cell(e)
            ));
        }
        o.push_str("| case | kernel | shape | MACs | min | median | max | per MAC |");
        let mut rule = String::from("|---|---|---|--:|--:|--:|--:|--:|");
        if modeled {
            o.push_str(" cycles, modeled | cyc/MAC |");
            rule.push_str("--:|--:|");
        }
        if energy.is_some() {
            o.push_str(" µJ/inference |");
            rule.push_str("--:|");
        }
        o.push_str(" checksum |\n");
        o.push_str(&rule);
        o.push_str("---|\n");
        for c in &run.cases {
            let (min, med, max, per) = match c.summary {
                Some(s) => (
                    s.min.to_string(),
                    s.median.to_string(),
                    s.max.to_string(),
                    per_mac(s.median, c.macs),
                ),
                None => ("—".into(), "—".into(), "—".into(), "—".into()),
            };
            let mut extra = String::new();
            if modeled {
                match c.modeled_summary {
                    Some(s) => {
                        extra.push_str(&format!(" {} | {} |", s.median, per_mac(s.median, c.macs)))
                    }
                    None => extra.push_str(" — | — |"),
                }
            }
            if energy.is_some() {
                match &c.energy {
                    Some(e) => extra.push_str(&format!(" {:.3} ±{:.3} |", e.median_uj, e.bound_uj)),
                    None => extra.push_str(" — |"),
                }
            }
            let status = if c.status.is_ok() {
                "✅ ok".to_string()
            } else {
                format!("❌ **{}**", cell(&c.status.describe()))
            };
            o.push_str(&format!(
                "| {} | {} | {} | {} | {min} | {med} | {max} | {per} |{extra} {status} |\n",
                cell(&c.name),
                cell(&c.kernel),
                cell(&c.shape),
                c.macs
            ));
        }
        o.push('\n');
        let extras = run_extras(run);
        if !extras.is_empty() {
            o.push_str(&extras);
            o.push('\n');
        }
    }

    fn comparison(&mut self, cmp: &Comparison, gate: Option<f64>) {
        let o = &mut self.out;
        o.push_str("### tinybench compare\n\n");
        o.push_str(&cell(&comparison_heading(cmp)));
        o.push_str("\n\n");
        if let Some(g) = gate_text(cmp) {
            let mark = if cmp.gate_failed() { "❌" } else { "✅" };
            o.push_str(&format!("{mark} **{}**\n\n", cell(&g)));
        }
        for n in &cmp.notes {
            o.push_str(&format!("> ℹ️ {}\n", cell(n)));
        }
        if !cmp.notes.is_empty() {
            o.push('\n');
        }
        let modeled = has(cmp, Metric::ModeledCycles);
        let energy = has(cmp, Metric::Energy);
        o.push_str("| case | BASE median | HEAD median | change |");
        let mut rule = String::from("|---|--:|--:|--:|");
        if modeled {
            o.push_str(" cycles, modeled |");
            rule.push_str("--:|");
        }
        if energy {
            o.push_str(" energy |");
            rule.push_str("--:|");
        }
        o.push_str(" verdict |\n");
        o.push_str(&rule);
        o.push_str("---|\n");
        let opt = |v: Option<u64>| v.map_or("—".to_string(), |v| v.to_string());
        for c in &cmp.cases {
            let tripped = cmp.gate.as_ref().is_some_and(|g| g.case_tripped(&c.name));
            let flagged = tripped
                || gate.is_some_and(|g| c.regressed_above(g))
                || matches!(c.verdict, Verdict::Failed(_));
            let verdict = if flagged {
                format!("❌ **{}**", cell(&verdict_words(c)))
            } else {
                cell(&verdict_words(c))
            };
            let mut extra = String::new();
            if modeled {
                extra.push_str(&format!(" {} |", metric_cell(c, Metric::ModeledCycles)));
            }
            if energy {
                extra.push_str(&format!(" {} |", metric_cell(c, Metric::Energy)));
            }
            o.push_str(&format!(
                "| {} | {} | {} | {} |{extra} {verdict} |\n",
                cell(&c.name),
                opt(c.base_median),
                opt(c.head_median),
                change_text(c)
            ));
        }
        o.push('\n');
        for line in run_metric_lines(cmp) {
            o.push_str(&format!("- {}\n", cell(&line)));
        }
        if !cmp.run_metrics.is_empty() {
            o.push('\n');
        }
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

fn has(cmp: &Comparison, m: Metric) -> bool {
    cmp.cases
        .iter()
        .any(|c| c.metrics.iter().any(|x| x.metric == m))
}

/// `13466 → 23970 (+78.00 %)` for a case's other metric.
fn metric_cell(c: &CaseChange, m: Metric) -> String {
    let Some(x) = c.metrics.iter().find(|x| x.metric == m) else {
        return "—".into();
    };
    let v = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v}"));
    let change = x.change.map_or("—".into(), |e| super::percent(e.point));
    format!("{} → {} ({change})", v(x.base), v(x.head))
}

/// The case's verdict, plus the other metrics that got worse (`same; cycles, modeled
/// slower`).
fn verdict_words(c: &CaseChange) -> String {
    let mut w = c.verdict.label();
    for m in &c.metrics {
        if m.direction == Direction::Worse {
            w.push_str(&format!("; {} {}", m.label, m.verdict_label()));
        }
    }
    w
}
