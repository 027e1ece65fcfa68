//! The CLI verbs, one file each, and the option groups they share.

pub mod baseline;
pub mod build;
pub mod ci;
pub mod compare;
pub mod compare_host;
pub mod completions;
pub mod doctor;
pub mod gate;
pub mod global;
pub mod list;
pub mod merge;
pub mod new;
pub mod opts;
pub mod probes;
#[cfg(feature = "emulator")]
pub mod profile;
pub mod progress;
pub mod report;
pub mod results;
pub mod run;
pub mod run_elf;
pub mod run_model;

use crate::firmware::toolchain::Preference;
use crate::project::Project;
use std::path::PathBuf;
use tinybench_results::store::Store;

/// Where the project is.
#[derive(Debug, Clone, clap::Args)]
pub struct ProjectOpts {
    /// Project root (holds targets/, suites/, kernels/). Default: found upward from the
    /// current directory.
    #[arg(long, value_name = "DIR", global = true)]
    pub project_dir: Option<PathBuf>,
}

impl ProjectOpts {
    /// Locate the project.
    pub fn project(&self) -> anyhow::Result<Project> {
        Ok(Project::find(self.project_dir.as_deref())?)
    }
}

/// How to build firmware.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildOpts {
    /// Which toolchain builds the firmware: `rustup` (needs the target's std:
    /// `rustup target add <triple>`), `build-std` (a system rustc with rust-src, e.g.
    /// Debian's rustc-web), or `auto` (rustup if it has the target, else build-std).
    #[arg(long, value_enum, env = "TINYBENCH_TOOLCHAIN", default_value = "auto")]
    pub toolchain: Preference,
    /// Run `rustup target add` for a missing target instead of failing.
    #[arg(long, env = "TINYBENCH_INSTALL_TARGETS")]
    pub install_targets: bool,
    /// Extra firmware cargo features (tinybench's own self-tests use these).
    #[arg(long = "firmware-feature", value_name = "FEATURE", hide = true)]
    pub firmware_features: Vec<String>,
}

impl BuildOpts {
    /// The library's build settings for `project`.
    pub fn settings(&self, project: &Project) -> crate::run::BuildSettings {
        crate::run::BuildSettings {
            root: project.root.clone(),
            build_dir: project.build_dir.clone(),
            toolchain: self.toolchain,
            install_targets: self.install_targets,
            features: self.firmware_features.clone(),
        }
    }
}

/// Where results are stored.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreOpts {
    /// Result store directory. Default: `tinybench-results/` in the current directory (in
    /// the directory of the nearest `tinybench.toml`, or the root of the tinybench source
    /// checkout, when the current directory is in one).
    #[arg(long, value_name = "DIR", env = "TINYBENCH_RESULTS_DIR", global = true)]
    pub results_dir: Option<PathBuf>,
}

impl StoreOpts {
    /// The store, with the default resolved against the project (if there is one).
    pub fn store(&self, project: Option<&Project>) -> Store {
        match (&self.results_dir, project) {
            (Some(d), _) => Store::new(d),
            (None, Some(p)) => Store::new(p.results_dir()),
            (None, None) => Store::new("tinybench-results"),
        }
    }
}

/// Store a run with its provenance, saying where; a store failure is an error (exit 2):
/// CI must not believe a run was kept when it was not.
pub fn save(
    store: &Store,
    project: &Project,
    executed: &mut crate::run::Executed,
) -> anyhow::Result<String> {
    let toolchain = Some(executed.toolchain.clone());
    let id = crate::run::save(
        store,
        &project.home,
        toolchain,
        &executed.target,
        &mut executed.finished.result,
    )?;
    eprintln!("saved run {id} in {}", store.dir().display());
    Ok(id)
}

/// Say that a run was measured (and printed) but not stored; the exit code for it.
pub fn not_stored(e: &anyhow::Error) -> u8 {
    eprintln!("error: the run was not stored: {e:#}");
    crate::exit::ERROR
}
