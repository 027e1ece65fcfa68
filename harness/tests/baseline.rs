//! Issue 6 end to end: `tinybench baseline` times a tiny suite on the host with criterion's
//! shortest settings, `run` on sim-cortex-m4 prints host and device side by side,
//! `compare-host` does the same for the stored run, a second `baseline` reuses the fresh
//! one, and a changed suite file makes it stale (reported, numbers not shown).
//! No measured time is asserted: only that the numbers are there and labelled.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn tinybench(store: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tinybench"));
    cmd.args(args).arg("--project-dir").arg(root());
    // `baseline` touches no result store.
    if args[0] != "baseline" {
        cmd.arg("--results-dir").arg(store);
    }
    cmd.output().expect("tinybench runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn show(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    )
}

const SUITE: &str = r#"
name = "baseline-e2e"
overhead_reps = 2

[defaults]
reps = 1

[[case]]
name = "fc_small"
kernel = "fully_connected"
batches = 1
in_features = 16
out_features = 8
input_zero_point = -4
output_zero_point = 3
requant_scale = 0.0025
variants = ["reference", "optimized"]

[[case]]
name = "sm"
kernel = "softmax"
depth = 10
input_scale = 0.1
"#;

#[test]
fn baseline_then_run_shows_host_and_device_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("baseline-e2e.toml");
    std::fs::write(&suite, SUITE).unwrap();
    let suite = suite.to_str().unwrap();
    let store = dir.path().join("store");

    let out = tinybench(
        &store,
        &["baseline", "--suite", suite, "--quick", "--force"],
    );
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(text(&out.stderr).contains("3/3 case(s)"), "{}", show(&out));

    // Fresh for the same sources: reused, criterion not run again.
    let out = tinybench(&store, &["baseline", "--suite", suite, "--quick"]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("reused, not re-run"),
        "{}",
        show(&out)
    );

    let out = tinybench(
        &store,
        &["run", "--target", "sim-cortex-m4", "--suite", suite],
    );
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    let stdout = text(&out.stdout);
    let host = stdout
        .split_once("host vs sim-cortex-m4")
        .map(|(_, h)| h)
        .unwrap_or_else(|| panic!("no host table: {}", show(&out)));
    assert!(host.contains("ns, host wall-clock (criterion)"), "{host}");
    assert!(
        host.contains("cycles, modeled") && host.contains("64 MHz"),
        "{host}"
    );
    for case in ["fc_small/reference", "fc_small/optimized", "sm"] {
        let row = host
            .lines()
            .find(|l| l.contains(&format!("│ {case} ")))
            .unwrap_or_else(|| panic!("no row {case}: {host}"));
        // Host interval, device µs and the ratio are all present (no dashes).
        assert!(row.contains('[') && row.contains('×'), "{row}");
        assert!(!row.contains('—'), "{row}");
    }

    let out = tinybench(&store, &["compare-host"]);
    assert_eq!(code(&out), Some(0), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("fc_small/optimized"),
        "{}",
        show(&out)
    );

    // The suite file changes: the baseline is stale, reported and not shown.
    std::fs::write(
        dir.path().join("baseline-e2e.toml"),
        format!("{SUITE}\n# changed\n"),
    )
    .unwrap();
    let out = tinybench(&store, &["compare-host"]);
    assert_eq!(code(&out), Some(2), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("stale (suite file changed)"),
        "{}",
        show(&out)
    );
    assert!(!text(&out.stdout).contains("fc_small"), "{}", show(&out));
}
