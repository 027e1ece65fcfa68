//! The board path without a board: the probe backend's `Board` driven by a scripted board
//! (tinybench-probe's `fake` feature) that serves RTT from RAM, fed with the RTT stream the
//! real smoke firmware produced in the emulator; and the CLI with no probe attached.

mod support;
use support::{root, smoke_rtt_stream, text, tinybench};

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tinybench_device::protocol::Event;
use tinybench_device::{run_firmware, FirmwareImage, RunLimits, RunOutcome};
use tinybench_probe::fake::{FakeConnector, FakeState, Step, StepClock};
use tinybench_probe::{Board, BoardConfig};
use tinybench_results::{CountKind, RunResult};

fn limits(secs: u64) -> RunLimits {
    RunLimits {
        max_instructions: 100_000_000,
        wall_timeout: Duration::from_secs(secs),
    }
}

/// A board with a 256-byte ring (the recording is several KiB: it wraps many times).
fn board(image: &FirmwareImage, steps: Vec<Step>) -> (Board, Arc<Mutex<FakeState>>) {
    let cb = image.symbol("_SEGGER_RTT").unwrap();
    let mut state = FakeState::new(0x2000_0000, 0x4_0000, cb, 256);
    state.script(steps);
    let conn = FakeConnector::new(state);
    let shared = conn.state.clone();
    let config = BoardConfig {
        case_timeout: None,
        ..BoardConfig::default()
    };
    let b = Board::new(
        Box::new(conn),
        Box::new(StepClock::new(Duration::from_secs(1))),
        config,
    );
    (b, shared)
}

fn done_pc(image: &FirmwareImage) -> u32 {
    // Inside the marker function, where its `bkpt` halts the core.
    image.symbol("tinybench_done").unwrap() as u32 + 2
}

/// Index just past the end of the `n`-th (0-based) frame; stray delimiters between
/// frames (the stream starts with one) are not frames.
fn after_frame(bytes: &[u8], n: usize) -> usize {
    let mut seen = 0;
    let mut in_frame = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b != 0 {
            in_frame = true;
        } else if in_frame {
            if seen == n {
                return i + 1;
            }
            seen += 1;
            in_frame = false;
        }
    }
    panic!("the recording has fewer than {} frames", n + 1)
}

#[test]
fn replayed_run_completes_with_frames_split_across_reads() {
    let (image, bytes) = smoke_rtt_stream();
    // Cut in the middle of the third frame: it arrives in two reads.
    let cut = after_frame(&bytes, 1) + 3;
    let steps = vec![
        Step::Emit(bytes[..cut].to_vec()),
        Step::Emit(bytes[cut..].to_vec()),
        Step::Halt {
            pc: done_pc(&image),
        },
    ];
    let (mut b, shared) = board(&image, steps);
    let mut events = Vec::new();
    let out = run_firmware(&mut b, &image, None, &limits(1000), &mut |e| {
        events.push(e.clone())
    })
    .unwrap();
    assert_eq!(out.outcome, RunOutcome::Completed, "{:?}", out.outcome);
    assert_eq!(out.corrupt_frames, 0);
    assert_eq!(out.info.count_kind, CountKind::CyclesHardware);
    // Every frame of the recording arrived once, in order.
    assert!(matches!(
        events.first(),
        Some(Event::Hello { cases: 5, .. })
    ));
    assert_eq!(events.last(), Some(&Event::Done));
    let samples = events
        .iter()
        .filter(|e| matches!(e, Event::Sample { .. }))
        .count();
    assert_eq!(samples, 25, "5 cases × 5 repetitions");
    let s = shared.lock().unwrap();
    assert_eq!(s.flashed, vec![image.bytes.len()], "flashed once");
    assert_eq!(s.attaches, vec![1]);
}

#[test]
fn corrupt_frame_is_counted_and_the_run_goes_on() {
    let (image, mut bytes) = smoke_rtt_stream();
    let start = bytes.iter().position(|&b| b != 0).unwrap();
    let end = after_frame(&bytes, 0) - 1;
    // rzCOBS decodes from the end: 0xFF bytes announce more data than the frame has.
    for b in &mut bytes[start..end] {
        *b = 0xFF;
    }
    let steps = vec![
        Step::Emit(bytes),
        Step::Halt {
            pc: done_pc(&image),
        },
    ];
    let (mut b, _) = board(&image, steps);
    let out = run_firmware(&mut b, &image, None, &limits(1000), &mut |_| {}).unwrap();
    assert_eq!(out.corrupt_frames, 1);
    assert_eq!(out.outcome, RunOutcome::Completed);
}

#[test]
fn hardfault_halt_is_decoded_and_symbolized_with_the_elf() {
    let (image, bytes) = smoke_rtt_stream();
    let reset = image.symbol("Reset").unwrap() as u32;
    let steps = vec![
        Step::Emit(bytes[..after_frame(&bytes, 3)].to_vec()),
        Step::FaultHalt {
            exception: 3,
            msp: 0x2003_0000,
            frame: [0, 0, 0, 0, 0, 0x0000_0777, reset + 4, 0x2100_0000],
        },
    ];
    let (mut b, _) = board(&image, steps);
    let out = run_firmware(&mut b, &image, None, &limits(1000), &mut |_| {}).unwrap();
    match out.outcome {
        RunOutcome::Fault { kind, pc, symbol } => {
            assert!(kind.starts_with("HardFault"), "{kind}");
            assert!(kind.contains("lr 0x00000777"), "{kind}");
            assert_eq!(pc, u64::from(reset) + 4);
            assert_eq!(symbol.as_deref(), Some("Reset+0x4"));
        }
        other => panic!("{other:?}"),
    }
    // The frames before the fault were kept.
    assert_eq!(out.events.len(), 4);
}

