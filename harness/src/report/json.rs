//! JSON output: the result schema of `tinybench-results`, as is.

use tinybench_results::RunResult;

/// Pretty JSON of a run.
pub fn render(run: &RunResult) -> String {
    serde_json::to_string_pretty(run).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
