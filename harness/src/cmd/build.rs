//! `tinybench build`: build (or fetch from cache) a target's firmware for a suite.

use super::{BuildOpts, ProjectOpts};
use crate::run::{Payload, RunPlan};

/// Build the benchmark firmware for a target without running it.
#[derive(Debug, clap::Args)]
pub struct BuildCmd {
    /// Target name (see `tinybench list targets`) or path to a target TOML.
    #[arg(long, default_value = crate::run::DEFAULT_TARGET)]
    pub target: String,
    /// Suite name (see `tinybench list suites`) or path to a suite TOML.
    #[arg(long, default_value = "smoke")]
    pub suite: String,
    #[command(flatten)]
    pub build: BuildOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl BuildCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project()?;
        let target = project.target(&self.target)?;
        let suite = project.suite(&self.suite)?;
        let plan = RunPlan::new(
            target.clone(),
            Payload::suite(suite),
            self.build.settings(&project),
        );
        let progress = super::progress::Progress::new();
        let (built, _) =
            tokio::task::spawn_blocking(move || crate::run::build(&plan, progress.as_ref()))
                .await??;
        let elf = std::fs::read(&built.elf)?;
        let image = tinybench_device::FirmwareImage::parse(elf)?;
        let image_bytes: usize = image.segments.iter().map(|s| s.data.len()).sum();
        crate::outln!("{}", built.elf.display());
        eprintln!(
            "{}: flash {} bytes of {} KiB, static RAM {} bytes of {} KiB, suite hash {:08x}",
            target.name,
            image_bytes,
            target.flash.size / 1024,
            image.static_ram,
            target.ram.size / 1024,
            built.suite_hash
        );
        Ok(crate::exit::OK)
    }
}
