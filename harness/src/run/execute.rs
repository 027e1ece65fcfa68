//! Running a [`RunPlan`]: find the device (before building anything), build the firmware
//! (cached), open the device, run, analyse. One path for every verb and every backend;
//! what happens along the way goes to a [`Sink`].

use super::analyse::{analyse, announced_hash, Finished, RunIdentity};
use super::own::{check_pins, own_specs};
use super::plan::RunPlan;
use crate::backend::{self, BackendError, Flash, Sinks};
use crate::energy::EnergyError;
use crate::firmware::build::{BuildError, BuildRequest, Built};
use crate::firmware::toolchain::{self, ToolchainError};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use tinybench_device::elf::ElfError;
use tinybench_device::protocol::Event;
use tinybench_device::{run_firmware, FirmwareImage, Footprint, RunOutput};

/// Observer of a run: build status, flashing, the firmware's events, notes. Every method
/// has an empty default (the criterion `Report` way), so a sink implements what it shows.
/// Methods take `&self` and the sink is shared between the parallel runs of one
/// [`super::execute_all`]: implementations use interior mutability.
pub trait Sink: Send + Sync {
    /// A run of `plan` starts on its device; its case (or layer) names, in firmware order.
    fn started(&self, _plan: &RunPlan, _names: &[String]) {}
    /// A firmware build step, in words.
    fn status(&self, _target: &str, _message: &str) {}
    /// The firmware of `target` is built (or came from the cache).
    fn built(&self, _target: &str, _built: &Built) {}
    /// A flashing step on a board.
    fn flash(&self, _target: &str, _step: &Flash) {}
    /// A note from the backend (each attach attempt, the probe chosen).
    fn log(&self, _target: &str, _line: &str) {}
    /// One event from the firmware, as it arrives.
    fn event(&self, _target: &str, _event: &Event) {}
    /// The run on `target` ended (successfully or not).
    fn finished(&self, _target: &str) {}
}

/// A sink that shows nothing.
pub struct Quiet;

impl Sink for Quiet {}

/// A plan that ran: the result, and what else the caller may want of the run.
pub struct Executed {
    /// The target it ran on.
    pub target: crate::config::target::Target,
    /// The analysed run.
    pub finished: Finished,
    /// The ELF that ran.
    pub elf: PathBuf,
    /// Flash and RAM of that ELF, by section kind.
    pub footprint: Option<Footprint>,
    /// The toolchain that built it, in words (for the result's provenance).
    pub toolchain: String,
    /// The emulator's profile, when the plan asked for one.
    #[cfg(feature = "emulator")]
    pub profile: Option<tinybench_emu::RawProfile>,
}

