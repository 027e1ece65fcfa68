//! Opening the device a target names. The only place that knows which backends exist.

use crate::config::target::{Connection, Target};
use tinybench_device::Device;

/// Why no device could be opened.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The emulator was compiled out.
    #[error("target {0} is emulated, but this tinybench was built without the `emulator` feature")]
    NoEmulator(String),
    /// Board targets need the probe-rs backend.
    #[error(
        "target {target} is a board (probe-rs chip {chip}); the probe-rs backend is not part of this build yet, \
         so only emulated targets (`tinybench list targets`) can run"
    )]
    NoProbeBackend {
        /// Target name.
        target: String,
        /// Chip.
        chip: String,
    },
    /// The emulator cannot model this core.
    #[error("the emulator cannot model a {0}")]
    UnsupportedCore(&'static str),
}

/// The device for `target`.
pub fn open(target: &Target) -> Result<Box<dyn Device + Send>, BackendError> {
    match &target.connection {
        Connection::Emulator => emulator(target),
        Connection::Probe { chip } => Err(BackendError::NoProbeBackend {
            target: target.name.clone(),
            chip: chip.clone(),
        }),
    }
}

#[cfg(feature = "emulator")]
fn emulator(target: &Target) -> Result<Box<dyn Device + Send>, BackendError> {
    Ok(Box::new(emulator_with(target, None)))
}

/// The emulated device for an emulated target, profiling every timed region after the
/// first `skip` when asked (`tinybench profile`).
#[cfg(feature = "emulator")]
pub fn emulator_with(
    target: &Target,
    profile: Option<tinybench_emu::ProfileRequest>,
) -> tinybench_emu::Emulator {
    use crate::config::target::Core;
    use tinybench_emu::{EmuConfig, EmuCore, Emulator, MemRegion};
    let core = match target.core {
        // unicorn models the M0; the M0+ runs the same ARMv6-M instruction set.
        Core::CortexM0plus => EmuCore::CortexM0,
        Core::CortexM3 => EmuCore::CortexM3,
        Core::CortexM4 => EmuCore::CortexM4,
        Core::CortexM7 => EmuCore::CortexM7,
        Core::CortexM33 => EmuCore::CortexM33,
        // unicorn's SiFive E31 model (RV32IMAC) also runs RV32IMC code.
        Core::Rv32imac | Core::Rv32imc => EmuCore::Rv32,
    };
    let region = |name: &str, r: crate::config::target::Region, writable| MemRegion {
        name: name.into(),
        origin: r.origin,
        size: r.size,
        writable,
    };
    let regions = vec![
        region("flash", target.flash, false),
        region("ram", target.ram, true),
    ];
    Emulator::new(EmuConfig {
        core,
        regions,
        drain_interval: 1 << 14,
        profile,
    })
}

#[cfg(not(feature = "emulator"))]
fn emulator(target: &Target) -> Result<Box<dyn Device + Send>, BackendError> {
    Err(BackendError::NoEmulator(target.name.clone()))
}
