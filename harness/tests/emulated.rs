//! End-to-end tests: the real `tinybench` binary builds the real firmware and runs it in
//! the emulator. Self-test firmware features inject a wrong output, a fault and a hang.

mod support;
use support::{root, smoke_rtt_stream, text, tinybench};

use std::process::Output;
use tinybench_device::frames::FrameDecoder;
use tinybench_results::{parse_run, CaseStatus, RunResult};

fn run_json(extra: &[&str]) -> (Output, Option<RunResult>) {
    let mut args = vec![
        "run",
        "--target",
        "sim-cortex-m4",
        "--suite",
        "smoke",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = tinybench(&args);
    let parsed = parse_run(&text(&out.stdout)).ok();
    (out, parsed)
}

#[test]
fn smoke_passes_and_counts_repeat_exactly() {
    let (out, first) = run_json(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let first = first.expect("JSON result");
    assert_eq!(first.cases.len(), 5);
    assert_eq!(first.count_kind.label(), "instructions, emulated");
    for c in &first.cases {
        assert_eq!(c.status, CaseStatus::Ok, "{}", c.name);
        assert_eq!(c.device_checksum, Some(c.host_checksum));
        assert_eq!(c.samples.len(), 5, "{}", c.name);
        // A kernel call costs at least one instruction per MAC on any core.
        assert!(
            c.summary.unwrap().min >= c.macs,
            "{}: {:?}",
            c.name,
            c.summary
        );
    }
    let (_, second) = run_json(&[]);
    let second = second.expect("second JSON result");
    for (a, b) in first.cases.iter().zip(&second.cases) {
        assert_eq!(
            a.raw_samples, b.raw_samples,
            "{}: instruction counts differ between runs",
            a.name
        );
    }
    assert_eq!(first.overhead_samples, second.overhead_samples);
}

#[test]
fn table_output_labels_the_counts() {
    let out = tinybench(&["run"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("counts are instructions, emulated"),
        "{table}"
    );
    assert_eq!(table.matches('✔').count(), 5, "{table}");
}

#[test]
fn wrong_output_is_a_checksum_mismatch_with_exit_1() {
    let (out, res) = run_json(&["--firmware-feature", "selftest-wrong-output"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    let res = res.expect("JSON result");
    assert_eq!(res.cases[0].status, CaseStatus::ChecksumMismatch);
    assert!(res.cases[1..].iter().all(|c| c.status.is_ok()));
    assert!(text(&out.stderr).contains("fc_tiny"));
}

#[test]
fn fault_reports_kind_and_symbolized_pc() {
    let (out, res) = run_json(&["--firmware-feature", "selftest-fault"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("invalid memory read"), "{err}");
    assert!(err.contains("0x6ffffff0"), "{err}");
    assert!(err.contains("(selftest_fault+0x"), "{err}");
    // The cases before the fault completed and were kept.
    assert!(res.expect("JSON").cases.iter().all(|c| c.status.is_ok()));
}

#[test]
fn hang_ends_in_a_timeout_within_the_budget() {
    let start = std::time::Instant::now();
    let (out, _) = run_json(&[
        "--firmware-feature",
        "selftest-hang",
        "--max-instructions",
        "3000000",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("timeout") && err.contains("instruction budget of 3000000"),
        "{err}"
    );
    assert!(err.contains("selftest_hang"), "{err}");
    assert!(
        start.elapsed().as_secs() < 240,
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn malformed_suite_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    let smoke = std::fs::read_to_string(root().join("suites/smoke.toml")).unwrap();
    let broken = smoke
        .replace("name = \"smoke\"", "name = \"broken\"")
        .replacen("in_features = 16", "in_features = 0", 1);
    std::fs::write(&path, &broken).unwrap();
    let line = broken.lines().position(|l| l == "in_features = 0").unwrap() + 1;
    let out = tinybench(&["run", "--suite", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("broken.toml:{line}:")), "{err}");
    assert!(err.contains("case[0].in_features"), "{err}");
}

#[test]
fn unknown_target_lists_known_ones() {
    let out = tinybench(&["run", "--target", "sim-z80"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown target `sim-z80`") && err.contains("sim-cortex-m4"),
        "{err}"
    );
}

#[test]
fn board_target_fails_fast_without_building() {
    let out = tinybench(&["run", "--target", "nrf52840"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("nRF52840_xxAA") && err.contains("probe-rs"),
        "{err}"
    );
    assert!(
        !err.contains("firmware for"),
        "built although nothing can run it: {err}"
    );
}

#[test]
fn list_targets_shows_both_kinds() {
    let out = tinybench(&["list", "targets"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(s.contains("sim-cortex-m4") && s.contains("emulator"), "{s}");
    assert!(
        s.contains("nrf52840") && s.contains("board (probe-rs chip nRF52840_xxAA)"),
        "{s}"
    );
}

#[test]
fn decoder_reassembles_split_frames_and_survives_corruption() {
    let (image, bytes) = smoke_rtt_stream();
    let whole: Vec<_> = FrameDecoder::from_elf(&image.bytes).unwrap().push(&bytes);
    assert!(whole.iter().all(|f| f.is_ok()));
    assert_eq!(whole.last().unwrap().as_ref().unwrap().message, "TB done");
    // Byte by byte: every frame is split across pushes; the same frames come out.
    let mut dec = FrameDecoder::from_elf(&image.bytes).unwrap();
    let trickled: Vec<_> = bytes.chunks(1).flat_map(|b| dec.push(b)).collect();
    assert_eq!(trickled, whole);
    // Corrupt the first frame's header: reported once, and every later frame decodes.
    let mut bad = bytes.clone();
    let start = bad.iter().position(|&b| b != 0).unwrap();
    let end = start + bad[start..].iter().position(|&b| b == 0).unwrap();
    // rzCOBS decodes from the end: a trailing 0xFF announces 134 more bytes than a short
    // frame has, so the frame cannot decode.
    for b in &mut bad[start..end] {
        *b = 0xFF;
    }
    let frames = FrameDecoder::from_elf(&image.bytes).unwrap().push(&bad);
    assert!(frames[0].is_err(), "{:?}", frames[0]);
    assert_eq!(frames[1..], whole[1..]);
    // Truncated: the unfinished frame is visible as pending bytes.
    let mut dec = FrameDecoder::from_elf(&image.bytes).unwrap();
    let cut = dec.push(&bytes[..bytes.len() - 2]);
    assert_eq!(cut.len(), whole.len() - 1);
    assert!(dec.pending() > 0);
}
