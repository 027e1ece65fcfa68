//! Ways to show runs, comparisons and a store's history. Every output format is an
//! observer of one [`Report`] trait with empty default methods (the criterion.rs way):
//! a format implements what it can show, and adding a format touches one file.

pub mod csv;
pub mod host;
pub mod html;
pub mod json;
pub mod junit;
pub mod layout;
pub mod markdown;
pub mod model;
pub mod output;
pub mod table;
pub mod timing;

use tinybench_results::compare::Comparison;
use tinybench_results::gate::{Metric, Threshold};
use tinybench_results::store::{Skipped, StoredRun};
use tinybench_results::RunResult;

/// An output format. Feed it what there is to show, then take the text with `finish`.
pub trait Report {
    /// One run (`tinybench run`, `tinybench results show`).
    fn run(&mut self, _run: &RunResult) {}
    /// Two runs compared (`tinybench compare`). The gate's full verdict is `cmp.gate`;
    /// `gate` is the threshold of the run's own counts (a fraction) for formats that
    /// flag only those.
    fn comparison(&mut self, _cmp: &Comparison, _gate: Option<f64>) {}
    /// Every stored run, oldest first, and the files the store skipped (`tinybench report`).
    fn history(&mut self, _runs: &[StoredRun], _skipped: &[Skipped]) {}
    /// The rendered text; empty when the format showed nothing of what it was given.
    fn finish(&mut self) -> String {
        String::new()
    }
}

/// The formats `results show` and `compare` offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for the terminal.
    Table,
    /// GitHub-flavoured Markdown (e.g. for a CI step summary).
    Markdown,
    /// CSV, one row per case.
    Csv,
    /// JSON.
    Json,
    /// JUnit XML, one test case per benchmark case.
    Junit,
}

/// The reporter for a format.
pub fn reporter(format: Format) -> Box<dyn Report> {
    match format {
        Format::Table => Box::<table::TableReport>::default(),
        Format::Markdown => Box::<markdown::MarkdownReport>::default(),
        Format::Csv => Box::<csv::CsvReport>::default(),
        Format::Json => Box::<json::JsonReport>::default(),
        Format::Junit => Box::<junit::JunitReport>::default(),
    }
}

/// `+5.13 %` / `−0.40 %` / `±0 %` for a fraction.
pub fn percent(change: f64) -> String {
    if change == 0.0 {
        "±0 %".to_string()
    } else if change > 0.0 {
        format!("+{:.2} %", change * 100.0)
    } else {
        format!("−{:.2} %", -change * 100.0)
    }
}

/// A threshold (fraction) in percent, without a sign: `2 %`, `0.5 %`.
pub fn threshold(t: f64) -> String {
    format!("{} %", (t * 10_000.0).round() / 100.0)
}

/// The change column of a comparison: the point estimate, plus the interval when it was
/// bootstrapped.
pub fn change_text(c: &tinybench_results::compare::CaseChange) -> String {
    use tinybench_results::compare::Method;
    match (c.change, c.method) {
        (Some(e), Method::Exact) => percent(e.point),
        (Some(e), Method::Bootstrap) => format!(
            "{} [{} … {}]",
            percent(e.point),
            percent(e.lower),
            percent(e.upper)
        ),
        (None, _) => "—".to_string(),
    }
}

/// The headline of a comparison: which runs, what the counts are, how it was decided.
pub fn comparison_heading(cmp: &Comparison) -> String {
    let how = if tinybench_results::compare::is_deterministic(cmp.count_kind) {
        "exact comparison (deterministic counts)".to_string()
    } else {
        format!(
            "bootstrap 95 % interval on the median, noise threshold {}",
            threshold(cmp.noise_threshold)
        )
    };
    format!(
        "{} · suite {} · BASE {} ({}) → HEAD {} ({}) · {} · {}",
        cmp.target,
        cmp.suite,
        cmp.base_id,
        cmp.base_commit,
        cmp.head_id,
        cmp.head_commit,
        cmp.count_kind.label(),
        how
    )
}

/// The headline, then one `note:` line per difference of environment.
pub fn comparison_title(cmp: &Comparison) -> String {
    let mut t = comparison_heading(cmp);
    for n in &cmp.notes {
        t.push_str("\nnote: ");
        t.push_str(n);
    }
    t
}

