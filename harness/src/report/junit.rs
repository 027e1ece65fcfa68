//! JUnit XML in the strict Ant layout Jenkins and GitLab parse (`ci/junit/junit.xsd` is
//! that schema, and a test validates every export against it): `<testsuites>` without
//! attributes; per run one `<testsuite>` with `name`, `package`, `id`, `timestamp`,
//! `hostname`, `tests`, `failures`, `errors`, `time`, then `<properties>`, one
//! `<testcase>` per benchmark case, `<system-out>` and `<system-err>`.
//!
//! A case's `time` is its device time: the median of one repetition in cycles (hardware or
//! modeled; instructions at one per cycle when the run has neither) at the target's clock.
//! A case fails on a checksum mismatch, a kernel error, a fault or timeout, or — in a
//! comparison — on any metric the gate tripped (any slowdown of the counts when no gate
//! was given).

use super::{change_text, Report};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use tinybench_results::compare::{Comparison, Verdict};
use tinybench_results::{CaseResult, CaseStatus, CountKind, RunResult};

/// One `<testcase>`.
struct Case {
    name: String,
    time: f64,
    /// `(type, message)` of the failure, if it failed.
    failure: Option<(String, String)>,
    /// Its line in the suite's `<system-out>`.
    out: String,
}

/// One `<testsuite>`.
struct Suite {
    name: String,
    package: String,
    timestamp: String,
    hostname: String,
    properties: Vec<(String, String)>,
    cases: Vec<Case>,
}

/// JUnit reporter.
#[derive(Default)]
pub struct JunitReport {
    suites: Vec<Suite>,
}

fn status_failure(s: &CaseStatus) -> Option<(String, String)> {
    match s {
        CaseStatus::Ok => None,
        CaseStatus::ChecksumMismatch => Some((
            "checksum-mismatch".into(),
            "device output checksum differs from the host's".into(),
        )),
        CaseStatus::KernelError(e) => Some(("kernel-error".into(), e.clone())),
        CaseStatus::Incomplete(e) => {
            let kind = if e.contains("timeout") {
                "timeout"
            } else if e.contains("fault") || e.contains("invalid") || e.contains("illegal") {
                "fault"
            } else {
                "incomplete"
            };
            Some((kind.into(), e.clone()))
        }
    }
}

/// Device seconds of one repetition of `c` at the run's clock: hardware or modeled
/// cycles, else instructions at one per cycle. `None` without samples or a known clock.
pub fn case_seconds(run: &RunResult, c: &CaseResult) -> Option<f64> {
    let clock = run.meta.clock_hz.filter(|&h| h > 0)?;
    let cycles = match (run.count_kind, c.modeled_summary, c.summary) {
        (CountKind::CyclesHardware, _, Some(s)) => s.median,
        (_, Some(m), _) => m.median,
        (_, None, Some(s)) => s.median,
        (_, None, None) => return None,
    };
    Some(super::device_seconds(cycles, clock))
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC, no zone: the schema's pattern).
fn iso_timestamp(unix_time: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_time as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The suite attributes every run gives: package, timestamp, host, properties.
fn suite_for(run: &RunResult, name: String, cases: Vec<Case>) -> Suite {
    let mut properties = vec![
        ("target".to_string(), run.target.clone()),
        ("suite".to_string(), run.suite.clone()),
        ("backend".to_string(), run.backend.clone()),
        ("count_kind".to_string(), run.count_kind.label().to_string()),
        ("commit".to_string(), run.meta.commit_label()),
        ("run_id".to_string(), run.meta.run_id.clone()),
        (
            "tinybench_version".to_string(),
            run.tinybench_version.clone(),
        ),
    ];
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            properties.push((k.to_string(), v));
        }
    };
    push("clock_hz", run.meta.clock_hz.map(|c| c.to_string()));
    push("toolchain", run.meta.toolchain.clone());
    push("cycle_model", run.cycle_model.clone());
    push("energy_source", run.energy_source.clone());
    if let Some(m) = run.memory() {
        push("flash_bytes", Some(m.flash().to_string()));
        push("ram_bytes", Some(m.ram().to_string()));
        push("stack_bytes", m.stack_used.map(|s| s.to_string()));
    }
    if let Some(q) = run.quality() {
        push("accuracy", q.accuracy.map(|v| v.to_string()));
        push("f1", q.f1.map(|v| v.to_string()));
        push("roc_auc", q.roc_auc.map(|v| v.to_string()));
    }
    Suite {
        name,
        package: format!("tinybench.{}.{}", run.target, run.suite),
        timestamp: iso_timestamp(run.unix_time),
        hostname: run
            .meta
            .host
            .clone()
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| "unknown".into()),
        properties,
        cases,
    }
}

