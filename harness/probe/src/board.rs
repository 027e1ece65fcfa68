//! A board behind a debug probe, as a [`Device`]: attach (bounded retries), flash and
//! verify, reset and run, drain RTT, and decide how the run stopped.
//!
//! Everything here talks to hardware only through [`BoardSession`] / [`Connector`] /
//! [`Clock`], so the whole loop runs in tests against scripted sessions.

use crate::session::{BoardSession, Clock, Connector, CoreState, FlashStatus, Reg, SessionError};
use crate::ProbeError;
use std::time::Duration;
use tinybench_device::rtt::{run_channels, RttError, UpChannel};
use tinybench_device::{
    Device, DeviceError, DeviceInfo, DeviceStop, Fault, FirmwareImage, RunLimits,
};
use tinybench_results::CountKind;

/// Exception numbers (IPSR) of the Cortex-M fault handlers: HardFault, MemManage,
/// BusFault, UsageFault, SecureFault.
const FAULT_EXCEPTIONS: [u32; 5] = [3, 4, 5, 6, 7];

/// How a board is driven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardConfig {
    /// Attach attempts before giving up (at least 1). Attempts after the first attach
    /// under reset.
    pub attach_attempts: u32,
    /// Pause between attach attempts.
    pub retry_pause: Duration,
    /// Pause between polls when the RTT ring was empty.
    pub poll_interval: Duration,
    /// Per-case limit: the run stops when the firmware sends nothing for this long
    /// (every case sends frames as it goes, so silence means a case hangs).
    pub case_timeout: Option<Duration>,
}

