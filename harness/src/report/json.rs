//! JSON output: the result schema of `tinybench-results` as is, and comparisons. Every
//! document carries `schema_version` (the result schema it belongs to), so a consumer can
//! tell a comparison of this tinybench from an older one.

use super::Report;
use tinybench_results::compare::Comparison;
use tinybench_results::{RunResult, SCHEMA_VERSION};

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
    schema_version: u32,
    #[serde(flatten)]
    comparison: &'a Comparison,
    /// `--fail-above` as a fraction.
    fail_above: Option<f64>,
    /// Names of the cases the gate fails on (any metric of theirs tripped, or their
    /// counts are slower than `fail_above`).
    regressions: Vec<&'a str>,
    /// Labels of the metrics that tripped the gate.
    tripped: Vec<&'static str>,
}

/// The JSON of a comparison, as a value (for `tinybench ci --json`).
pub fn comparison_value(cmp: &Comparison, gate: Option<f64>) -> serde_json::Value {
    let mut regressions: Vec<&str> = cmp
        .cases
        .iter()
        .filter(|c| {
            cmp.gate.as_ref().is_some_and(|g| g.case_tripped(&c.name))
                || gate.is_some_and(|g| c.regressed_above(g))
        })
        .map(|c| c.name.as_str())
        .collect();
    regressions.dedup();
    let g = GatedComparison {
        schema_version: SCHEMA_VERSION,
        comparison: cmp,
        fail_above: gate,
        regressions,
        tripped: super::tripped_labels(cmp),
    };
    serde_json::to_value(&g).unwrap_or(serde_json::Value::Null)
}

impl Report for JsonReport {
    fn run(&mut self, run: &RunResult) {
        self.out.push_str(&render(run));
    }

    fn comparison(&mut self, cmp: &Comparison, gate: Option<f64>) {
        self.out.push_str(
            &serde_json::to_string_pretty(&comparison_value(cmp, gate))
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")),
        );
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}
