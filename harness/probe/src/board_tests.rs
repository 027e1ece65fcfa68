//! The board loop against scripted sessions: RTT wrap-around and blocking, markers,
//! faults, timeouts, a lost probe, bounded attach retries.

use super::*;
use crate::fake::{FakeConnector, FakeState, Step, StepClock};
use tinybench_device::rtt::MODE_BLOCK_IF_FULL;

const RAM: u64 = 0x2000_0000;
const CB: u64 = 0x2000_0400;
const DONE_PC: u32 = 0x0000_2002;
const FAULT_PC: u32 = 0x0000_3002;

fn markers(pc: u64) -> Option<Marker> {
    match pc {
        0x2000..=0x200f => Some(Marker::Done),
        0x3000..=0x300f => Some(Marker::Fault),
        _ => None,
    }
}

fn board(ring: u32, steps: Vec<Step>) -> (FakeConnector, Box<dyn BoardSession>) {
    let mut state = FakeState::new(RAM, 0x1_0000, CB, ring);
    state.script(steps);
    let mut conn = FakeConnector::new(state);
    let session = conn.attach(1).expect("fake attaches");
    (conn, session)
}

fn limits(secs: u64) -> RunLimits {
    RunLimits {
        max_instructions: 0,
        wall_timeout: Duration::from_secs(secs),
    }
}

fn drive_fake(
    session: &mut dyn BoardSession,
    config: &BoardConfig,
    wall_secs: u64,
) -> (Result<DeviceStop, DeviceError>, Vec<Vec<u8>>) {
    let clock = StepClock::new(Duration::from_secs(1));
    let ctx = RunContext {
        rtt_control_block: CB,
        marker_of: &markers,
        config,
        probe: "fake",
    };
    let mut chunks = Vec::new();
    let stop = drive(session, &clock, &ctx, &limits(wall_secs), &mut |c, b| {
        // A one-channel control block: nothing may come from another channel.
        assert_eq!(c, 0, "bytes on up channel {c}");
        chunks.push(b.to_vec())
    });
    (stop, chunks)
}

#[test]
fn both_up_channels_drain_in_blocking_mode_each_in_its_own_order() {
    // Channel 0 and channel 1 (a power build's) interleaved, both larger than their
    // rings: each channel's bytes arrive whole and in order, tagged with the channel.
    let main: Vec<u8> = (0u8..60).collect();
    let power: Vec<u8> = (100u8..160).collect();
    let mut steps = Vec::new();
    for (m, p) in main.chunks(20).zip(power.chunks(20)) {
        steps.push(Step::Emit(m.to_vec()));
        steps.push(Step::EmitOn {
            channel: 1,
            bytes: p.to_vec(),
        });
    }
    steps.push(Step::Halt { pc: DONE_PC });
    let mut state = FakeState::with_channels(RAM, 0x1_0000, CB, &[16, 8]);
    state.script(steps);
    let mut conn = FakeConnector::new(state);
    let mut s = conn.attach(1).expect("fake attaches");
    let clock = StepClock::new(Duration::from_secs(1));
    let config = no_case_limit();
    let ctx = RunContext {
        rtt_control_block: CB,
        marker_of: &markers,
        config: &config,
        probe: "fake",
    };
    let mut got: [Vec<u8>; 2] = Default::default();
    let stop = drive(s.as_mut(), &clock, &ctx, &limits(1000), &mut |c, b| {
        got[c as usize].extend_from_slice(b)
    });
    assert_eq!(stop.unwrap(), DeviceStop::Done);
    assert_eq!(got, [main, power]);
    let st = conn.state.lock().unwrap();
    for c in 0..2 {
        assert_eq!(st.flags_of(c) & 3, MODE_BLOCK_IF_FULL, "channel {c}");
    }
}

fn no_case_limit() -> BoardConfig {
    BoardConfig {
        case_timeout: None,
        ..BoardConfig::default()
    }
}

