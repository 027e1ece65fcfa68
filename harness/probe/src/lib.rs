//! `tinybench-probe`: the board backend. Runs benchmark firmware on a real
//! microcontroller through a probe-rs (0.32) debug probe and implements the same
//! [`tinybench_device::Device`] seam as the emulator.
//!
//! Layers, each behind a small trait of ours so tests drive them without hardware:
//! - [`select`]: which probe drives which target (`--probe VID:PID[:SERIAL]`, a runner
//!   config mapping probes to targets, or the only probe attached) — pure logic.
//! - [`session`]: the seam to the hardware ([`BoardSession`], [`Connector`], [`Clock`]).
//! - [`board`]: the [`Board`] device — bounded attach retries (each attempt logged, later
//!   attempts under reset), flash with progress and verify, reset and run, RTT up
//!   channels 0 and 1 (the latter when the firmware has it: power builds) drained with
//!   the shared [`tinybench_device::rtt::UpChannel`] at `_SEGGER_RTT` in blocking
//!   mode, stop on the done/fault markers, HardFault stacked-frame decoding, lockup,
//!   whole-run and per-case (no output) timeouts, a lost probe as an error.
//! - [`real`]: the seam over probe-rs. [`fake`] (feature `fake`): a scripted board.
//!
//! RTT uses our shared drainer rather than probe-rs's `Rtt`: the control block address is
//! the ELF's `_SEGGER_RTT` symbol (no RAM scan needed), the emulator drains the same way,
//! and the drainer only needs [`tinybench_device::rtt::TargetMemory`], which the fake
//! board serves from RAM — probe-rs's `FakeProbe` cannot.
//!
//! Counts from a board are "cycles, hardware" (DWT CYCCNT).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod board;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod real;
pub mod select;
pub mod session;

pub use board::{Board, BoardConfig};
pub use select::{ProbeSpec, ProbeSummary, RunnerConfig, SelectError, Selected};
pub use session::{BoardSession, Clock, Connector, FlashStatus, WallClock};

/// Errors of the board backend.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No probe could be chosen.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// Every attach attempt failed.
    #[error("could not attach through {probe} after {attempts} attempt(s): {last}")]
    Attach {
        /// Probe and chip.
        probe: String,
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: String,
    },
}

/// The board for a selected probe and a probe-rs chip name, on the wall clock.
pub fn open_board(selected: &Selected, chip: &str, config: BoardConfig) -> Board {
    Board::new(
        Box::new(real::ProbeRsConnector::new(&selected.probe, chip)),
        Box::new(WallClock::new()),
        config,
    )
}
