//! Reporters and store verbs on fabricated results (no emulator): JUnit failures for
//! failed cases, `merge` of stores from several runners, `--no-save`-free verbs on an
//! empty store, unknown run ids; the gate per metric (modeled cycles, flash) naming what
//! tripped, environment notes, every column in every export, and JUnit valid against the
//! strict schema (`ci/junit/junit.xsd`).

#[path = "support/runs.rs"]
mod runs;
mod support;
use support::{root, text, tinybench};

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
    assert!(
        xml.contains("hostname=") && xml.contains("timestamp=\"1970-01-01T00:00:01\""),
        "{xml}"
    );
    assert_eq!(xml.matches("type=\"checksum-mismatch\">").count(), 1);
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

/// A store holding `runs` (saved in order); returns the store's directory.
fn store_with(runs: Vec<RunResult>) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let ids = runs
        .into_iter()
        .map(|mut r| store.save(&mut r).unwrap())
        .collect();
    (dir, ids)
}

fn compare_in(dir: &Path, base: &str, head: &str, extra: &[&str]) -> std::process::Output {
    let d = dir.display().to_string();
    let mut args = vec!["compare", base, head, "--results-dir", d.as_str()];
    args.extend_from_slice(extra);
    tinybench(&args)
}

#[test]
fn the_gate_names_modeled_cycles_when_only_they_slowed() {
    let base = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_000,
        "a1",
        runs::smoke_cases(),
    );
    let mut head = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_100,
        "b2",
        runs::smoke_cases(),
    );
    // Same instructions, 78 % more modeled cycles (e.g. a load-use stall the count misses).
    head.cases[1] = runs::case("fc_256x64", 16_384, 114_355, 250_492);
    head.cases[1].energy = base.cases[1].energy.clone();
    let (dir, _) = store_with(vec![base, head]);
    let out = compare_in(dir.path(), "latest~1", "latest", &["--fail-above", "2%"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("gate FAILED: cycles, modeled: fc_256x64 +78.00 %"),
        "{err}"
    );
    assert!(!err.contains("instructions, emulated:"), "{err}");
    let table = text(&out.stdout);
    assert!(table.contains("cycles, modeled: fc_256x64"), "{table}");
    // The JSON names it too, with the schema version.
    let out = compare_in(
        dir.path(),
        "latest~1",
        "latest",
        &["--fail-above", "2%", "--format", "json"],
    );
    let j: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(j["schema_version"], tinybench_results::SCHEMA_VERSION);
    assert_eq!(j["tripped"], serde_json::json!(["cycles, modeled"]));
    assert_eq!(j["regressions"], serde_json::json!(["fc_256x64"]));
    // Switched off for modeled cycles, the same runs pass.
    let out = compare_in(
        dir.path(),
        "latest~1",
        "latest",
        &["--fail-above", "2%", "--gate", "modeled-cycles=off"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("gate passed"));
}

#[test]
fn the_gate_names_flash_when_the_firmware_grew() {
    let base = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_000,
        "a1",
        runs::smoke_cases(),
    );
    let mut head = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_100,
        "b2",
        runs::smoke_cases(),
    );
    head.meta.memory = Some(runs::memory(10_600));
    let (dir, _) = store_with(vec![base, head]);
    let out = compare_in(dir.path(), "latest~1", "latest", &["--gate", "flash=512"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("gate FAILED: flash: +600 B (+4.99 %) (gate 512 B)"),
        "{err}"
    );
    let out = compare_in(dir.path(), "latest~1", "latest", &["--gate", "flash=1KiB"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A bad spec is a usage error naming it.
    let out = compare_in(dir.path(), "latest~1", "latest", &["--gate", "speed=2%"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`speed` is no metric"));
}

#[test]
fn environment_changes_and_self_comparisons_are_noted() {
    let base = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_000,
        "a1",
        runs::smoke_cases(),
    );
    let mut head = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_100,
        "b2",
        runs::smoke_cases(),
    );
    head.meta.toolchain = Some("rustup (rustc 1.96.0)".into());
    head.meta.clock_hz = Some(48_000_000);
    let (dir, _) = store_with(vec![base, head]);
    let out = compare_in(dir.path(), "latest~1", "latest", &["--format", "markdown"]);
    let md = text(&out.stdout);
    assert!(
        md.contains("toolchain changed: rustup (rustc 1.95.0) → rustup (rustc 1.96.0)"),
        "{md}"
    );
    assert!(md.contains("clock changed: 64 MHz → 48 MHz"), "{md}");
    let out = compare_in(dir.path(), "latest", "latest", &[]);
    assert!(
        text(&out.stderr).contains("compares a run with itself"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn every_export_carries_modeled_cycles_energy_and_memory() {
    let mut run = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_000,
        "a1",
        runs::smoke_cases(),
    );
    run.meta.run_id = "r1".into();
    let show = |f: Format| {
        let mut r = reporter(f);
        r.run(&run);
        r.finish()
    };
    let csv = show(Format::Csv);
    let mut rd = ::csv::Reader::from_reader(csv.as_bytes());
    let header = rd.headers().unwrap().clone();
    let rows: Vec<::csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let col = |row: &::csv::StringRecord, name: &str| {
        let i = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name}: {header:?}"));
        row[i].to_string()
    };
    assert_eq!(col(&rows[1], "modeled_cycles_median"), "140726");
    let uj: f64 = col(&rows[1], "energy_median_uj").parse().unwrap();
    assert!((uj - 14.0726).abs() < 1e-9, "{uj}");
    assert_eq!(col(&rows[1], "flash_bytes"), "12016");
    assert_eq!(col(&rows[1], "ram_bytes"), "8848");
    assert_eq!(col(&rows[1], "stack_bytes"), "640");
    // 140726 cycles at 64 MHz.
    assert_eq!(
        col(&rows[1], "device_time_s"),
        (140_726.0f64 / 64e6).to_string()
    );
    // A 0-MAC case has no "per MAC".
    assert_eq!(col(&rows[2], "per_mac"), "");
    assert_eq!(col(&rows[2], "modeled_cycles_per_mac"), "");

    let md = show(Format::Markdown);
    assert!(
        md.contains("| cycles, modeled | cyc/MAC |") && md.contains(" µJ/inference |"),
        "{md}"
    );
    assert!(md.contains("| 140726 | 8.59 |"), "{md}");
    assert!(
        md.contains("flash **12016 B**") && md.contains("RAM **8848 B**"),
        "{md}"
    );
    let reshape = md.lines().find(|l| l.starts_with("| reshape ")).unwrap();
    assert!(reshape.contains("| 24 | — | 31 | — |"), "{reshape}");

    let json: serde_json::Value = serde_json::from_str(&show(Format::Json)).unwrap();
    assert_eq!(json["schema_version"], tinybench_results::SCHEMA_VERSION);
    assert_eq!(json["meta"]["memory"]["text"], 10_000);
    assert_eq!(json["cases"][1]["modeled_summary"]["median"], 140_726);

    let xml = show(Format::Junit);
    assert!(
        xml.contains("<property name=\"flash_bytes\" value=\"12016\"/>"),
        "{xml}"
    );
    assert!(
        xml.contains("140726 cycles, modeled") && xml.contains("µJ/inference"),
        "{xml}"
    );
    assert!(
        xml.contains(
            "name=\"fc_256x64\" classname=\"tinybench.sim-cortex-m4.smoke\" time=\"0.002198844\""
        ),
        "{xml}"
    );

    // A model run adds its quality to Markdown and JUnit.
    let model = runs::model_run(1_795_500_000, "a1", 0.9);
    let mut md = reporter(Format::Markdown);
    md.run(&model);
    assert!(md.finish().contains("accuracy 90.00 %"));
}

/// Validate `xml` against ci/junit/junit.xsd with python3-lxml (ci/setup.sh installs
/// it); `Err` holds lxml's error log.
fn validate_junit(xml: &str) -> Option<Result<(), String>> {
    // Debian's python3-lxml belongs to the system Python; a `python3` first in PATH
    // (pyenv, a venv) may not see it.
    let python = ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import lxml.etree"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(python) = python else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have python3-lxml (ci/setup.sh installs it)"
        );
        eprintln!("python3-lxml not installed: skipping the schema check");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    std::fs::write(&file, xml).unwrap();
    let script = "import sys\nfrom lxml import etree\n\
schema = etree.XMLSchema(etree.parse(sys.argv[1]))\n\
doc = etree.parse(sys.argv[2])\n\
ok = schema.validate(doc)\n\
print('\\n'.join(str(e) for e in schema.error_log))\n\
sys.exit(0 if ok else 1)\n";
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(root().join("ci/junit/junit.xsd"))
        .arg(&file)
        .output()
        .unwrap();
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", text(&out.stdout), text(&out.stderr)))
    })
}

