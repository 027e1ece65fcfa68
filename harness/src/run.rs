//! The one run path. A verb turns its options into [`RunPlan`]s; [`execute`] (one plan)
//! and [`execute_all`] (several devices in parallel) check the device, build the
//! firmware, run it on whichever backend the target names and analyse the result on the
//! host. Nothing here knows the command line.
//!
//! A user's own benchmarks (`run --elf`) are named by their frames ([`own`]) and checked
//! against the host run of the same code when there is one ([`host`]).
//!
//! [`plan`] is what a run is, [`execute`](mod@execute) how it runs and the [`Sink`]
//! observing it, [`analyse`] how raw events become a result, [`parallel`] several devices
//! at once, [`save`] the result into the store with its provenance.

pub mod analyse;
pub mod execute;
pub mod host;
pub mod own;
pub mod parallel;
pub mod plan;

pub use analyse::{suite_specs, CaseSpec, Finished};
pub use execute::{build, check, execute, run_built, Executed, Quiet, RunError, Sink};
pub use parallel::{check_all, execute_all};
pub use plan::{BuildSettings, Payload, RunPlan, DEFAULT_TARGET, SUITE_BUDGET};

/// Record provenance (git state of the project, toolchain, host, the target's clock and
/// file hash) and store the run. Returns the run id.
pub fn save(
    store: &tinybench_results::store::Store,
    project_root: &std::path::Path,
    toolchain: Option<String>,
    target: &crate::config::target::Target,
    result: &mut tinybench_results::RunResult,
) -> Result<String, tinybench_results::store::StoreError> {
    crate::provenance::fill(&mut result.meta, project_root, toolchain, target);
    store.save(result)
}
