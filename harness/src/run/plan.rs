//! What one run is. A [`RunPlan`] names the target, what its firmware carries, the limits,
//! the energy source and how a board's probe is found; every verb that runs firmware
//! (`run`, `run --model`, `ci`, `profile`) only builds plans, and [`super::execute`] runs
//! any of them the same way on any backend.

use super::analyse::{suite_specs, CaseSpec};
use crate::backend::ProbeOpts;
use crate::config::suite::Suite;
use crate::config::target::Target;
use crate::firmware::gen;
use crate::firmware::toolchain::Preference;
use std::path::PathBuf;
use std::time::Duration;
use tinybench_device::RunLimits;

/// The target a verb runs on when none is given.
pub const DEFAULT_TARGET: &str = "sim-cortex-m4";

/// Default instruction budget of an emulated suite run.
pub const SUITE_BUDGET: u64 = 500_000_000;

/// Default wall-clock limit of one run, in seconds.
pub const DEFAULT_TIMEOUT_S: u64 = 300;

/// Instructions per MAC the default model budget allows for every inference: over four
/// times the slowest layer measured (7.2 per MAC, ResNet-8 on RV32IMAC).
const MODEL_BUDGET_PER_MAC: u64 = 32;

/// The default instruction budget of a model firmware that runs `inferences` inferences
/// of `macs` multiply-accumulates each.
pub fn model_budget(macs: u64, inferences: u64) -> u64 {
    SUITE_BUDGET.saturating_add(
        MODEL_BUDGET_PER_MAC
            .saturating_mul(macs)
            .saturating_mul(inferences),
    )
}

/// What the firmware carries, and so which cases the host expects.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A kernel suite, with the host's checksum of every case.
    Suite {
        /// The suite.
        suite: Suite,
        /// Its cases as the host computed them.
        cases: Vec<CaseSpec>,
    },
    /// One firmware of a whole model: the generated graph, weights and inputs, and its
    /// cases (case 0 the inference, then one per layer).
    Model {
        /// The model's name.
        name: String,
        /// The generated firmware payload.
        firmware: gen::Payload,
        /// The cases the host expects.
        cases: Vec<CaseSpec>,
    },
    /// An ELF the user built with `tinybench-target` (`run --elf`): nothing to build, and
    /// its benchmarks are named by the firmware's own `TB bench` frames.
    Elf {
        /// The ELF.
        path: PathBuf,
        /// Its file name, as the result names the run.
        name: String,
        /// The same benchmarks run on the host (`--host`, `--host-results`): their
        /// checksums are then what the device's must equal.
        host: Option<Box<super::host::HostResults>>,
    },
}

impl Payload {
    /// A suite's payload; computes every case's host checksum.
    pub fn suite(suite: Suite) -> Payload {
        let cases = suite_specs(&suite);
        Payload::Suite { suite, cases }
    }

    /// A user-built ELF's payload (`run --elf`), named by its file name, with the host
    /// run of the same benchmarks when there is one.
    pub fn elf(path: PathBuf, host: Option<super::host::HostResults>) -> Payload {
        let name = path
            .file_name()
            .map_or_else(|| "elf".into(), |n| n.to_string_lossy().into_owned());
        Payload::Elf {
            path,
            name,
            host: host.map(Box::new),
        }
    }

    /// The host run of a user's benchmarks, if any.
    pub fn host(&self) -> Option<&super::host::HostResults> {
        match self {
            Payload::Elf { host, .. } => host.as_deref(),
            _ => None,
        }
    }

    /// Suite or model name, as the result names it.
    pub fn name(&self) -> &str {
        match self {
            Payload::Suite { suite, .. } => &suite.name,
            Payload::Model { name, .. } | Payload::Elf { name, .. } => name,
        }
    }

    /// The cases the host expects, in the firmware's order (none known before the run
    /// for a user's ELF: its frames name them).
    pub fn cases(&self) -> &[CaseSpec] {
        match self {
            Payload::Suite { cases, .. } | Payload::Model { cases, .. } => cases,
            Payload::Elf { .. } => &[],
        }
    }

    /// The firmware to generate; `None` for a user's ELF, which is built already.
    pub fn firmware(&self) -> Option<gen::Payload> {
        match self {
            Payload::Suite { suite, .. } => Some(gen::suite(suite)),
            Payload::Model { firmware, .. } => Some(firmware.clone()),
            Payload::Elf { .. } => None,
        }
    }

    /// What a progress bar counts: "cases", "layers" or "benchmarks".
    pub fn unit(&self) -> &'static str {
        match self {
            Payload::Suite { .. } => "cases",
            Payload::Model { .. } => "layers",
            Payload::Elf { .. } => "benchmarks",
        }
    }
}

