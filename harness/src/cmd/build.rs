//! `tinybench build`: build (or fetch from cache) a target's firmware for a suite.

use super::{BuildOpts, ProjectOpts};
use crate::config::suite::Suite;
use crate::config::target::Target;
use crate::firmware::build::{build, BuildRequest, Built};
use crate::firmware::toolchain;
use crate::project::Project;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

/// Build the benchmark firmware for a target without running it.
#[derive(Debug, clap::Args)]
pub struct BuildCmd {
    /// Target name (see `tinybench list targets`) or path to a target TOML.
    #[arg(long, default_value = "sim-cortex-m4")]
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
        let built = firmware(&project, &target, &suite, &self.build).await?;
        let elf = std::fs::read(&built.elf)?;
        let image = tinybench_device::FirmwareImage::parse(elf)?;
        let image_bytes: usize = image.segments.iter().map(|s| s.data.len()).sum();
        println!("{}", built.elf.display());
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

/// Build the firmware with a spinner; shared by `build` and `run`.
pub async fn firmware(
    project: &Project,
    target: &Target,
    suite: &Suite,
    opts: &BuildOpts,
) -> anyhow::Result<Built> {
    firmware_for(project, target, &crate::firmware::gen::suite(suite), opts).await
}

/// Build the firmware for any payload (a suite or a model), with a spinner.
pub async fn firmware_for(
    project: &Project,
    target: &Target,
    payload: &crate::firmware::gen::Payload,
    opts: &BuildOpts,
) -> anyhow::Result<Built> {
    let tc = toolchain::select(&target.triple, opts.toolchain, opts.install_targets)?;
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    crate::ui::progress(&spinner);
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner.set_message(format!("preparing firmware for {}", target.name));
    let (root, build_dir, target_c, payload_c, features) = (
        project.root.clone(),
        project.build_dir.clone(),
        target.clone(),
        payload.clone(),
        opts.firmware_features.clone(),
    );
    let sp = spinner.clone();
    let built = tokio::task::spawn_blocking(move || {
        let req = BuildRequest {
            project: &root,
            build_dir: &build_dir,
            target: &target_c,
            payload: &payload_c,
            features: &features,
            toolchain: &tc,
        };
        build(&req, &|msg| sp.set_message(msg.to_string()))
    })
    .await??;
    spinner.finish_and_clear();
    crate::ui::detail(format!(
        "firmware for {}: {}",
        target.name,
        built.elf.display()
    ));
    if built.cached {
        crate::ui::note(format!("firmware for {}: up to date (cached)", target.name));
    } else {
        crate::ui::note(format!(
            "firmware for {}: built in {:.1}s",
            target.name,
            built.elapsed.as_secs_f64()
        ));
    }
    Ok(built)
}