#[test]
fn junit_is_valid_against_the_strict_schema() {
    let base = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_000,
        "a1",
        runs::smoke_cases(),
    );
    let mut head = runs::run(
        "sim-cortex-m4",
        "smoke",
        1_795_500_100,
        "b2",
        runs::smoke_cases(),
    );
    head.cases[1] = runs::case("fc_256x64", 16_384, 130_000, 250_492);
    let mut failed = fixture(1_795_500_000, "sim-cortex-m4");
    failed.meta.host = None;
    let cmp = tinybench_results::compare::compare(
        &base,
        &head,
        &tinybench_results::compare::CompareOptions::default(),
    )
    .gated(Some(&tinybench_results::gate::Gate::new(0.02)));
    let mut r = reporter(Format::Junit);
    r.run(&base);
    r.run(&failed);
    r.comparison(&cmp, Some(0.02));
    let xml = r.finish();
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
    let Some(result) = validate_junit(&xml) else {
        return;
    };
    result.unwrap_or_else(|e| panic!("JUnit not valid against the strict schema:\n{e}\n{xml}"));
    // The check can fail: the pre-issue-22 layout (attributes on <testsuites>, no time)
    // is rejected.
    let old = "<?xml version=\"1.0\"?><testsuites name=\"tinybench\" tests=\"1\"><testsuite name=\"a\" tests=\"1\" failures=\"0\" errors=\"0\"><testcase name=\"x\" classname=\"y\"/></testsuite></testsuites>";
    assert!(validate_junit(old).unwrap().is_err());
}

#[test]
fn the_gate_names_accuracy_when_a_model_got_worse() {
    let base = runs::model_run(1_795_500_000, "a1", 0.9);
    let head = runs::model_run(1_795_500_100, "b2", 0.8);
    let (dir, _) = store_with(vec![base, head]);
    let out = compare_in(dir.path(), "latest~1", "latest", &["--fail-above", "2%"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("accuracy: 90.00 % → 80.00 % (-10.00 points)"),
        "{err}"
    );
    // Ten points of slack let it pass.
    let out = compare_in(dir.path(), "latest~1", "latest", &["--gate", "quality=10"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
