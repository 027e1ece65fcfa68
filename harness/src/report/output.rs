//! What `run` prints on stdout: the run in the `--format` asked for, or, with
//! `--message-format json`, one JSON event per line for tools (`run-start`, one `case` per
//! case, `run-end`).

use super::{reporter, Format};
use serde_json::json;
use tinybench_results::{CaseResult, RunResult};

/// One JSON event on its own line of stdout.
fn emit(event: serde_json::Value) {
    crate::outln!("{event}");
}

/// `run-start`, before the device runs (JSON messages only).
pub fn run_start(target: &str, suite: &str, cases: usize) {
    if crate::ui::json_messages() {
        emit(json!({"event": "run-start", "target": target, "suite": suite, "cases": cases}));
    }
}

/// The `case` event of one case.
pub fn case_event(run: &RunResult, c: &CaseResult) -> serde_json::Value {
    let ms = super::timing::clock(run)
        .zip(c.summary)
        .map(|(hz, s)| super::timing::ms(s.median, hz));
    json!({
        "event": "case",
        "target": run.target,
        "suite": run.suite,
        "case": c.name,
        "kernel": c.kernel,
        "variant": c.variant,
        "macs": c.macs,
        "count_kind": run.count_kind.label(),
        "median": c.summary.map(|s| s.median),
        "min": c.summary.map(|s| s.min),
        "max": c.summary.map(|s| s.max),
        "ms_at_clock": ms,
        "clock_hz": run.meta.clock_hz,
        "ok": c.status.is_ok(),
        "status": c.status.describe(),
    })
}

/// The `run-end` event of a run.
pub fn end_event(run: &RunResult, passed: bool) -> serde_json::Value {
    json!({
        "event": "run-end",
        "target": run.target,
        "suite": run.suite,
        "run_id": (!run.meta.run_id.is_empty()).then_some(&run.meta.run_id),
        "cases": run.cases.len(),
        "failed": run.cases.iter().filter(|c| !c.status.is_ok()).count(),
        "passed": passed,
    })
}

/// `run` in `format` (a model run's table is its per-layer table).
pub fn run_text(format: Format, run: &RunResult) -> String {
    match format {
        Format::Table => super::model::render(run).unwrap_or_else(|| super::table::render(run)),
        f => {
            let mut r = reporter(f);
            r.run(run);
            r.finish()
        }
    }
}

/// Print a finished run: its events (JSON messages), else the run in `format`. Returns
/// whether it printed the human table (callers add their extra lines to that only).
pub fn print_run(format: Format, run: &RunResult, passed: bool) -> bool {
    if crate::ui::json_messages() {
        for c in &run.cases {
            emit(case_event(run, c));
        }
        emit(end_event(run, passed));
        return false;
    }
    crate::outln!("{}", run_text(format, run));
    format == Format::Table
}

/// Print the runs of several targets: as [`print_run`] each, except that JSON is one
/// array of them and the other export formats render them all in one document.
pub fn print_runs(format: Format, runs: &[(&RunResult, bool)]) {
    if crate::ui::json_messages() || format == Format::Table {
        for (r, passed) in runs {
            print_run(format, r, *passed);
        }
        return;
    }
    if format == Format::Json && runs.len() != 1 {
        let all: Vec<&RunResult> = runs.iter().map(|(r, _)| *r).collect();
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&all)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        );
        return;
    }
    let mut r = reporter(format);
    for (run, _) in runs {
        r.run(run);
    }
    crate::outln!("{}", r.finish());
}

/// After the models of a multi-model suite: one summary table of them all (table format,
/// human messages, more than one model).
pub fn print_suite_summary(format: Format, suite: &str, runs: &[RunResult]) {
    if format == Format::Table && !crate::ui::json_messages() && runs.len() > 1 {
        crate::outln!("{}", super::model::render_suite(suite, runs));
    }
}
