//! `tinybench doctor`: what this machine can build and run, with a fix for each gap.

use super::ProjectOpts;
use crate::firmware::toolchain;
use std::collections::BTreeSet;

/// Report toolchains, installed firmware targets, backends and probes, with fixes.
#[derive(Debug, clap::Args)]
pub struct DoctorCmd {
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl DoctorCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project()?;
        crate::outln!("project files: {}", project.describe());
        let home_from = match &project.manifest {
            Some(_) => "its tinybench.toml",
            None if project.origin == crate::project::Origin::Embedded => "the current directory",
            None => "the project files' root",
        };
        crate::outln!("project: {} ({home_from})", project.home.display());
        crate::outln!("results: {}", project.results_dir().display());
        crate::outln!("firmware builds: {}", project.build_dir.display());
        let survey = toolchain::survey();
        let installed: BTreeSet<String> = survey
            .rustup
            .as_ref()
            .map(|r| r.3.iter().cloned().collect())
            .unwrap_or_default();
        match &survey.rustup {
            Some((rustc, _, version, _)) => crate::outln!("✔ rustup toolchain: {version} ({})", rustc.display()),
            None => crate::outln!("✘ rustup toolchain: not found — install rustup, or use a build-std toolchain (below)"),
        }
        match &survey.build_std {
            Ok((rustc, _, version)) => {
                crate::outln!("✔ build-std toolchain: {version} ({})", rustc.display())
            }
            Err(why) => crate::outln!("· build-std toolchain (fallback): {why}"),
        }
        let mut missing = 0;
        let triples: BTreeSet<String> = project
            .all_targets()
            .into_iter()
            .flatten()
            .map(|t| t.triple)
            .collect();
        for triple in &triples {
            if installed.contains(triple) {
                crate::outln!("✔ target {triple}: installed (rustup)");
            } else if survey.build_std.is_ok() {
                crate::outln!(
                    "✔ target {triple}: buildable with build-std (or `rustup target add {triple}`)"
                );
            } else {
                missing += 1;
                crate::outln!("✘ target {triple}: missing — run `rustup target add {triple}` (or `tinybench run --install-targets`)");
            }
        }
        #[cfg(feature = "emulator")]
        {
            let mark = if tinybench_emu::engine::patched() {
                "✔"
            } else {
                "!"
            };
            crate::outln!(
                "{mark} backend emulator: {} (compiled in)",
                tinybench_emu::engine::describe()
            );
        }
        if !cfg!(feature = "emulator") {
            crate::outln!("✘ backend emulator: not compiled in — build tinybench with `--features emulator` (needs cmake, libclang)");
        }
        if cfg!(feature = "probe") {
            crate::outln!(
                "✔ backend probe-rs: 0.32 (compiled in); `tinybench probes` lists attached probes"
            );
        } else {
            crate::outln!("· backend probe-rs: not compiled in — build tinybench with `--features probe`; board targets cannot run");
        }
        Ok(if missing == 0 {
            crate::exit::OK
        } else {
            crate::exit::ERROR
        })
    }
}