#[test]
fn ring_wraps_and_blocks_without_losing_or_reordering_bytes() {
    // 100 bytes through a 16-byte ring: many wraps, and each Emit larger than the ring
    // has to wait for the host (blocking mode).
    let data: Vec<u8> = (0u8..100).collect();
    let steps = data
        .chunks(23)
        .map(|c| Step::Emit(c.to_vec()))
        .chain([Step::Halt { pc: DONE_PC }])
        .collect();
    let (conn, mut s) = board(16, steps);
    let (stop, chunks) = drive_fake(s.as_mut(), &no_case_limit(), 1000);
    assert_eq!(stop.unwrap(), DeviceStop::Done);
    assert_eq!(chunks.concat(), data);
    assert!(chunks.len() > 100 / 16, "ring never wrapped: {chunks:?}");
    // The host switched the channel to block-if-full.
    assert_eq!(
        conn.state.lock().unwrap().channel_flags() & 3,
        MODE_BLOCK_IF_FULL
    );
}

#[test]
fn bytes_written_just_before_the_halt_are_drained() {
    let (_c, mut s) = board(
        64,
        vec![Step::Emit(b"abc".to_vec()), Step::Halt { pc: DONE_PC }],
    );
    // The halt is seen on the same poll the bytes were written: one final drain.
    let (stop, chunks) = drive_fake(s.as_mut(), &no_case_limit(), 1000);
    assert_eq!(stop.unwrap(), DeviceStop::Done);
    assert_eq!(chunks.concat(), b"abc");
}

#[test]
fn fault_marker_is_a_firmware_reported_fault() {
    let (_c, mut s) = board(64, vec![Step::Halt { pc: FAULT_PC }]);
    let (stop, _) = drive_fake(s.as_mut(), &no_case_limit(), 1000);
    assert_eq!(stop.unwrap(), DeviceStop::FirmwareReportedFault);
}

#[test]
fn halt_in_hardfault_decodes_the_stacked_frame() {
    let frame = [1, 2, 3, 4, 12, 0x0000_1235, 0x0000_1a2c, 0x6100_0000];
    let (_c, mut s) = board(
        64,
        vec![Step::FaultHalt {
            exception: 3,
            msp: 0x2000_8000,
            frame,
        }],
    );
    let (stop, _) = drive_fake(s.as_mut(), &no_case_limit(), 1000);
    let DeviceStop::Fault(f) = stop.unwrap() else {
        panic!("not a fault")
    };
    assert_eq!(f.pc, 0x1a2c);
    assert!(f.kind.starts_with("HardFault"), "{}", f.kind);
    assert!(
        f.kind.contains("lr 0x00001235") && f.kind.contains("xpsr 0x61000000"),
        "{}",
        f.kind
    );
    let raw: Vec<u8> = frame.iter().flat_map(|w| w.to_le_bytes()).collect();
    let decoded = StackedFrame::decode(raw.as_slice().try_into().unwrap());
    assert_eq!((decoded.r[4], decoded.lr, decoded.pc), (12, 0x1235, 0x1a2c));
}

#[test]
fn lockup_and_stray_halts_are_faults_with_the_pc() {
    let (_c, mut s) = board(64, vec![Step::LockUp { pc: 0xdead }]);
    let (stop, _) = drive_fake(s.as_mut(), &no_case_limit(), 1000);
    assert!(
        matches!(stop.unwrap(), DeviceStop::Fault(Fault { pc: 0xdead, ref kind }) if kind.contains("locked up"))
    );
    let (_c, mut s) = board(64, vec![Step::Halt { pc: 0x4444 }]);
    let (stop, _) = drive_fake(s.as_mut(), &no_case_limit(), 1000);
    assert!(
        matches!(stop.unwrap(), DeviceStop::Fault(Fault { pc: 0x4444, ref kind }) if kind.contains("outside"))
    );
}

