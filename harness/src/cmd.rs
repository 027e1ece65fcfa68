//! The CLI verbs, one file each, and the option groups they share.

pub mod baseline;
pub mod build;
pub mod ci;
pub mod compare;
pub mod compare_host;
pub mod completions;
pub mod doctor;
pub mod global;
pub mod list;
pub mod merge;
pub mod probes;
#[cfg(feature = "emulator")]
pub mod profile;
pub mod report;
pub mod results;
pub mod run;
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

/// Print the store's warnings (corrupt files skipped, leftover temp files) to stderr.
pub fn warn_skipped(store: &Store, skipped: &[tinybench_results::store::Skipped]) {
    for s in skipped {
        eprintln!(
            "warning: skipped {}: {}",
            store.dir().join("runs").join(&s.file).display(),
            s.reason
        );
    }
}
