//! Opening the device a target names. The only place that knows which backends exist.
//!
//! Board targets go through the probe-rs backend (`probe` feature, on by default):
//! [`check`] finds the target's probe without touching the board (so `run` can fail
//! before building), [`open_with`] opens it.

use crate::config::target::{Connection, Target};
use tinybench_device::Device;

/// How board targets find their probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOpts {
    /// `--probe VID:PID[:SERIAL]`.
    pub probe: Option<String>,
    /// `--runner-config FILE`: which probe drives which target.
    pub runner_config: Option<std::path::PathBuf>,
    /// Attach attempts per board (later ones under reset).
    pub attach_attempts: u32,
    /// Per-case limit on boards: no RTT output for this long ends the run.
    pub case_timeout: Option<std::time::Duration>,
}

impl Default for ProbeOpts {
    /// The only probe attached, three attach attempts, 60 s without output ends a case.
    fn default() -> Self {
        Self {
            probe: None,
            runner_config: None,
            attach_attempts: 3,
            case_timeout: Some(std::time::Duration::from_secs(60)),
        }
    }
}

/// Progress and log callbacks a board reports to (flashing, attach attempts).
pub struct Sinks {
    /// Flash phase and bytes.
    pub progress: Box<dyn FnMut(Flash) + Send>,
    /// One line per note (each attach attempt).
    pub log: Box<dyn FnMut(&str) + Send>,
}

impl Default for Sinks {
    fn default() -> Self {
        Self {
            progress: Box::new(|_| {}),
            log: Box::new(|_| {}),
        }
    }
}

/// A flashing step, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flash {
    /// A phase (`erase`, `program`, `verify`) starts.
    Phase(String),
    /// Bytes done.
    Bytes(u64),
    /// Flashed and verified.
    Done,
}

/// Why no device could be opened.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The emulator was compiled out.
    #[error("target {0} is emulated, but this tinybench was built without the `emulator` feature")]
    NoEmulator(String),
    /// Board targets need the probe-rs backend.
    #[error(
        "target {target} is a board (probe-rs chip {chip}), but this tinybench was built without the `probe` \
         feature (the probe-rs backend), so only emulated targets (`tinybench list targets`) can run"
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
    /// No probe could be chosen for a board target, or the runner config is bad.
    #[cfg(feature = "probe")]
    #[error(transparent)]
    Select(#[from] tinybench_probe::SelectError),
}

/// The device for `target` with default probe options (a board: the only probe
/// attached). The run path opens devices with [`open_with`] and the plan's options.
pub fn open(target: &Target) -> Result<Box<dyn Device + Send>, BackendError> {
    open_with(target, &ProbeOpts::default(), Sinks::default())
}

/// Whether something can run `target` now, without touching the device: the emulator is
/// compiled in, or the board's probe is attached, selectable and accessible.
pub fn check(target: &Target, opts: &ProbeOpts) -> Result<(), BackendError> {
    match &target.connection {
        Connection::Emulator => emulator(target).map(drop),
        Connection::Probe { chip } => board::select(target, chip, opts).map(drop),
    }
}

/// The device for `target`, reporting flashing and attach attempts to `sinks`.
pub fn open_with(
    target: &Target,
    opts: &ProbeOpts,
    sinks: Sinks,
) -> Result<Box<dyn Device + Send>, BackendError> {
    match &target.connection {
        Connection::Emulator => emulator(target),
        Connection::Probe { chip } => board::open(target, chip, opts, sinks),
    }
}

#[cfg(feature = "probe")]
mod board {
    use super::*;
    use tinybench_probe::{select, BoardConfig, FlashStatus, ProbeSpec, RunnerConfig, Selected};

    /// The probe for a board target.
    pub fn select(target: &Target, chip: &str, opts: &ProbeOpts) -> Result<Selected, BackendError> {
        let spec: Option<ProbeSpec> = opts.probe.as_deref().map(str::parse).transpose()?;
        let runner = opts
            .runner_config
            .as_deref()
            .map(RunnerConfig::load)
            .transpose()?;
        let probes = tinybench_probe::real::list_probes();
        Ok(select::select(
            &probes,
            &target.name,
            chip,
            spec.as_ref(),
            runner.as_ref(),
        )?)
    }

    pub fn open(
        target: &Target,
        chip: &str,
        opts: &ProbeOpts,
        mut sinks: Sinks,
    ) -> Result<Box<dyn Device + Send>, BackendError> {
        let selected = select(target, chip, opts)?;
        let config = BoardConfig {
            attach_attempts: opts.attach_attempts.max(1),
            case_timeout: opts.case_timeout,
            ..BoardConfig::default()
        };
        (sinks.log)(&format!(
            "{}: probe {} ({})",
            target.name, selected.probe, selected.how
        ));
        let mut progress = sinks.progress;
        let board = tinybench_probe::open_board(&selected, chip, config)
            .with_log(sinks.log)
            .with_progress(Box::new(move |s| {
                progress(match s {
                    FlashStatus::Phase { name, .. } => Flash::Phase(name.to_string()),
                    FlashStatus::Progress { bytes } => Flash::Bytes(bytes),
                    FlashStatus::Done => Flash::Done,
                })
            }));
        Ok(Box::new(board))
    }
}

#[cfg(not(feature = "probe"))]
mod board {
    use super::*;

    pub fn select(target: &Target, chip: &str, _: &ProbeOpts) -> Result<(), BackendError> {
        Err(BackendError::NoProbeBackend {
            target: target.name.clone(),
            chip: chip.to_string(),
        })
    }

    pub fn open(
        target: &Target,
        chip: &str,
        _: &ProbeOpts,
        _: Sinks,
    ) -> Result<Box<dyn Device + Send>, BackendError> {
        Err(BackendError::NoProbeBackend {
            target: target.name.clone(),
            chip: chip.to_string(),
        })
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
