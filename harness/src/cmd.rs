//! The CLI verbs, one file each, and the option groups they share.

pub mod build;
pub mod doctor;
pub mod list;
pub mod probes;
#[cfg(feature = "emulator")]
pub mod profile;
pub mod run;

use crate::firmware::toolchain::Preference;
use crate::project::Project;
use std::path::PathBuf;

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
