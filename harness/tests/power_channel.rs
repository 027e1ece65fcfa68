//! The power monitor's frames on RTT up channel 1 (issue 7), end to end without a board:
//! the `power-ina226` smoke firmware in the emulator, and its recorded streams replayed
//! by the probe backend's scripted board, through to the INA energy analysis.

mod support;
use support::{power_rtt_streams, root, smoke_firmware_with};

use std::time::Duration;
use tinybench::energy::measured::{monitor, MonitorPlan};
use tinybench_device::frames::FrameDecoder;
use tinybench_device::protocol::Event;
use tinybench_device::{run_firmware, FirmwareImage, RunLimits, RunOutcome, RunOutput};
use tinybench_energy::ina::{Chip, Monitor};
use tinybench_probe::fake::{FakeConnector, FakeState, Step, StepClock};
use tinybench_probe::{Board, BoardConfig};

fn limits() -> RunLimits {
    RunLimits {
        max_instructions: 100_000_000,
        wall_timeout: Duration::from_secs(600),
    }
}

fn is_power(e: &Event) -> bool {
    matches!(
        e,
        Event::Power { .. } | Event::PowerError { .. } | Event::Region { .. }
    )
}

/// (id, rep) of every `TB sample` frame, in order.
fn sample_keys(events: &[Event]) -> Vec<(u32, u32)> {
    events
        .iter()
        .filter_map(|e| match *e {
            Event::Sample { id, rep, .. } => Some((id, rep)),
            _ => None,
        })
        .collect()
}

fn checksums(events: &[Event]) -> Vec<(u32, u32)> {
    events
        .iter()
        .filter_map(|e| match *e {
            Event::Checksum { id, value } => Some((id, value)),
            _ => None,
        })
        .collect()
}

fn emulate(target: &str, image: &FirmwareImage) -> RunOutput {
    let target = tinybench::project::Project::find(Some(&root()))
        .unwrap()
        .target(target)
        .unwrap();
    let mut dev = tinybench::backend::open(&target).unwrap();
    run_firmware(dev.as_mut(), image, None, &limits(), &mut |_| {}).unwrap()
}

#[test]
fn emulated_power_build_sends_power_frames_on_channel_1_only() {
    power_frames_on_channel_1("sim-cortex-m4");
}

/// The same on RISC-V and ARMv6-M (another critical section, another counter).
#[test]
fn other_cores_send_power_frames_on_channel_1_only() {
    power_frames_on_channel_1("sim-rv32imac");
    power_frames_on_channel_1("sim-cortex-m0plus");
}

fn power_frames_on_channel_1(target: &str) {
    let power = emulate(target, &smoke_firmware_with(target, &["power-ina226"]));
    let plain = emulate(target, &smoke_firmware_with(target, &[]));
    for out in [&power, &plain] {
        assert_eq!(out.outcome, RunOutcome::Completed, "{:?}", out.outcome);
        assert_eq!(out.corrupt_frames, 0);
        assert!(out.protocol_errors.is_empty(), "{:?}", out.protocol_errors);
    }
    // Channel 0 carries no power frame; channel 1 nothing else.
    assert!(!power.events.iter().any(is_power), "{:?}", power.events);
    assert!(power.power_events.iter().all(is_power));
    // The default build has no channel 1 at all.
    assert!(plain.power_events.is_empty(), "{:?}", plain.power_events);
    // On the emulator the bus is NoBus: the failed configuration at start-up, then two
    // failed readings and one region start per timed repetition, in that order.
    let samples = sample_keys(&power.events);
    assert_eq!(samples.len(), 25, "5 cases × 5 repetitions");
    assert_eq!(power.power_events.len(), 1 + 3 * samples.len());
    assert!(matches!(power.power_events[0], Event::PowerError { .. }));
    for (rep, frames) in power.power_events[1..].chunks(3).enumerate() {
        let (id, r) = samples[rep];
        assert!(
            matches!(
                frames,
                [Event::PowerError { .. }, Event::Region { id: i, rep: p, .. }, Event::PowerError { .. }]
                    if (*i, *p) == (id, r)
            ),
            "repetition {rep}: {frames:?}"
        );
    }
    // The case results on channel 0 are those of the default build.
    assert_eq!(samples, sample_keys(&plain.events));
    assert_eq!(checksums(&power.events), checksums(&plain.events));
    assert_eq!(checksums(&power.events).len(), 5);
}