/// A case's line in `<system-out>`: every number it has.
fn case_line(run: &RunResult, c: &CaseResult) -> String {
    let mut s = match c.summary {
        Some(s) => format!(
            "{}: median {} {} (min {}, max {}, n {})",
            c.name,
            s.median,
            run.count_kind.label(),
            s.min,
            s.max,
            s.n
        ),
        None => format!("{}: no samples", c.name),
    };
    if let Some(m) = c.modeled_summary {
        s.push_str(&format!(", {} cycles, modeled", m.median));
    }
    if let Some(e) = &c.energy {
        s.push_str(&format!(
            ", {:.3} ±{:.3} µJ/inference ({})",
            e.median_uj,
            e.bound_uj,
            run.energy_source.as_deref().unwrap_or("energy")
        ));
    }
    s
}

/// A comparison's suite: attributes from HEAD as the comparison keeps them.
fn comparison_suite(cmp: &Comparison, gate: Option<f64>) -> Suite {
    let threshold = gate.unwrap_or(0.0);
    let cases = cmp
        .cases
        .iter()
        .map(|c| {
            let trips: Vec<String> = cmp
                .gate
                .as_ref()
                .map(|g| {
                    g.trips
                        .iter()
                        .filter(|t| t.case.as_deref() == Some(&c.name))
                        .map(|t| t.describe())
                        .collect()
                })
                .unwrap_or_default();
            let failure = match &c.verdict {
                Verdict::Failed(why) => Some(("failed".to_string(), why.clone())),
                _ if !trips.is_empty() => Some(("regression".to_string(), trips.join("; "))),
                _ if cmp.gate.is_none() && c.regressed_above(threshold) => Some((
                    "regression".to_string(),
                    format!(
                        "{} slower than BASE ({} → {} {})",
                        change_text(c),
                        c.base_median.unwrap_or(0),
                        c.head_median.unwrap_or(0),
                        cmp.count_kind.label(),
                    ),
                )),
                _ => None,
            };
            Case {
                name: c.name.clone(),
                time: comparison_seconds(cmp, c).unwrap_or(0.0),
                failure,
                out: format!("{}: {}: {}", c.name, c.verdict.label(), change_text(c)),
            }
        })
        .collect();
    let mut suite = Suite {
        name: format!("{} · {} · compare", cmp.target, cmp.suite),
        package: format!("tinybench.{}.{}", cmp.target, cmp.suite),
        timestamp: iso_timestamp(cmp.head_unix_time),
        hostname: cmp
            .head_host
            .clone()
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| "unknown".into()),
        properties: vec![("count_kind".into(), cmp.count_kind.label().to_string())],
        cases,
    };
    suite
        .properties
        .push(("base_id".into(), cmp.base_id.clone()));
    suite
        .properties
        .push(("head_id".into(), cmp.head_id.clone()));
    for (i, n) in cmp.notes.iter().enumerate() {
        suite.properties.push((format!("note.{i}"), n.clone()));
    }
    if let Some(g) = super::gate_text(cmp) {
        suite.properties.push(("gate".into(), g));
    }
    suite
}

/// Device seconds of HEAD's median of a compared case (modeled cycles when the comparison
/// has them, else the counts), at HEAD's clock.
fn comparison_seconds(cmp: &Comparison, c: &tinybench_results::compare::CaseChange) -> Option<f64> {
    let clock = cmp.head_clock_hz.filter(|&h| h > 0)?;
    let modeled = c
        .metrics
        .iter()
        .find(|m| m.metric == tinybench_results::gate::Metric::ModeledCycles)
        .and_then(|m| m.head);
    let cycles = match (cmp.count_kind, modeled) {
        (CountKind::CyclesHardware, _) | (_, None) => c.head_median? as f64,
        (_, Some(m)) => m,
    };
    Some(cycles / clock as f64)
}