/// How the firmware is built.
#[derive(Debug, Clone)]
pub struct BuildSettings {
    /// Project root (holds `targets/firmware` and `kernels`).
    pub root: PathBuf,
    /// Where generated sources and cargo's output go (the project's build dir).
    pub build_dir: PathBuf,
    /// Which toolchain.
    pub toolchain: Preference,
    /// Run `rustup target add` for a missing target.
    pub install_targets: bool,
    /// Extra firmware cargo features (self-tests, energy sources).
    pub features: Vec<String>,
}

/// One run: everything [`super::execute`] needs, and nothing of the command line.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The target.
    pub target: Target,
    /// What the firmware carries.
    pub payload: Payload,
    /// How to build it.
    pub build: BuildSettings,
    /// Instruction budget (emulators) and wall-clock limit.
    pub limits: RunLimits,
    /// Energy source, when figures were asked for.
    pub energy: Option<crate::energy::Plan>,
    /// How a board finds its probe (unused on emulated targets).
    pub probe: ProbeOpts,
    /// Profile every timed region after the first `skip` (`tinybench profile`; emulated
    /// targets only).
    pub profile_skip: Option<u64>,
}

impl RunPlan {
    /// A plan with the default limits, no energy, the default probe choice and no
    /// profile.
    pub fn new(target: Target, payload: Payload, build: BuildSettings) -> RunPlan {
        RunPlan {
            target,
            payload,
            build,
            limits: RunLimits {
                max_instructions: SUITE_BUDGET,
                wall_timeout: Duration::from_secs(DEFAULT_TIMEOUT_S),
            },
            energy: None,
            probe: ProbeOpts::default(),
            profile_skip: None,
        }
    }

    /// With these limits.
    pub fn with_limits(mut self, limits: RunLimits) -> RunPlan {
        self.limits = limits;
        self
    }

    /// With this energy source; the firmware features it needs are added to the build.
    pub fn with_energy(mut self, energy: Option<crate::energy::Plan>) -> RunPlan {
        if let Some(e) = &energy {
            for f in e.firmware_features() {
                if !self.build.features.contains(&f) {
                    self.build.features.push(f);
                }
            }
        }
        self.energy = energy;
        self
    }

    /// With these probe options.
    pub fn with_probe(mut self, probe: ProbeOpts) -> RunPlan {
        self.probe = probe;
        self
    }

    /// Profiling every timed region after the first `skip`.
    pub fn with_profile(mut self, skip: u64) -> RunPlan {
        self.profile_skip = Some(skip);
        self
    }

    /// The target's name.
    pub fn name(&self) -> &str {
        &self.target.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::target::tests::{parse, GOOD};

    fn plan() -> RunPlan {
        let target = parse(GOOD).unwrap();
        let firmware = gen::Payload {
            name: "m".into(),
            what: "model `m`".into(),
            files: vec![],
            hash: 7,
            ram_bytes: 0,
            ram_what: "arena",
            flash_bytes: 0,
            features: vec![],
            image: None,
        };
        let payload = Payload::Model {
            name: "m".into(),
            firmware,
            cases: vec![],
        };
        let build = BuildSettings {
            root: PathBuf::from("."),
            build_dir: PathBuf::from("target/tinybench"),
            toolchain: Preference::Auto,
            install_targets: false,
            features: vec!["x".into()],
        };
        RunPlan::new(target, payload, build)
    }

    #[test]
    fn the_model_budget_grows_with_macs_and_inferences_and_never_overflows() {
        assert_eq!(model_budget(0, 5), SUITE_BUDGET);
        assert_eq!(model_budget(1000, 4), SUITE_BUDGET + 32 * 4000);
        assert_eq!(model_budget(u64::MAX, 2), u64::MAX);
    }

    #[test]
    fn defaults_and_builders() {
        let p = plan();
        assert_eq!(p.limits.max_instructions, SUITE_BUDGET);
        assert_eq!(p.limits.wall_timeout, Duration::from_secs(300));
        assert!(p.energy.is_none() && p.profile_skip.is_none());
        assert_eq!(p.payload.unit(), "layers");
        assert_eq!(p.payload.name(), "m");
        let p = p.with_profile(3).with_probe(ProbeOpts {
            probe: Some("1366:1015".into()),
            ..ProbeOpts::default()
        });
        assert_eq!(p.profile_skip, Some(3));
        assert_eq!(p.probe.probe.as_deref(), Some("1366:1015"));
        assert_eq!(p.build.features, vec!["x".to_string()]);
    }
}