#[test]
fn emulated_power_build_cases_still_pass_through_the_runner() {
    use tinybench::run::{BuildSettings, Payload, Quiet, RunPlan};
    let project = tinybench::project::Project::find(Some(&root())).unwrap();
    let target = project.target("sim-cortex-m4").unwrap();
    let suite = project.suite("smoke").unwrap();
    let build = BuildSettings {
        root: root(),
        build_dir: project.build_dir.clone(),
        toolchain: Default::default(),
        install_targets: false,
        features: vec!["power-ina226".into()],
    };
    let plan = RunPlan::new(target, Payload::suite(suite), build).with_limits(limits());
    let fin = tinybench::run::execute(&plan, std::sync::Arc::new(Quiet))
        .unwrap()
        .finished;
    assert_eq!(fin.outcome, RunOutcome::Completed);
    assert_eq!(fin.result.cases.len(), 5);
    for c in &fin.result.cases {
        assert!(c.status.is_ok(), "{}: {:?}", c.name, c.status);
        assert_eq!(c.samples.len(), 5, "{}", c.name);
    }
    assert!(
        fin.warnings.iter().all(|w| !w.contains("corrupt")),
        "{:?}",
        fin.warnings
    );
}

#[test]
fn replayed_power_streams_reach_the_monitor_analysis() {
    let (image, [main, power]) = power_rtt_streams();
    // What the emulator's firmware said on channel 1, decoded on its own.
    let recorded: Vec<Event> = FrameDecoder::from_elf(&image.bytes)
        .unwrap()
        .push(&power)
        .into_iter()
        .map(|f| Event::from_frame(&f.unwrap()).unwrap())
        .collect();
    assert_eq!(recorded.len(), 1 + 3 * 25);
    // Replay on a scripted board with a two-channel control block: both streams in
    // interleaved pieces, through rings smaller than the pieces (blocking, wrapping).
    let cb = image.symbol("_SEGGER_RTT").unwrap();
    let mut state = FakeState::with_channels(0x2000_0000, 0x4_0000, cb, &[256, 64]);
    let (m, p): (Vec<&[u8]>, Vec<&[u8]>) =
        (main.chunks(300).collect(), power.chunks(100).collect());
    let mut steps = Vec::new();
    for i in 0..m.len().max(p.len()) {
        if let Some(m) = m.get(i) {
            steps.push(Step::Emit(m.to_vec()));
        }
        if let Some(p) = p.get(i) {
            steps.push(Step::EmitOn {
                channel: 1,
                bytes: p.to_vec(),
            });
        }
    }
    steps.push(Step::Halt {
        pc: image.symbol("tinybench_done").unwrap() as u32 + 2,
    });
    state.script(steps);
    let mut board = Board::new(
        Box::new(FakeConnector::new(state)),
        Box::new(StepClock::new(Duration::from_secs(1))),
        BoardConfig {
            case_timeout: None,
            ..BoardConfig::default()
        },
    );
    let out = run_firmware(&mut board, &image, None, &limits(), &mut |_| {}).unwrap();
    assert_eq!(out.outcome, RunOutcome::Completed, "{:?}", out.outcome);
    assert_eq!(out.corrupt_frames, 0);
    assert!(out.protocol_errors.is_empty(), "{:?}", out.protocol_errors);
    assert!(!out.events.iter().any(is_power));
    assert_eq!(out.power_events, recorded);
    assert_eq!(sample_keys(&out.events).len(), 25);
    let plan = MonitorPlan {
        monitor: Monitor {
            chip: Chip::Ina226,
            shunt_ohm: 0.1,
        },
        clock_hz: 64e6,
        counter_bits: 32,
    };
    // As recorded (the emulator's bus always fails), the analysis says why.
    let err = monitor(&plan, &out.events, &out.power_events).unwrap_err();
    assert!(err.to_string().contains("0 usable reading"), "{err}");
    // A working INA226 would have sent a reading where each failure is: 5 mV on the
    // shunt (2000 × 2.5 µV, 50 mA over 0.1 Ω) at 3.3 V (2640 × 1.25 mV), a constant
    // 165 mW. (Done on events: this firmware cannot send `TB power`, its optimizer drops
    // the frame since NoBus never answers, so its defmt table lacks it.) The windows
    // come from channel 1's region starts and channel 0's counts, on the recorded clock.
    let readings: Vec<Event> = out
        .power_events
        .iter()
        .map(|e| match *e {
            Event::PowerError { t } => Event::Power {
                t,
                shunt: 2000,
                bus: 2640,
            },
            ref other => other.clone(),
        })
        .collect();
    let (energy, issues) = monitor(&plan, &out.events, &readings).unwrap();
    assert!(issues.iter().all(|i| !i.contains("skipped")), "{issues:?}");
    assert_eq!(energy.len(), 5, "{energy:?}");
    for e in &out.events {
        if let Event::Sample { id, rep, count } = *e {
            let want = 0.165 * f64::from(count.max(1)) / 64e6 * 1e6;
            let got = energy[&id].per_inference_uj[rep as usize];
            assert!(
                (got - want).abs() <= 1e-9 + 1e-9 * want,
                "case {id} rep {rep}: {got} µJ, expected {want}"
            );
        }
    }
    // Without channel 1 the analysis says where the frames should have been.
    let err = monitor(&plan, &out.events, &[]).unwrap_err();
    assert!(err.to_string().contains("channel 1"), "{err}");
}