#[test]
fn a_hang_hits_the_wall_clock_limit_and_says_where() {
    // Output first, then nothing: the whole-run limit (the clock steps 1 s per read).
    let (_c, mut s) = board(64, vec![Step::Emit(b"x".to_vec())]);
    let (stop, chunks) = drive_fake(s.as_mut(), &no_case_limit(), 30);
    match stop.unwrap() {
        DeviceStop::Timeout { limit, pc, .. } => {
            assert_eq!(limit, "wall-clock limit of 30 s");
            assert_eq!(pc, Some(0xabc), "halted to read the PC");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(chunks.concat(), b"x");
}

#[test]
fn silence_hits_the_per_case_limit_before_the_run_limit() {
    let config = BoardConfig {
        case_timeout: Some(Duration::from_secs(5)),
        ..BoardConfig::default()
    };
    let steps = (0..20).map(|_| Step::Emit(b"y".to_vec())).collect();
    let (conn, mut s) = board(64, steps);
    let (stop, chunks) = drive_fake(s.as_mut(), &config, 1000);
    match stop.unwrap() {
        DeviceStop::Timeout { limit, .. } => {
            assert_eq!(limit, "per-case limit of 5 s without output")
        }
        other => panic!("{other:?}"),
    }
    // Steady output kept it alive: every byte arrived before the silence.
    assert_eq!(chunks.concat().len(), 20);
    assert_eq!(conn.state.lock().unwrap().remaining(), 0);
}

#[test]
fn an_unplugged_probe_is_an_error_not_a_hang() {
    let (_c, mut s) = board(64, vec![Step::Emit(b"ok".to_vec()), Step::Unplug]);
    let (stop, chunks) = drive_fake(s.as_mut(), &no_case_limit(), 1000);
    let err = stop.unwrap_err().to_string();
    assert!(err.contains("lost"), "{err}");
    assert_eq!(chunks.concat(), b"ok", "bytes before the unplug were kept");
}

fn attach_log(failing: u32, attempts: u32) -> (Result<(), ProbeError>, Vec<u32>, Vec<String>) {
    let mut state = FakeState::new(RAM, 0x1000, CB, 64);
    state.failing_attaches = failing;
    let mut conn = FakeConnector::new(state);
    let shared = conn.state.clone();
    let mut log = Vec::new();
    let got = attach_with_retries(
        &mut conn,
        attempts,
        Duration::from_secs(1),
        &StepClock::new(Duration::ZERO),
        &mut |l: &str| log.push(l.to_string()),
    )
    .map(|_| ());
    let attaches = shared.lock().unwrap().attaches.clone();
    (got, attaches, log)
}

#[test]
fn flaky_attach_is_retried_under_reset_and_logged() {
    let (got, attaches, log) = attach_log(2, 3);
    assert!(got.is_ok());
    assert_eq!(attaches, vec![1, 2, 3]);
    assert_eq!(log.len(), 3);
    assert!(log[0].starts_with("attach attempt 1/3 on") && log[0].contains("SWD wire error"));
    assert!(
        log[2].contains("3/3 under reset") && log[2].ends_with(": ok"),
        "{log:?}"
    );
}

#[test]
fn attach_retries_are_bounded() {
    let (got, attaches, log) = attach_log(100, 3);
    assert_eq!(attaches, vec![1, 2, 3], "exactly three attempts");
    assert_eq!(log.len(), 3);
    let err = got.unwrap_err().to_string();
    assert!(
        err.contains("after 3 attempt(s)") && err.contains("SWD wire error"),
        "{err}"
    );
}

#[test]
fn board_reports_hardware_cycles_and_refuses_to_run_unloaded() {
    let conn = FakeConnector::new(FakeState::new(RAM, 0x1000, CB, 64));
    let shared = conn.state.clone();
    let mut b = Board::new(
        Box::new(conn),
        Box::new(StepClock::new(Duration::ZERO)),
        BoardConfig::default(),
    );
    assert_eq!(b.info().count_kind, CountKind::CyclesHardware);
    let err = b
        .run(&limits(1), &mut |_, _| {})
        .expect_err("run before load");
    assert!(err.to_string().contains("no firmware loaded"), "{err}");
    assert!(shared.lock().unwrap().attaches.is_empty());
}
