//! JSON output: the result schema of `tinybench-results` as is, and comparisons.

use super::Report;
use tinybench_results::compare::Comparison;
use tinybench_results::RunResult;

/// Pretty JSON of a run.
pub fn render(run: &RunResult) -> String {
    serde_json::to_string_pretty(run).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// JSON reporter.
#[derive(Default)]
pub struct JsonReport {
    out: String,
}

#[derive(serde::Serialize)]
struct GatedComparison<'a> {
    #[serde(flatten)]
    comparison: &'a Comparison,
    /// `--fail-above` as a fraction.
    fail_above: Option<f64>,
    /// Names of the cases the gate fails on.
    regressions: Vec<&'a str>,
}

impl Report for JsonReport {
    fn run(&mut self, run: &RunResult) {
        self.out.push_str(&render(run));
    }

    fn comparison(&mut self, cmp: &Comparison, gate: Option<f64>) {
        let g = GatedComparison {
            comparison: cmp,
            fail_above: gate,
            regressions: gate
                .map(|g| cmp.regressions(g).iter().map(|c| c.name.as_str()).collect())
                .unwrap_or_default(),
        };
        self.out.push_str(
            &serde_json::to_string_pretty(&g).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")),
        );
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}