impl Default for BoardConfig {
    fn default() -> Self {
        Self {
            attach_attempts: 3,
            retry_pause: Duration::from_millis(500),
            poll_interval: Duration::from_millis(2),
            case_timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// Which marker function a halted PC is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `tinybench_done`.
    Done,
    /// `tinybench_fault`.
    Fault,
}

/// Where a session is polled from and what the loop needs to know about the firmware.
pub struct RunContext<'a> {
    /// Address of `_SEGGER_RTT`.
    pub rtt_control_block: u64,
    /// Which marker function (if any) an address lies in.
    pub marker_of: &'a dyn Fn(u64) -> Option<Marker>,
    /// Board settings.
    pub config: &'a BoardConfig,
    /// Probe and chip, for messages.
    pub probe: &'a str,
}

/// Attach through `connector`, at most `attempts` times, logging every attempt.
/// A probe that is gone (`lost`) is not retried.
pub fn attach_with_retries(
    connector: &mut dyn Connector,
    attempts: u32,
    pause: Duration,
    clock: &dyn Clock,
    log: &mut dyn FnMut(&str),
) -> Result<Box<dyn BoardSession>, ProbeError> {
    let attempts = attempts.max(1);
    let probe = connector.describe();
    let mut last = SessionError::new("no attempt made");
    for attempt in 1..=attempts {
        let how = if attempt == 1 { "" } else { " under reset" };
        match connector.attach(attempt) {
            Ok(session) => {
                log(&format!(
                    "attach attempt {attempt}/{attempts}{how} on {probe}: ok"
                ));
                return Ok(session);
            }
            Err(e) => {
                log(&format!(
                    "attach attempt {attempt}/{attempts}{how} on {probe}: {e}"
                ));
                let lost = e.lost;
                last = e;
                if lost {
                    return Err(ProbeError::Attach {
                        probe,
                        attempts: attempt,
                        last: last.detail,
                    });
                }
                if attempt < attempts {
                    clock.sleep(pause);
                }
            }
        }
    }
    Err(ProbeError::Attach {
        probe,
        attempts,
        last: last.detail,
    })
}

fn backend_err(probe: &str, what: &str, e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Backend {
        backend: "probe-rs".into(),
        detail: format!("{probe}: {what}: {e}"),
    }
}

/// Drain the up channels into `on_bytes`; the bytes read from all of them. A memory
/// error ends the run (the probe or the board went away); a corrupt control block is
/// reported as such.
fn drain(
    session: &mut dyn BoardSession,
    rtts: &mut [UpChannel],
    on_bytes: &mut dyn FnMut(u32, &[u8]),
    probe: &str,
) -> Result<usize, DeviceError> {
    let mut total = 0;
    for rtt in rtts {
        let mut buf = Vec::new();
        match rtt.drain(session, &mut buf) {
            Ok(n) => {
                if n > 0 {
                    on_bytes(rtt.channel(), &buf);
                }
                total += n;
            }
            Err(RttError::Memory { addr, detail }) => {
                return Err(backend_err(
                    probe,
                    "lost the target mid-run (probe unplugged or board reset?)",
                    format!("reading RTT at {addr:#x}: {detail}"),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(total)
}

/// Run the already reset firmware until it stops, passing RTT bytes on as they come.
pub fn drive(
    session: &mut dyn BoardSession,
    clock: &dyn Clock,
    ctx: &RunContext<'_>,
    limits: &RunLimits,
    on_bytes: &mut dyn FnMut(u32, &[u8]),
) -> Result<DeviceStop, DeviceError> {
    let probe = ctx.probe;
    let mut rtt = run_channels(ctx.rtt_control_block);
    let start = clock.now();
    let mut last_output = start;
    let lost = |e: SessionError| backend_err(probe, "lost the probe mid-run", e);
    loop {
        let got = drain(session, &mut rtt, on_bytes, probe)?;
        let now = clock.now();
        if got > 0 {
            last_output = now;
        }
        match session.state().map_err(lost)? {
            CoreState::Running => {
                let limit = if now.saturating_sub(start) >= limits.wall_timeout {
                    Some(format!(
                        "wall-clock limit of {} s",
                        limits.wall_timeout.as_secs_f64()
                    ))
                } else {
                    ctx.config
                        .case_timeout
                        .filter(|t| now.saturating_sub(last_output) >= *t)
                        .map(|t| format!("per-case limit of {} s without output", t.as_secs_f64()))
                };
                if let Some(limit) = limit {
                    // Halt to say where it hung; a failing halt still ends the run.
                    let pc = session
                        .halt()
                        .and_then(|()| session.read_reg(Reg::Pc))
                        .ok()
                        .map(u64::from);
                    return Ok(DeviceStop::Timeout {
                        limit,
                        instructions: None,
                        pc,
                    });
                }
                if got == 0 {
                    clock.sleep(ctx.config.poll_interval);
                }
            }
            state @ (CoreState::Halted | CoreState::LockedUp) => {
                // Everything the firmware wrote before stopping.
                while drain(session, &mut rtt, on_bytes, probe)? > 0 {}
                return stopped(session, ctx, state).map_err(lost);
            }
        }
    }
}

/// Classify a stopped core: a marker, a fault handler with a stacked frame, lockup, or
/// a halt somewhere else.
fn stopped(
    session: &mut dyn BoardSession,
    ctx: &RunContext<'_>,
    state: CoreState,
) -> Result<DeviceStop, SessionError> {
    let pc = u64::from(session.read_reg(Reg::Pc)?);
    if state == CoreState::LockedUp {
        return Ok(DeviceStop::Fault(Fault {
            kind: "core locked up (a fault while handling a fault)".into(),
            pc,
        }));
    }
    match (ctx.marker_of)(pc) {
        Some(Marker::Done) => return Ok(DeviceStop::Done),
        Some(Marker::Fault) => return Ok(DeviceStop::FirmwareReportedFault),
        None => {}
    }
    let xpsr = session.read_reg(Reg::Xpsr)?;
    let exception = xpsr & 0x1ff;
    if FAULT_EXCEPTIONS.contains(&exception) {
        let frame = stacked_frame(session)?;
        return Ok(DeviceStop::Fault(Fault {
            kind: format!(
                "{} (core halted in its handler; stacked lr {:#010x}, xpsr {:#010x})",
                exception_name(exception),
                frame.lr,
                frame.xpsr
            ),
            pc: u64::from(frame.pc),
        }));
    }
    Ok(DeviceStop::Fault(Fault {
        kind: "core halted outside the done/fault markers (breakpoint or external halt)".into(),
        pc,
    }))
}

fn exception_name(n: u32) -> &'static str {
    match n {
        3 => "HardFault",
        4 => "MemManage fault",
        5 => "BusFault",
        6 => "UsageFault",
        _ => "SecureFault",
    }
}

/// The eight words an ARMv6/7/8-M core pushes on exception entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackedFrame {
    /// r0–r3, r12.
    pub r: [u32; 5],
    /// Link register at the fault.
    pub lr: u32,
    /// Address of the faulting instruction.
    pub pc: u32,
    /// Program status at the fault.
    pub xpsr: u32,
}

impl StackedFrame {
    /// Decode the 32 bytes at the stack pointer.
    pub fn decode(raw: &[u8; 32]) -> Self {
        let w = |i: usize| {
            u32::from_le_bytes([raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]])
        };
        Self {
            r: [w(0), w(1), w(2), w(3), w(4)],
            lr: w(5),
            pc: w(6),
            xpsr: w(7),
        }
    }
}

/// Read the frame from the stack the exception used: EXC_RETURN in LR says MSP or PSP
/// (bit 2) while the handler has not overwritten LR, as at a vector-catch halt.
fn stacked_frame(session: &mut dyn BoardSession) -> Result<StackedFrame, SessionError> {
    let lr = session.read_reg(Reg::Lr)?;
    let is_exc_return = lr >= 0xFFFF_FF00;
    let sp = if is_exc_return && lr & 4 != 0 {
        session.read_reg(Reg::Psp)?
    } else {
        session.read_reg(Reg::Msp)?
    };
    let mut raw = [0u8; 32];
    session
        .read(u64::from(sp), &mut raw)
        .map_err(|e| SessionError::new(format!("reading the stacked frame at {sp:#x}: {e}")))?;
    Ok(StackedFrame::decode(&raw))
}

/// Callback for flash progress.
pub type ProgressSink = Box<dyn FnMut(FlashStatus) + Send>;
/// Callback for log lines (attach attempts, flashing).
pub type LogSink = Box<dyn FnMut(&str) + Send>;

/// A board: the [`Device`] of the probe backend.
pub struct Board {
    connector: Box<dyn Connector>,
    clock: Box<dyn Clock>,
    config: BoardConfig,
    session: Option<Box<dyn BoardSession>>,
    image: Option<FirmwareImage>,
    progress: ProgressSink,
    log: LogSink,
}

impl Board {
    /// A board reached through `connector`. Nothing is attached until [`Device::load`].
    pub fn new(connector: Box<dyn Connector>, clock: Box<dyn Clock>, config: BoardConfig) -> Self {
        Self {
            connector,
            clock,
            config,
            session: None,
            image: None,
            progress: Box::new(|_| {}),
            log: Box::new(|_| {}),
        }
    }

    /// Report flash progress to `sink`.
    pub fn with_progress(mut self, sink: ProgressSink) -> Self {
        self.progress = sink;
        self
    }

    /// Report attach attempts and other notes to `sink`.
    pub fn with_log(mut self, sink: LogSink) -> Self {
        self.log = sink;
        self
    }
}

/// The marker function `pc` lies in, by symbolizing it with the ELF (the core halts at
/// the `bkpt` inside the function, not at its first instruction).
pub fn marker_in(image: &FirmwareImage, pc: u64) -> Option<Marker> {
    let sym = image.symbolize(pc)?;
    match sym.split('+').next()? {
        "tinybench_done" => Some(Marker::Done),
        "tinybench_fault" => Some(Marker::Fault),
        _ => None,
    }
}

impl Device for Board {
    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            backend: format!("probe-rs 0.32 ({})", self.connector.describe()),
            count_kind: CountKind::CyclesHardware,
        }
    }

    fn load(&mut self, firmware: &FirmwareImage) -> Result<(), DeviceError> {
        let probe = self.connector.describe();
        for sym in ["_SEGGER_RTT", "tinybench_done", "tinybench_fault"] {
            if firmware.symbol(sym).is_none() {
                return Err(DeviceError::Load(format!(
                    "symbol `{sym}` is missing from the ELF (not a tinybench firmware?)"
                )));
            }
        }
        // A fresh attach per load: a previous run may have left the core anywhere.
        self.session = None;
        let mut session = attach_with_retries(
            self.connector.as_mut(),
            self.config.attach_attempts,
            self.config.retry_pause,
            self.clock.as_ref(),
            &mut self.log,
        )
        .map_err(|e| backend_err(&probe, "attach failed", e))?;
        (self.log)(&format!(
            "flashing {} bytes of ELF on {probe}",
            firmware.bytes.len()
        ));
        session
            .flash(&firmware.bytes, &mut self.progress)
            .map_err(|e| backend_err(&probe, "flashing failed", e))?;
        self.session = Some(session);
        self.image = Some(firmware.clone());
        Ok(())
    }

    fn run(
        &mut self,
        limits: &RunLimits,
        on_bytes: &mut dyn FnMut(u32, &[u8]),
    ) -> Result<DeviceStop, DeviceError> {
        let probe = self.connector.describe();
        let (Some(session), Some(image)) = (self.session.as_mut(), self.image.as_ref()) else {
            return Err(backend_err(&probe, "run", "no firmware loaded"));
        };
        let rtt_control_block = image
            .require("_SEGGER_RTT")
            .map_err(|e| DeviceError::Load(e.to_string()))?;
        session
            .reset_and_run()
            .map_err(|e| backend_err(&probe, "reset failed", e))?;
        let marker_of = |pc| marker_in(image, pc);
        let ctx = RunContext {
            rtt_control_block,
            marker_of: &marker_of,
            config: &self.config,
            probe: &probe,
        };
        drive(
            session.as_mut(),
            self.clock.as_ref(),
            &ctx,
            limits,
            on_bytes,
        )
    }
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;
