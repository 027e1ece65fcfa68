//! `tinybench profile` on the emulator: the per-function counts add up to the firmware's
//! own measurement, the kernel is the hottest function, and the flamegraph names it.

mod support;
use std::process::Command;
use support::command;

use std::path::Path;

#[test]
fn profile_adds_up_and_names_the_kernel() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = command(&[
        "profile",
        "--target",
        "sim-cortex-m4",
        "--suite",
        "smoke",
        "--case",
        "fc_odd_shape",
        "--lines",
        "--out",
        out_dir.path().to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(match)"), "{stdout}");
    // The first row of the function table is the kernel.
    let first_row = stdout
        .lines()
        .find(|l| l.starts_with("│ ") && !l.contains("function"))
        .unwrap();
    assert!(
        first_row.contains("tinybench_kernels::fc::fully_connected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("kernels/src/fc.rs:"),
        "no source lines: {stdout}"
    );
    // Folded stacks add up to the profile's total.
    let folded = std::fs::read_to_string(out_dir.path().join("fc_odd_shape.folded")).unwrap();
    let sum: u64 = folded
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    let total: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("profile total "))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(sum, total);
    assert!(
        folded
            .lines()
            .any(|l| l.starts_with("tinybench_firmware::__cortex_m_rt_main;")
                && l.contains(";tinybench_kernels::fc::fully_connected ")),
        "{folded}"
    );
    let svg = std::fs::read_to_string(out_dir.path().join("fc_odd_shape.svg")).unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("fully_connected"));
}

#[test]
fn conv2d_profile_adds_up_and_its_kernel_is_hottest() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = command(&[
        "profile",
        "--suite",
        "kernels",
        "--case",
        "kws_pw/optimized",
        "--out",
        out_dir.path().to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(match)"), "{stdout}");
    let first_row = stdout
        .lines()
        .find(|l| l.starts_with("│ ") && !l.contains("function"))
        .unwrap();
    assert!(
        first_row.contains("tinybench_kernels::conv::"),
        "hottest is not the conv kernel: {stdout}"
    );
    assert!(out_dir.path().join("kws_pw-optimized.svg").is_file());
}

#[test]
fn profile_of_an_unknown_case_lists_the_suite_cases() {
    let out = command(&["profile", "--case", "conv_nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no case `conv_nope`") && err.contains("fc_tiny"),
        "{err}"
    );
}

/// The flamegraph opens in a browser: headless Chromium renders it and its DOM names the
/// kernel. Chromium comes from ci/setup.sh; without it (outside CI) the check is skipped.
#[test]
fn flamegraph_renders_in_headless_chromium() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (ci/setup.sh installs it)"
        );
        eprintln!("chromium not installed: skipping the browser check");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = command(&[
        "profile",
        "--case",
        "fc_tiny",
        "--out",
        dir.path().to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = dir.path().join("fc_tiny.svg");
    let profile_dir = dir.path().join("chromium-profile");
    let headless = |extra: &[&str]| {
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
            ])
            .args([
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1200,400",
            ])
            .arg(format!("--user-data-dir={}", profile_dir.display()))
            .args(extra)
            .arg(format!("file://{}", svg.display()))
            .output()
            .unwrap()
    };
    let dom = headless(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("tinybench_kernels::fc::fully_connected"),
        "rendered DOM lacks the kernel: {}",
        &dom[..dom.len().min(500)]
    );
    let png = dir.path().join("flame.png");
    headless(&[&format!("--screenshot={}", png.display())]);
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000,
        "blank screenshot ({} bytes)",
        bytes.len()
    );
}
