//! Reporters and store verbs on fabricated results (no emulator): JUnit failures for
//! failed cases, `merge` of stores from several runners, `--no-save`-free verbs on an
//! empty store, unknown run ids.

mod support;
use support::{text, tinybench};

use std::path::Path;
use tinybench::report::{reporter, Format};
use tinybench_results::store::Store;
use tinybench_results::{parse_run, RunResult};

const V1: &str = include_str!("../../results/tests/fixtures/v1-smoke.json");

fn fixture(t: u64, target: &str) -> RunResult {
    let mut r = parse_run(V1).unwrap();
    r.unix_time = t;
    r.target = target.into();
    r
}

#[test]
fn junit_of_a_run_fails_the_mismatched_case_only() {
    let mut r = reporter(Format::Junit);
    r.run(&fixture(1, "sim-cortex-m4"));
    let xml = r.finish();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert_eq!(
        xml.matches("<failure type=\"checksum-mismatch\"").count(),
        1
    );
    let odd = xml.find("name=\"fc_odd_shape\"").unwrap();
    assert!(xml[odd..].contains("<failure"));
    assert!(!xml[..odd].contains("<failure"));
}

#[test]
fn markdown_and_csv_of_a_run_label_the_counts() {
    let run = fixture(1, "sim-cortex-m4");
    let mut md = reporter(Format::Markdown);
    md.run(&run);
    let md = md.finish();
    assert!(md.contains("counts are **instructions, emulated**"), "{md}");
    assert!(md.contains("❌ **checksum mismatch**"), "{md}");
    let mut csv = reporter(Format::Csv);
    csv.run(&run);
    let csv = csv.finish();
    let lines: Vec<&str> = csv.trim().lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains("fc_tiny") && lines[1].contains("instructions, emulated"));
}

#[test]
fn merge_combines_runner_stores_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, into) = (
        dir.path().join("runner-a"),
        dir.path().join("runner-b"),
        dir.path().join("merged"),
    );
    let id_a = Store::new(&a)
        .save(&mut fixture(1_795_500_000, "sim-cortex-m4"))
        .unwrap();
    let id_b = Store::new(&b)
        .save(&mut fixture(1_795_500_100, "nrf52840"))
        .unwrap();
    let loose = dir.path().join("loose.json");
    std::fs::write(&loose, V1.replace("1795500000", "1795500900")).unwrap();
    let args = |srcs: &[&Path]| {
        let mut v = vec!["merge".to_string()];
        v.extend(srcs.iter().map(|p| p.display().to_string()));
        v.extend(["--results-dir".to_string(), into.display().to_string()]);
        v
    };
    let run = |v: Vec<String>| tinybench(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let out = run(args(&[&a, &b, &loose]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let so = text(&out.stdout);
    assert!(so.contains(&id_a) && so.contains(&id_b), "{so}");
    // Merging again adds nothing.
    let out = run(args(&[&a, &b, &loose]));
    assert!(
        text(&out.stderr).contains("0 added, 3 already present"),
        "{}",
        text(&out.stderr)
    );
    let listing = Store::new(&into).list().unwrap();
    assert_eq!(listing.runs.len(), 3);
    // A corrupt source file fails with its name.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"schema_version\": 1").unwrap();
    let out = run(args(&[&bad]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.json"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn empty_store_and_unknown_runs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let out = tinybench(&["compare", "latest~1", "latest", "--results-dir", &d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no stored runs"),
        "{}",
        text(&out.stderr)
    );
    Store::new(dir.path())
        .save(&mut fixture(1_795_500_000, "sim-cortex-m4"))
        .unwrap();
    let out = tinybench(&["compare", "latest~1", "latest", "--results-dir", &d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("only 1 stored run"),
        "{}",
        text(&out.stderr)
    );
    let out = tinybench(&["results", "show", "no-such-run", "--results-dir", &d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`no-such-run`"),
        "{}",
        text(&out.stderr)
    );
    let out = tinybench(&[
        "compare",
        "latest",
        "latest",
        "--fail-above",
        "2%",
        "--results-dir",
        &d,
    ]);
    // The fixture has a checksum mismatch: the gate fails on it.
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("fc_odd_shape"));
}
