//! `tinybench-device`: the device seam.
//!
//! A [`Device`] is anything that can run a benchmark firmware and hand back the bytes of
//! its RTT up channels (0, and 1 in power builds): the in-process emulator
//! (`tinybench-emu`) or a board behind a probe-rs probe (`tinybench-probe`). Everything
//! after the bytes is shared by every backend and lives here:
//! [`rtt`] drains a SEGGER RTT ring from target memory, [`frames`] turns bytes into defmt
//! frames (telling "need more bytes" from "corrupt"), and [`protocol`] turns frames into
//! the firmware's typed events. [`run_firmware`] is the one run path every backend takes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod elf;
pub mod frames;
pub mod protocol;
pub mod rtt;
mod run;

pub use elf::{FirmwareImage, Footprint};
pub use run::{run_firmware, RunError, RunOutcome, RunOutput};
use tinybench_results::CountKind;

/// What a backend tells the harness about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Backend name for reports, e.g. `emulator (unicorn 2.1)`.
    pub backend: String,
    /// What the firmware's counter reads measure on this backend.
    pub count_kind: CountKind,
}

/// Bounds on one run. A backend must stop by itself when one is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// Most instructions to execute (emulators; boards use the wall clock).
    pub max_instructions: u64,
    /// Wall-clock limit.
    pub wall_timeout: std::time::Duration,
}

/// How a run on the device ended, as the backend saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStop {
    /// The firmware reached `tinybench_done`.
    Done,
    /// The firmware reached `tinybench_fault` after reporting a panic or fault itself.
    FirmwareReportedFault,
    /// The core faulted in a way the backend caught (invalid access, illegal instruction).
    Fault(Fault),
    /// A limit in [`RunLimits`] was reached.
    Timeout {
        /// Which limit, in words (e.g. `instruction budget of 50000000`).
        limit: String,
        /// Instructions executed, where the backend knows.
        instructions: Option<u64>,
        /// Where the core was, symbolized.
        pc: Option<u64>,
    },
}

/// A fault the backend observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Kind in words, e.g. `invalid memory read at 0x6ffffff0`.
    pub kind: String,
    /// Address of the faulting instruction.
    pub pc: u64,
}

/// Errors of a device backend: the device could not be driven (as opposed to the firmware
/// misbehaving, which is a [`DeviceStop`]).
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The firmware image cannot run on this device.
    #[error("firmware does not fit the device: {0}")]
    Load(String),
    /// The backend failed (emulator setup, probe I/O).
    #[error("{backend} failed: {detail}")]
    Backend {
        /// Which backend.
        backend: String,
        /// What went wrong.
        detail: String,
    },
    /// The RTT control block is unusable.
    #[error(transparent)]
    Rtt(#[from] rtt::RttError),
}

/// One device backend: load a firmware, run it to a stop, hand over RTT bytes as they
/// come. The required core is deliberately small; everything else is shared.
pub trait Device {
    /// Describe the backend and what its counts mean.
    fn info(&self) -> DeviceInfo;

    /// Put the firmware on the device (flash it, or map it into emulated memory).
    fn load(&mut self, firmware: &FirmwareImage) -> Result<(), DeviceError>;

    /// Run from reset until done, fault or a limit, passing every chunk of RTT bytes to
    /// `on_bytes` as it is drained, with its up channel: channel 0
    /// ([`rtt::DEFMT_CHANNEL`]) always, and channel 1 ([`rtt::POWER_CHANNEL`]) when the
    /// firmware has it ([`rtt::UpChannel::if_present`]).
    fn run(
        &mut self,
        limits: &RunLimits,
        on_bytes: &mut dyn FnMut(u32, &[u8]),
    ) -> Result<DeviceStop, DeviceError>;

    /// Optional ability: for backends with a cycle model (the emulator), the modeled
    /// cycle count at each of the firmware's counter reads in the last run, in order.
    fn modeled_reads(&self) -> Option<ModeledReads> {
        None
    }
}

/// Modeled cycles at each counter read of a run ("cycles, modeled").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeledReads {
    /// The model, e.g. `Cortex-M4 TRM timings`.
    pub model: String,
    /// Modeled cycles since reset at each counter read, in the order the firmware read.
    pub reads: Vec<u64>,
    /// Executed instructions the model could not decode (each counted as one cycle).
    pub undecoded: u64,
}