impl Report for JunitReport {
    fn run(&mut self, run: &RunResult) {
        let cases = run
            .cases
            .iter()
            .map(|c| Case {
                name: c.name.clone(),
                time: case_seconds(run, c).unwrap_or(0.0),
                failure: status_failure(&c.status),
                out: case_line(run, c),
            })
            .collect();
        let name = format!("{} · {}", run.target, run.suite);
        self.suites.push(suite_for(run, name, cases));
    }

    fn comparison(&mut self, cmp: &Comparison, gate: Option<f64>) {
        self.suites.push(comparison_suite(cmp, gate));
    }

    fn finish(&mut self) -> String {
        if self.suites.is_empty() {
            return String::new();
        }
        render(std::mem::take(&mut self.suites))
    }
}

fn start<'a>(name: &'a str, attrs: &[(&'a str, &'a str)]) -> Event<'a> {
    Event::Start(BytesStart::new(name).with_attributes(attrs.iter().copied()))
}

fn render(suites: Vec<Suite>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; the results are ignored on purpose.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let _ = w.write_event(start("testsuites", &[]));
    for (id, s) in suites.into_iter().enumerate() {
        let failures = s.cases.iter().filter(|c| c.failure.is_some()).count();
        let total: f64 = s.cases.iter().map(|c| c.time).sum();
        let (id, t, f, time) = (
            id.to_string(),
            s.cases.len().to_string(),
            failures.to_string(),
            format!("{total:.9}"),
        );
        // The strict layout's suite names carry no package, so no dots.
        let name = s.name.replace('.', "_");
        let _ = w.write_event(start(
            "testsuite",
            &[
                ("name", name.as_str()),
                ("package", s.package.as_str()),
                ("id", id.as_str()),
                ("timestamp", s.timestamp.as_str()),
                ("hostname", s.hostname.as_str()),
                ("tests", t.as_str()),
                ("failures", f.as_str()),
                ("errors", "0"),
                ("time", time.as_str()),
            ],
        ));
        let _ = w.write_event(start("properties", &[]));
        for (k, v) in &s.properties {
            let _ = w.write_event(Event::Empty(
                BytesStart::new("property")
                    .with_attributes([("name", k.as_str()), ("value", v.as_str())]),
            ));
        }
        let _ = w.write_event(Event::End(BytesEnd::new("properties")));
        let mut out = Vec::new();
        for c in s.cases {
            let time = format!("{:.9}", c.time);
            let attrs = [
                ("name", c.name.as_str()),
                ("classname", s.package.as_str()),
                ("time", time.as_str()),
            ];
            match &c.failure {
                None => {
                    let _ = w.write_event(Event::Empty(
                        BytesStart::new("testcase").with_attributes(attrs),
                    ));
                }
                Some((kind, msg)) => {
                    let _ = w.write_event(start("testcase", &attrs));
                    let _ = w.write_event(start(
                        "failure",
                        &[("message", msg.as_str()), ("type", kind.as_str())],
                    ));
                    let _ = w.write_event(Event::Text(BytesText::new(msg)));
                    let _ = w.write_event(Event::End(BytesEnd::new("failure")));
                    let _ = w.write_event(Event::End(BytesEnd::new("testcase")));
                }
            }
            out.push(c.out);
        }
        let _ = w.write_event(start("system-out", &[]));
        let _ = w.write_event(Event::Text(BytesText::new(&out.join("\n"))));
        let _ = w.write_event(Event::End(BytesEnd::new("system-out")));
        let _ = w.write_event(Event::Empty(BytesStart::new("system-err")));
        let _ = w.write_event(Event::End(BytesEnd::new("testsuite")));
    }
    let _ = w.write_event(Event::End(BytesEnd::new("testsuites")));
    String::from_utf8_lossy(&w.into_inner()).into_owned()
}
