//! JUnit XML: one `<testcase>` per benchmark case, so a CI system shows benchmarks next to
//! tests. A case fails on a checksum mismatch, a kernel error, a fault or timeout (the case
//! never finished), or — in a comparison — a regression above the gate (any slowdown when
//! no `--fail-above` was given).

use super::{change_text, Report};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use tinybench_results::compare::{Comparison, Verdict};
use tinybench_results::{CaseStatus, RunResult};

/// One `<testcase>`.
struct Case {
    name: String,
    classname: String,
    /// `(type, message)` of the failure, if it failed.
    failure: Option<(String, String)>,
    /// Text for `<system-out>`.
    out: String,
}

/// One `<testsuite>`.
struct Suite {
    name: String,
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

impl Report for JunitReport {
    fn run(&mut self, run: &RunResult) {
        let classname = format!("tinybench.{}.{}", run.target, run.suite);
        let cases = run
            .cases
            .iter()
            .map(|c| Case {
                name: c.name.clone(),
                classname: classname.clone(),
                failure: status_failure(&c.status),
                out: match c.summary {
                    Some(s) => format!(
                        "median {} {} (min {}, max {}, n {})",
                        s.median,
                        run.count_kind.label(),
                        s.min,
                        s.max,
                        s.n
                    ),
                    None => "no samples".into(),
                },
            })
            .collect();
        self.suites.push(Suite {
            name: format!("{} · {}", run.target, run.suite),
            cases,
        });
    }

    fn comparison(&mut self, cmp: &Comparison, gate: Option<f64>) {
        let classname = format!("tinybench.{}.{}", cmp.target, cmp.suite);
        let threshold = gate.unwrap_or(0.0);
        let cases = cmp
            .cases
            .iter()
            .map(|c| {
                let failure = match &c.verdict {
                    Verdict::Failed(why) => Some(("failed".to_string(), why.clone())),
                    _ if c.regressed_above(threshold) => Some((
                        "regression".to_string(),
                        format!(
                            "{} slower than BASE ({} → {} {}), above the {} gate",
                            change_text(c),
                            c.base_median.unwrap_or(0),
                            c.head_median.unwrap_or(0),
                            cmp.count_kind.label(),
                            super::threshold(threshold)
                        ),
                    )),
                    _ => None,
                };
                Case {
                    name: c.name.clone(),
                    classname: classname.clone(),
                    failure,
                    out: format!("{}: {}", c.verdict.label(), change_text(c)),
                }
            })
            .collect();
        self.suites.push(Suite {
            name: format!(
                "{} · {} · {} → {}",
                cmp.target, cmp.suite, cmp.base_id, cmp.head_id
            ),
            cases,
        });
    }

    fn finish(&mut self) -> String {
        if self.suites.is_empty() {
            return String::new();
        }
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing into a Vec cannot fail; the results are ignored on purpose.
        let total: usize = self.suites.iter().map(|s| s.cases.len()).sum();
        let failures: usize = self
            .suites
            .iter()
            .flat_map(|s| &s.cases)
            .filter(|c| c.failure.is_some())
            .count();
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        let (t, f) = (total.to_string(), failures.to_string());
        let _ = w.write_event(Event::Start(BytesStart::new("testsuites").with_attributes(
            [
                ("name", "tinybench"),
                ("tests", t.as_str()),
                ("failures", f.as_str()),
            ],
        )));
        for s in std::mem::take(&mut self.suites) {
            let (t, f) = (
                s.cases.len().to_string(),
                s.cases
                    .iter()
                    .filter(|c| c.failure.is_some())
                    .count()
                    .to_string(),
            );
            let _ = w.write_event(Event::Start(BytesStart::new("testsuite").with_attributes(
                [
                    ("name", s.name.as_str()),
                    ("tests", t.as_str()),
                    ("failures", f.as_str()),
                    ("errors", "0"),
                ],
            )));
            for c in s.cases {
                let _ = w.write_event(Event::Start(BytesStart::new("testcase").with_attributes([
                    ("name", c.name.as_str()),
                    ("classname", c.classname.as_str()),
                ])));
                if let Some((kind, msg)) = &c.failure {
                    let _ =
                        w.write_event(Event::Start(BytesStart::new("failure").with_attributes([
                            ("type", kind.as_str()),
                            ("message", msg.as_str()),
                        ])));
                    let _ = w.write_event(Event::Text(BytesText::new(msg)));
                    let _ = w.write_event(Event::End(BytesEnd::new("failure")));
                }
                let _ = w.write_event(Event::Start(BytesStart::new("system-out")));
                let _ = w.write_event(Event::Text(BytesText::new(&c.out)));
                let _ = w.write_event(Event::End(BytesEnd::new("system-out")));
                let _ = w.write_event(Event::End(BytesEnd::new("testcase")));
            }
            let _ = w.write_event(Event::End(BytesEnd::new("testsuite")));
        }
        let _ = w.write_event(Event::End(BytesEnd::new("testsuites")));
        String::from_utf8_lossy(&w.into_inner()).into_owned()
    }
}