/// The run-wide metrics (flash, RAM, stack, quality) in one line each:
/// `flash: 11008 → 11608 B (+5.45 %), grew`.
pub fn run_metric_lines(cmp: &Comparison) -> Vec<String> {
    cmp.run_metrics
        .iter()
        .map(|m| {
            let v = |x: Option<f64>| match (m.metric, x) {
                (Metric::Quality, Some(x)) => format!("{:.2} %", x * 100.0),
                (_, Some(x)) => format!("{x}"),
                (_, None) => "—".into(),
            };
            let unit = if m.metric == Metric::Quality {
                ""
            } else {
                " B"
            };
            let change = m.change.map_or("—".to_string(), |c| percent(c.point));
            format!(
                "{}: {} → {}{unit} ({change}), {}",
                m.label,
                v(m.base),
                v(m.head),
                m.verdict_label()
            )
        })
        .collect()
}

/// One-line verdict of the gate, naming every metric that tripped; `None` without a gate.
pub fn gate_text(cmp: &Comparison) -> Option<String> {
    let g = cmp.gate.as_ref()?;
    if g.passed() {
        let t: Vec<String> = g
            .gate
            .thresholds
            .iter()
            .filter(|(_, t)| **t != Threshold::Off)
            .map(|(m, t)| format!("{} {t}", m.key()))
            .collect();
        return Some(format!(
            "gate passed: no metric worse than its threshold ({})",
            t.join(", ")
        ));
    }
    let mut parts = Vec::new();
    for m in g.tripped_metrics() {
        let trips: Vec<String> = g
            .trips
            .iter()
            .filter(|t| t.metric == m)
            .map(|t| t.describe())
            .collect();
        parts.push(trips.join("; "));
    }
    if !g.failed.is_empty() {
        parts.push(format!(
            "{} case(s) failed: {}",
            g.failed.len(),
            g.failed.join(", ")
        ));
    }
    Some(format!("gate FAILED: {}", parts.join("; ")))
}

/// The metric labels that tripped, for a short verdict (`cycles, modeled; flash`).
pub fn tripped_labels(cmp: &Comparison) -> Vec<&'static str> {
    cmp.gate
        .as_ref()
        .map(|g| g.tripped_metrics().iter().map(|m| m.label()).collect())
        .unwrap_or_default()
}

/// `per MAC` of a count: `—` for a case without MACs (RESHAPE, copies), never a ratio
/// over a made-up 1.
pub fn per_mac(count: u64, macs: u64) -> String {
    if macs == 0 {
        "—".to_string()
    } else {
        format!("{:.2}", count as f64 / macs as f64)
    }
}

/// Seconds of device time for `count` cycles at `clock_hz`.
pub fn device_seconds(count: u64, clock_hz: u64) -> f64 {
    if clock_hz == 0 {
        0.0
    } else {
        count as f64 / clock_hz as f64
    }
}

/// A run of `cases` on target `t`, suite `s` (emulated instructions, overhead 1, no cycle
/// model, energy or model): the fixture the reporters' tests build on.
#[cfg(test)]
pub(crate) fn test_run(cases: Vec<tinybench_results::CaseResult>) -> RunResult {
    RunResult {
        schema_version: tinybench_results::SCHEMA_VERSION,
        tinybench_version: "0".into(),
        target: "t".into(),
        core: "cortex-m4".into(),
        backend: "emulator".into(),
        suite: "s".into(),
        suite_hash: "0".into(),
        firmware_sha256: String::new(),
        unix_time: 0,
        count_kind: tinybench_results::CountKind::InstructionsEmulated,
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

#[cfg(test)]
mod tests {
    use super::{percent, threshold};

    #[test]
    fn changes_carry_a_sign_and_thresholds_do_not() {
        assert_eq!(percent(0.051_29), "+5.13 %");
        assert_eq!(percent(-0.004), "−0.40 %");
        assert_eq!(percent(0.0), "±0 %");
        assert_eq!(threshold(0.02), "2 %");
        assert_eq!(threshold(0.005), "0.5 %");
    }
}