/// Why a plan could not run. [`RunError::is_infrastructure`] tells a rig failure (worth a
/// retry) from one that would fail the same way again.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Nothing can run the target now (no probe, emulator compiled out).
    #[error("no device to run on: {0}")]
    NoDevice(#[source] BackendError),
    /// Several targets cannot run now; each named with its reason.
    #[error("no device to run on: {}", list_missing(.0))]
    NoDevices(Vec<(String, BackendError)>),
    /// No toolchain can build the firmware.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// The firmware did not build (or does not fit).
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The built ELF could not be read.
    #[error("reading the firmware {path}: {source}")]
    ReadElf {
        /// The ELF.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The built ELF is unusable.
    #[error("firmware {path}: {source}")]
    Elf {
        /// The ELF.
        path: PathBuf,
        /// Why.
        source: ElfError,
    },
    /// The device could not be opened (attach failed, probe busy).
    #[error(transparent)]
    Open(BackendError),
    /// The device failed during the run, or the firmware does not describe itself.
    #[error(transparent)]
    Run(#[from] tinybench_device::RunError),
    /// The energy source failed.
    #[error(transparent)]
    Energy(#[from] EnergyError),
    /// The profile was asked of a target that is not emulated.
    #[error("profiling needs an emulated target (it counts every instruction); {0} is a board")]
    ProfileNeedsEmulator(String),
    /// The device did not stop in time (blocking probe I/O hung) or its task died.
    #[error("{0}")]
    Stuck(String),
}

impl RunError {
    /// A failure of the rig rather than of the firmware or its build: no probe, attach or
    /// probe errors, a hung device. Retrying may help; it is never a benchmark result.
    pub fn is_infrastructure(&self) -> bool {
        matches!(
            self,
            RunError::NoDevice(_)
                | RunError::NoDevices(_)
                | RunError::Open(_)
                | RunError::Run(tinybench_device::RunError::Device(_))
                | RunError::Energy(_)
                | RunError::Stuck(_)
        )
    }
}

/// Whether something can run the plan's target now, without touching a device: the
/// emulator is compiled in, or the board's probe (as the plan's probe options pick it) is
/// attached and accessible.
pub fn check(plan: &RunPlan) -> Result<(), RunError> {
    backend::check(&plan.target, &plan.probe).map_err(RunError::NoDevice)
}

/// The plan's firmware, from the cache or built now; the toolchain's description too.
pub fn build(plan: &RunPlan, sink: &dyn Sink) -> Result<(Built, String), RunError> {
    let target = &plan.target;
    let Some(payload) = plan.payload.firmware() else {
        return user_elf(plan);
    };
    let tc = toolchain::select(
        &target.triple,
        plan.build.toolchain,
        plan.build.install_targets,
    )?;
    let req = BuildRequest {
        project: &plan.build.root,
        build_dir: &plan.build.build_dir,
        target,
        payload: &payload,
        features: &plan.build.features,
        toolchain: &tc,
    };
    let built = crate::firmware::build::build(&req, &|m| sink.status(&target.name, m))?;
    sink.built(&target.name, &built);
    Ok((built, tc.describe()))
}

/// A user's ELF (`run --elf`): built already, by the user's cargo; nothing is cached
/// (so no "built"/"cached" line either).
fn user_elf(plan: &RunPlan) -> Result<(Built, String), RunError> {
    let super::Payload::Elf { path, .. } = &plan.payload else {
        unreachable!("only a user's ELF has no firmware to generate")
    };
    let start = std::time::Instant::now();
    if !path.is_file() {
        return Err(RunError::ReadElf {
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let built = Built {
        elf: path.clone(),
        suite_hash: 0,
        cached: true,
        elapsed: start.elapsed(),
    };
    Ok((built, "built by the user (run --elf)".into()))
}

/// Run a built firmware of the plan on its device and analyse the result.
pub fn run_built(
    plan: &RunPlan,
    built: &Built,
    toolchain: String,
    sink: Arc<dyn Sink>,
) -> Result<Executed, RunError> {
    let bytes = std::fs::read(&built.elf).map_err(|source| RunError::ReadElf {
        path: built.elf.clone(),
        source,
    })?;
    let elf_error = |source| RunError::Elf {
        path: built.elf.clone(),
        source,
    };
    let firmware_sha256 = hex(&Sha256::digest(&bytes));
    let image = FirmwareImage::parse(bytes).map_err(elf_error)?;
    let footprint = crate::firmware::patch::footprint(&image).ok();
    let names: Vec<String> = plan
        .payload
        .cases()
        .iter()
        .map(|c| c.name.clone())
        .collect();
    sink.started(plan, &names);
    let recording = crate::energy::start(plan.energy.clone())?;
    let target = plan.target.name.clone();
    let on_event = &mut |ev: &Event| sink.event(&target, ev);
    // A user's ELF carries no payload hash the host could know beforehand.
    let expected_hash = match plan.payload {
        super::Payload::Elf { .. } => None,
        _ => Some(built.suite_hash),
    };
    let ran = device_run(plan, &image, expected_hash, sink.clone(), on_event);
    sink.finished(&target);
    let (out, profile) = ran?;
    #[cfg(not(feature = "emulator"))]
    let _: Option<()> = profile;
    let energy = recording.finish()?;
    // A user's ELF names its benchmarks itself; the host knows the suites' beforehand.
    let own = match plan.payload {
        super::Payload::Elf { .. } => Some(own_specs(&out.events, plan.payload.host())),
        _ => None,
    };
    let suite_hash = match own {
        Some(_) => announced_hash(&out.events),
        None => built.suite_hash,
    };
    let id = RunIdentity {
        target: &plan.target,
        name: plan.payload.name(),
        specs: own.as_deref().unwrap_or(plan.payload.cases()),
        suite_hash,
        firmware_sha256,
    };
    // Flash, RAM and stack of every run (not only models), for the memory gate.
    let memory = crate::provenance::memory(&image, &plan.target, &out.events);
    let mut finished = analyse(id, out, energy.as_ref());
    if own.is_some() {
        check_pins(&mut finished.result, &finished.events);
    }
    finished.result.meta.memory = memory;
    Ok(Executed {
        target: plan.target.clone(),
        finished,
        elf: built.elf.clone(),
        footprint,
        toolchain,
        #[cfg(feature = "emulator")]
        profile,
    })
}

#[cfg(feature = "emulator")]
type Profile = Option<tinybench_emu::RawProfile>;
#[cfg(not(feature = "emulator"))]
type Profile = Option<()>;

/// Open the plan's device and run the image on it (the emulator with a profiler when the
/// plan asks for a profile).
fn device_run(
    plan: &RunPlan,
    image: &FirmwareImage,
    suite_hash: Option<u32>,
    sink: Arc<dyn Sink>,
    on_event: &mut dyn FnMut(&Event),
) -> Result<(RunOutput, Profile), RunError> {
    let limits = &plan.limits;
    if let Some(skip) = plan.profile_skip {
        if !plan.target.is_emulated() {
            return Err(RunError::ProfileNeedsEmulator(plan.target.name.clone()));
        }
        #[cfg(feature = "emulator")]
        {
            let request = tinybench_emu::ProfileRequest { skip };
            let mut emu = backend::emulator_with(&plan.target, Some(request));
            let out = run_firmware(&mut emu, image, suite_hash, limits, on_event)?;
            return Ok((out, emu.take_profile()));
        }
        #[cfg(not(feature = "emulator"))]
        {
            let _ = skip;
            return Err(RunError::NoDevice(BackendError::NoEmulator(
                plan.target.name.clone(),
            )));
        }
    }
    let name = plan.target.name.clone();
    let (s1, s2) = (sink.clone(), sink);
    let n1 = name.clone();
    let sinks = Sinks {
        progress: Box::new(move |f| s1.flash(&n1, &f)),
        log: Box::new(move |line| s2.log(&name, line)),
    };
    let mut device =
        backend::open_with(&plan.target, &plan.probe, sinks).map_err(RunError::Open)?;
    let out = run_firmware(device.as_mut(), image, suite_hash, limits, on_event)?;
    Ok((out, None))
}

/// Check, build and run one plan (blocking: call it from a blocking thread).
pub fn execute(plan: &RunPlan, sink: Arc<dyn Sink>) -> Result<Executed, RunError> {
    check(plan)?;
    let (built, toolchain) = build(plan, sink.as_ref())?;
    run_built(plan, &built, toolchain, sink)
}

fn list_missing(missing: &[(String, BackendError)]) -> String {
    missing
        .iter()
        .map(|(t, e)| format!("\n  {t}: {e}"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