#[test]
fn a_board_that_stops_talking_times_out_and_keeps_what_it_sent() {
    let (image, bytes) = smoke_rtt_stream();
    let steps = vec![Step::Emit(bytes[..after_frame(&bytes, 5)].to_vec())];
    let (mut b, _) = board(&image, steps);
    let out = run_firmware(&mut b, &image, None, &limits(20), &mut |_| {}).unwrap();
    assert!(
        matches!(&out.outcome, RunOutcome::Timeout { limit, .. } if limit == "wall-clock limit of 20 s"),
        "{:?}",
        out.outcome
    );
    assert_eq!(out.events.len(), 6);
}

#[test]
fn flaky_attach_recovers_and_an_unplug_is_an_error() {
    let (image, bytes) = smoke_rtt_stream();
    let steps = vec![Step::Emit(bytes[..100].to_vec()), Step::Unplug];
    let (b, shared) = board(&image, steps);
    shared.lock().unwrap().failing_attaches = 1;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = log.clone();
    let mut b = b.with_log(Box::new(move |s| l.lock().unwrap().push(s.to_string())));
    let err = run_firmware(&mut b, &image, None, &limits(1000), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("lost"), "{err}");
    assert_eq!(shared.lock().unwrap().attaches, vec![1, 2]);
    let log = log.lock().unwrap();
    assert!(
        log.iter()
            .any(|l| l.contains("attempt 1/3") && l.contains("SWD")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("attempt 2/3 under reset") && l.ends_with("ok")),
        "{log:?}"
    );
}

#[test]
fn probes_verb_says_none_are_attached_and_exits_0() {
    let out = Command::new(env!("CARGO_BIN_EXE_tinybench"))
        .arg("probes")
        .output()
        .expect("tinybench runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("no debug probes found"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn board_run_without_probe_fails_fast_naming_probe_and_selection() {
    let out = tinybench(&["run", "--target", "nrf52840"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("no debug probe found for target nrf52840"),
        "{err}"
    );
    assert!(
        err.contains("nRF52840_xxAA") && err.contains("--probe VID:PID"),
        "{err}"
    );
    assert!(
        !err.contains("firmware for"),
        "built although nothing can run it: {err}"
    );
    // The same with an emulated target next to it: nothing is built or run.
    let out = tinybench(&["run", "--target", "sim-cortex-m4", "--target", "nrf52840"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("firmware for"));
    // A probe that is named but absent is named back.
    let out = tinybench(&["run", "--target", "nrf52840", "--probe", "1366:1015:000683"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("probe 1366:1015:000683 (--probe)") && err.contains("not attached"),
        "{err}"
    );
}

#[test]
fn all_attached_needs_a_runner_config_and_reports_absent_boards() {
    let out = tinybench(&["run", "--all-attached"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("needs a runner config"));
    let cfg = root().join("ci/runner.toml");
    let out = tinybench(&[
        "run",
        "--all-attached",
        "--runner-config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has its probe attached"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn two_emulated_devices_in_parallel_give_one_result_set() {
    let out = tinybench(&[
        "run",
        "--target",
        "sim-cortex-m4",
        "--target",
        "sim-cortex-m4",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let set: Vec<RunResult> = serde_json::from_str(&text(&out.stdout)).expect("a JSON array");
    assert_eq!(set.len(), 2);
    assert_eq!(set[0].cases, set[1].cases, "same firmware, same counts");
}

#[test]
fn build_only_builds_a_board_target_without_a_probe() {
    let out = tinybench(&["run", "--target", "nrf52840", "--build-only"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = text(&out.stdout);
    let path = Path::new(path.trim());
    assert!(
        path.extension().is_some_and(|e| e == "elf") && path.exists(),
        "{path:?}"
    );
    let image = FirmwareImage::parse(std::fs::read(path).unwrap()).unwrap();
    assert!(image.symbol("_SEGGER_RTT").is_some());
}

/// `run --model` goes through the same plan as a suite run: on a board target it takes
/// the probe from `--probe` or the runner config, and fails before building when that
/// probe is absent, naming it.
#[test]
fn model_run_on_a_board_honours_probe_and_runner_config() {
    let model = support::models_dir().join("ad01_int8.tflite");
    let m = model.to_str().unwrap();
    let out = tinybench(&[
        "run",
        "--target",
        "nrf52840",
        "--model",
        m,
        "--probe",
        "1366:1015:000683",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("probe 1366:1015:000683 (--probe)") && err.contains("not attached"),
        "{err}"
    );
    assert!(
        !err.contains("firmware for"),
        "built although nothing can run it: {err}"
    );
    // The runner config maps nrf52840 to a serial of its own: that one is named.
    let cfg = root().join("ci/runner.toml");
    let out = tinybench(&[
        "run",
        "--target",
        "nrf52840",
        "--model",
        m,
        "--runner-config",
        cfg.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("1366:1015:000683000000") && err.contains("not attached"),
        "{err}"
    );
    // A model runs on one target: --all-attached is refused, not ignored.
    let out = tinybench(&["run", "--all-attached", "--model", m]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("a model runs on one target"));
}
