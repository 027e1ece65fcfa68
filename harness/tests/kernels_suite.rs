//! The kernels suite end to end: the real `tinybench` binary builds the real firmware
//! with every op, runs it on the emulated Cortex-M4 (where the optimized kernels use the
//! DSP instructions), and the device's output must match the host's reference checksum
//! for both variants of every hot op.

mod support;
use support::root;

use std::collections::BTreeMap;
use std::process::Command;
use tinybench_results::{parse_run, CaseStatus};

#[test]
fn kernels_suite_passes_every_checksum_for_both_variants() {
    let out = Command::new(env!("CARGO_BIN_EXE_tinybench"))
        .args([
            "run",
            "--target",
            "sim-cortex-m4",
            "--suite",
            "kernels",
            "--format",
            "json",
            "--project-dir",
        ])
        .arg(root())
        .output()
        .expect("tinybench runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let run = parse_run(&String::from_utf8_lossy(&out.stdout)).expect("JSON result");
    // The run's terminal table fits 100 columns (issue 20).
    let narrow = tinybench::report::layout::Layout {
        width: Some(100),
        wide: false,
    };
    let table = tinybench::report::table::render_with(&run, &narrow);
    assert!(support::widest(&table) <= 100, "{table}");
    assert!(table.contains("ms @64 MHz"), "{table}");

    let kernels: std::collections::BTreeSet<&str> =
        run.cases.iter().map(|c| c.kernel.as_str()).collect();
    for k in [
        "conv2d",
        "depthwise_conv2d",
        "fully_connected",
        "avg_pool",
        "max_pool",
        "softmax",
        "add",
        "mul",
    ] {
        assert!(kernels.contains(k), "suite lacks {k}: {kernels:?}");
    }

    // case → variant → (device checksum, median count)
    let mut by_case: BTreeMap<String, BTreeMap<String, (u32, u64)>> = BTreeMap::new();
    for c in &run.cases {
        assert_eq!(c.status, CaseStatus::Ok, "{}: {:?}", c.name, c.status);
        assert_eq!(c.device_checksum, Some(c.host_checksum), "{}", c.name);
        let variant = c
            .variant
            .clone()
            .expect("the kernels suite asks for variants");
        let base = c
            .name
            .strip_suffix(&format!("/{variant}"))
            .expect("name ends in /variant")
            .to_string();
        let median = c.summary.expect("samples arrived").median;
        by_case
            .entry(base)
            .or_default()
            .insert(variant, (c.device_checksum.unwrap(), median));
    }
    let hot = [
        "conv2d",
        "depthwise_conv2d",
        "fully_connected",
        "avg_pool",
        "max_pool",
    ];
    let mut pairs = 0;
    for c in run
        .cases
        .iter()
        .filter(|c| hot.contains(&c.kernel.as_str()))
    {
        let base = c.name.rsplit_once('/').unwrap().0;
        let v = &by_case[base];
        let (r, o) = (v["reference"], v["optimized"]);
        // Bit-exact: the optimized kernel produced the reference's bytes on the device.
        assert_eq!(r.0, o.0, "{base}: checksums differ between variants");
        // Emulated instruction counts are deterministic, so this is no timing flake: on a
        // DSP core the optimized kernels must execute fewer instructions.
        assert!(o.1 < r.1, "{base}: optimized {} ≥ reference {}", o.1, r.1);
        pairs += 1;
    }
    assert!(
        pairs >= 2 * 13,
        "expected ≥ 13 hot cases with both variants, got {pairs} rows"
    );
}

/// Issue 16: the kernels suite needs ~146 KiB of RAM; sim-cortex-m7 (STM32H743's AXI SRAM)
/// runs all of it, both variants bit-exact, and its modeled cycles are its own (dual issue),
/// not the M4's.
#[test]
fn kernels_suite_runs_on_the_emulated_cortex_m7() {
    let run = |target: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_tinybench"))
            .args(["run", "--target", target, "--suite", "kernels"])
            .args(["--format", "json", "--no-save", "--project-dir"])
            .arg(root())
            .output()
            .expect("tinybench runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{target}: {stderr}");
        parse_run(&String::from_utf8_lossy(&out.stdout)).expect("JSON result")
    };
    let m7 = run("sim-cortex-m7");
    assert!(m7.cases.len() >= 30, "{} cases", m7.cases.len());
    let mut fewer_cycles = 0;
    for c in &m7.cases {
        assert_eq!(c.status, CaseStatus::Ok, "{}: {:?}", c.name, c.status);
        assert_eq!(c.device_checksum, Some(c.host_checksum), "{}", c.name);
        let count = c.summary.expect("samples arrived").median;
        let modeled = c.modeled_summary.expect("the M7 has a cycle model").median;
        // Dual issue: two instructions may share a cycle, so a kernel may model fewer
        // cycles than it executes instructions, which single-issue cores never do.
        if modeled < count {
            fewer_cycles += 1;
        }
    }
    assert!(
        fewer_cycles > 0,
        "no case models fewer cycles than instructions: dual issue is not modeled"
    );
}

/// Issue 18: on ARMv6-M the conv block engine and the FC inner loop are Thumb-1 asm
/// (`tinybench_thumb1`), which no host model checks: the whole kernels suite on
/// sim-cortex-m0plus, both variants, must give the host's checksums.
#[test]
fn kernels_suite_is_bit_exact_on_the_emulated_cortex_m0plus() {
    let out = Command::new(env!("CARGO_BIN_EXE_tinybench"))
        .args(["run", "--target", "sim-cortex-m0plus", "--suite", "kernels"])
        .args(["--format", "json", "--no-save", "--project-dir"])
        .arg(root())
        .output()
        .expect("tinybench runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let run = parse_run(&String::from_utf8_lossy(&out.stdout)).expect("JSON result");
    assert!(run.cases.len() >= 40, "{} cases", run.cases.len());
    for c in &run.cases {
        assert_eq!(c.status, CaseStatus::Ok, "{}: {:?}", c.name, c.status);
        assert_eq!(c.device_checksum, Some(c.host_checksum), "{}", c.name);
    }
}
