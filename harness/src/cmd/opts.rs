//! Option groups shared by the verbs that run firmware (flattened into each, as probe-rs
//! shares its probe options): how a board's probe is found, the run's limits, the energy
//! source. Each turns into the library's plain types; library code never sees these.

use super::{BuildOpts, ProjectOpts, StoreOpts};
use crate::backend::ProbeOpts;
use crate::energy::Energy;
use std::path::PathBuf;
use std::time::Duration;
use tinybench_device::RunLimits;

/// How a board target finds and drives its probe.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProbeArgs {
    /// The probe of the board target: `VID:PID[:SERIAL]` (probe-rs selector syntax; see
    /// `tinybench probes`). Default: the only probe attached.
    #[arg(long, value_name = "VID:PID[:SERIAL]", env = "TINYBENCH_PROBE")]
    pub probe: Option<String>,
    /// Which probe drives which target on this machine (example: `ci/runner.toml`).
    #[arg(long, value_name = "FILE", env = "TINYBENCH_RUNNER_CONFIG")]
    pub runner_config: Option<PathBuf>,
    /// Boards: stop a run when the firmware sends nothing for this many seconds (a hung
    /// case). 0 disables it.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub case_timeout: u64,
    /// Boards: attach attempts before giving up; attempts after the first attach under
    /// reset.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub attach_attempts: u32,
}

impl ProbeArgs {
    /// The backend's probe options; a runner config's `attach_attempts` wins over
    /// `--attach-attempts`.
    pub fn opts(&self) -> ProbeOpts {
        ProbeOpts {
            probe: self.probe.clone(),
            runner_config: self.runner_config.clone(),
            attach_attempts: runner_attach_attempts(self.runner_config.as_deref())
                .unwrap_or(self.attach_attempts)
                .max(1),
            case_timeout: (self.case_timeout > 0).then(|| Duration::from_secs(self.case_timeout)),
        }
    }
}

/// The runner config's `attach_attempts`, when it has one.
fn runner_attach_attempts(path: Option<&std::path::Path>) -> Option<u32> {
    #[cfg(feature = "probe")]
    {
        tinybench_probe::RunnerConfig::load(path?)
            .ok()
            .and_then(|r| r.attach_attempts)
    }
    #[cfg(not(feature = "probe"))]
    {
        let _ = path;
        None
    }
}

/// Bounds on one run.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Stop an emulated run after this many instructions (a hang becomes a timeout).
    /// Default: 500,000,000 for a suite; for `--model`, that plus 32 per MAC of every
    /// inference the firmware runs.
    #[arg(long, value_name = "N")]
    pub max_instructions: Option<u64>,
    /// Stop a run after this many seconds of wall-clock time (a runner config's per-board
    /// `timeout` wins in `tinybench ci`).
    #[arg(long, default_value_t = crate::run::plan::DEFAULT_TIMEOUT_S, value_name = "SECONDS")]
    pub timeout: u64,
}

impl LimitArgs {
    /// The limits, with `budget` as the instruction budget when none was given.
    pub fn limits(&self, budget: u64) -> RunLimits {
        RunLimits {
            max_instructions: self.max_instructions.unwrap_or(budget),
            wall_timeout: Duration::from_secs(self.timeout),
        }
    }
}

/// Energy per inference.
#[derive(Debug, Clone, clap::Args)]
pub struct EnergyArgs {
    /// Energy per inference: `model` turns cycles into µJ with the target file's datasheet
    /// figure ([power] section), labelled "energy, modeled (datasheet …)"; on a board,
    /// `ppk2[:PORT]` measures with a PPK2 ([power.ppk2] wiring) and `ina226`/`ina219` with a
    /// monitor on the board ([power.monitor]), labelled "energy, measured (…)".
    /// docs/energy.md.
    #[arg(long, default_value = "none", value_name = "SOURCE")]
    pub energy: Energy,
}

/// The targets given, or the default one when none is.
pub fn target_names(given: &[String]) -> Vec<String> {
    if given.is_empty() {
        vec![crate::run::DEFAULT_TARGET.to_string()]
    } else {
        given.to_vec()
    }
}

pub use crate::report::Format;

/// What `run` shares between suites and models: where, how, with which limits, and what
/// becomes of the result.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Target name (see `tinybench list targets`) or path to a target TOML; repeat it to
    /// run several devices in parallel. Default: sim-cortex-m4.
    #[arg(long)]
    pub target: Vec<String>,
    /// Output format: a table, or any export format of the result store (json is the
    /// result schema).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Run on every board of the runner config whose probe is attached now (with the
    /// `--target`s given, if any). Needs `--runner-config`.
    #[arg(long)]
    pub all_attached: bool,
    /// Build the firmware of every target and print the ELF paths; run nothing (no probe
    /// needed).
    #[arg(long)]
    pub build_only: bool,
    #[command(flatten)]
    pub energy: EnergyArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub probe: ProbeArgs,
    #[command(flatten)]
    pub build: BuildOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
    #[command(flatten)]
    pub store: StoreOpts,
    /// Do not save the run in the result store.
    #[arg(long)]
    pub no_save: bool,
}

/// Model options of `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelOpts {
    /// Run this int8 `.tflite` model instead of a suite: the firmware runs the whole
    /// graph, timing every layer, and the output is checked against the host's run of the
    /// same graph (and against `--dataset`'s reference outputs when it has them).
    #[arg(long, value_name = "PATH")]
    pub model: Option<std::path::PathBuf>,
    /// Inputs for `--model`: a dataset directory (`labels.csv`, raw int8 inputs,
    /// optional `expected/` reference outputs; see docs/models.md). Without it the model
    /// runs one input drawn from `--seed`.
    #[arg(long, value_name = "DIR", requires = "model")]
    pub dataset: Option<std::path::PathBuf>,
    /// Kernel variant the model's layers run (`--model` or a model suite).
    #[arg(long, value_enum, default_value = "optimized")]
    pub variant: VariantArg,
    /// Timed whole inferences (`--model` or a model suite).
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub reps: u16,
    /// Untimed inferences before them (`--model` or a model suite).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub warmup: u16,
    /// Seed of the input when there is no `--dataset`.
    #[arg(long, default_value_t = 1)]
    pub seed: u32,
    /// Most `--dataset` inputs compiled into one firmware. The inputs live in flash next
    /// to the weights; a dataset larger than that runs as several firmwares, one after
    /// the other (the first one is timed). Default: as many as fit the target's flash.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub inputs_per_build: Option<u32>,
}

/// `--variant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VariantArg {
    /// The portable reference loops.
    Reference,
    /// The kernels optimized for the core (SIMD on DSP cores).
    Optimized,
}

impl VariantArg {
    /// The kernel crate's variant.
    pub fn kernels(self) -> tinybench_kernels::case::Variant {
        match self {
            VariantArg::Reference => tinybench_kernels::case::Variant::Reference,
            VariantArg::Optimized => tinybench_kernels::case::Variant::Optimized,
        }
    }
}
