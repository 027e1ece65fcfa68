//! Markdown (GitHub-flavoured): for a CI step summary (`>> $GITHUB_STEP_SUMMARY`) or a pull
//! request comment. Regressions and failures are marked ❌ and bold.

use super::{change_text, comparison_title, gate_text, Report};
use tinybench_results::compare::{Comparison, Verdict};
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
        o.push_str("| case | kernel | shape | MACs | min | median | max | per MAC | checksum |\n");
        o.push_str("|---|---|---|--:|--:|--:|--:|--:|---|\n");
        for c in &run.cases {
            let (min, med, max, per) = match c.summary {
                Some(s) => (
                    s.min.to_string(),
                    s.median.to_string(),
                    s.max.to_string(),
                    format!("{:.2}", s.median as f64 / c.macs.max(1) as f64),
                ),
                None => ("—".into(), "—".into(), "—".into(), "—".into()),
            };
            let status = if c.status.is_ok() {
                "✅ ok".to_string()
            } else {
                format!("❌ **{}**", cell(&c.status.describe()))
            };
            o.push_str(&format!(
                "| {} | {} | {} | {} | {min} | {med} | {max} | {per} | {status} |\n",
                cell(&c.name),
                cell(&c.kernel),
                cell(&c.shape),
                c.macs
            ));
        }
        o.push('\n');
    }

    fn comparison(&mut self, cmp: &Comparison, gate: Option<f64>) {
        let o = &mut self.out;
        o.push_str("### tinybench compare\n\n");
        o.push_str(&cell(&comparison_title(cmp)));
        o.push_str("\n\n");
        if let Some(g) = gate_text(cmp, gate) {
            let mark = if g.starts_with("gate FAILED") {
                "❌"
            } else {
                "✅"
            };
            o.push_str(&format!("{mark} **{}**\n\n", cell(&g)));
        }
        o.push_str("| case | BASE median | HEAD median | change | verdict |\n");
        o.push_str("|---|--:|--:|--:|---|\n");
        let opt = |v: Option<u64>| v.map_or("—".to_string(), |v| v.to_string());
        for c in &cmp.cases {
            let flagged = gate.is_some_and(|g| c.regressed_above(g))
                || matches!(c.verdict, Verdict::Failed(_));
            let verdict = if flagged {
                format!("❌ **{}**", cell(&c.verdict.label()))
            } else {
                cell(&c.verdict.label())
            };
            o.push_str(&format!(
                "| {} | {} | {} | {} | {verdict} |\n",
                cell(&c.name),
                opt(c.base_median),
                opt(c.head_median),
                change_text(c)
            ));
        }
        o.push('\n');
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}
