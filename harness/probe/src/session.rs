//! The seam between the board logic and the hardware: what a debug session must do for
//! [`crate::Board`], in our own small traits.
//!
//! probe-rs implements them in [`crate::real`]; tests implement them with recorded RTT
//! bytes and scripted faults ([`crate::fake`]). probe-rs's own `FakeProbe` cannot serve
//! RTT from target RAM, which is why the seam is ours and sits above probe-rs.

use std::time::Duration;
use tinybench_device::rtt::TargetMemory;

/// Why a session operation failed, in the backend's words. `lost` marks errors after
/// which the probe is gone (unplugged, USB error), so the run stops instead of retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct SessionError {
    /// What went wrong.
    pub detail: String,
    /// The probe or its USB link disappeared.
    pub lost: bool,
}

impl SessionError {
    /// An error the session may recover from.
    pub fn new(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            lost: false,
        }
    }
}

/// The core's run state as the board logic needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreState {
    /// Executing (or sleeping: it will wake and go on).
    Running,
    /// Halted: at a breakpoint, on a vector catch, or by request.
    Halted,
    /// Cortex-M lockup (a fault inside the fault handler).
    LockedUp,
}

/// Core registers read when the core stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reg {
    /// Program counter.
    Pc,
    /// Link register.
    Lr,
    /// Main stack pointer.
    Msp,
    /// Process stack pointer.
    Psp,
    /// Program status (xPSR on Cortex-M; the IPSR field holds the exception number).
    Xpsr,
}

/// Flash progress, independent of probe-rs's event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashStatus {
    /// A phase starts; `total` bytes when known.
    Phase {
        /// `erase`, `program`, `verify`, …
        name: &'static str,
        /// Bytes the phase will touch.
        total: Option<u64>,
    },
    /// Bytes done in the current phase.
    Progress {
        /// Bytes finished since the last report.
        bytes: u64,
    },
    /// Flashing and verification finished.
    Done,
}

/// One attached debug session on a board (probe-rs: a `Session` and its core 0).
/// Memory access (for RTT) comes from [`TargetMemory`].
pub trait BoardSession: TargetMemory + Send {
    /// Write the ELF's loadable segments to flash and read them back.
    fn flash(
        &mut self,
        elf: &[u8],
        progress: &mut dyn FnMut(FlashStatus),
    ) -> Result<(), SessionError>;
    /// Reset the core and let it run from the reset vector.
    fn reset_and_run(&mut self) -> Result<(), SessionError>;
    /// Where the core is.
    fn state(&mut self) -> Result<CoreState, SessionError>;
    /// Halt a running core (for a timeout report).
    fn halt(&mut self) -> Result<(), SessionError>;
    /// Read a core register of a halted core.
    fn read_reg(&mut self, reg: Reg) -> Result<u32, SessionError>;
}

/// Opens sessions: probe-rs's `Probe::open` + `attach` for one selected probe and chip.
pub trait Connector: Send {
    /// Attach for the `attempt`-th time (1-based). Attempts after the first may assert
    /// the reset line while attaching (reset-and-retry).
    fn attach(&mut self, attempt: u32) -> Result<Box<dyn BoardSession>, SessionError>;
    /// The probe and chip, for messages (`J-Link 1366:1015:000683… → nRF52840_xxAA`).
    fn describe(&self) -> String;
}

/// Time as the run loop sees it. Real runs use the wall clock; tests use a clock that
/// advances a fixed step per poll, so timeouts are tested without timing anything.
pub trait Clock: Send {
    /// Time since an arbitrary fixed start.
    fn now(&self) -> Duration;
    /// Wait before polling again.
    fn sleep(&self, d: Duration);
}

/// The wall clock.
#[derive(Debug, Clone, Copy)]
pub struct WallClock(std::time::Instant);

impl WallClock {
    /// A clock starting now.
    pub fn new() -> Self {
        Self(std::time::Instant::now())
    }
}

impl Default for WallClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for WallClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}
