//! `tinybench build`: build (or fetch from cache) a target's firmware for a suite, or a
//! model firmware with a model's image written in.

use super::opts::VariantArg;
use super::{BuildOpts, ProjectOpts};
use crate::firmware::gen::{self, ModelTiming};
use crate::run::{Payload, RunPlan};
use std::path::PathBuf;

/// Build the benchmark firmware for a target without running it: a suite's, or (with
/// `--model`) the model firmware with that model's image written into the ELF, ready for
/// any flasher. Prints the ELF's path on stdout.
#[derive(Debug, clap::Args)]
pub struct BuildCmd {
    /// Target name (see `tinybench list targets`) or path to a target TOML.
    #[arg(long, default_value = crate::run::DEFAULT_TARGET)]
    pub target: String,
    /// Suite name (see `tinybench list suites`) or path to a suite TOML.
    #[arg(long, default_value = "smoke")]
    pub suite: String,
    /// A `.tflite` model instead of a suite: the ELF runs it on one seeded input
    /// (`run --model` for datasets and the checks against the host).
    #[arg(long, value_name = "FILE", conflicts_with = "suite")]
    pub model: Option<PathBuf>,
    /// Kernel variant of the model's layers (with `--model`).
    #[arg(long, value_enum, default_value = "optimized", requires = "model")]
    pub variant: VariantArg,
    /// Timed whole inferences (with `--model`).
    #[arg(long, default_value_t = 3, value_name = "N", requires = "model",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub reps: u16,
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
        let payload = match &self.model {
            None => Payload::suite(project.suite(&self.suite)?),
            Some(path) => {
                let (_, compiled) = crate::model::load(path, self.variant.kernels())?;
                let input = crate::model::seeded_input(compiled.input_len(), 1);
                let timing = ModelTiming {
                    warmup: 1,
                    reps: self.reps,
                };
                Payload::Model {
                    name: compiled.name.clone(),
                    firmware: gen::model(&compiled, &[input.data], timing),
                    cases: Vec::new(),
                }
            }
        };
        let plan = RunPlan::new(target.clone(), payload, self.build.settings(&project));
        let progress = super::progress::Progress::new();
        let (built, _) =
            tokio::task::spawn_blocking(move || crate::run::build(&plan, progress.as_ref()))
                .await??;
        let elf = std::fs::read(&built.elf)?;
        let image = tinybench_device::FirmwareImage::parse(elf)?;
        let image_bytes: usize = image.segments.iter().map(|s| s.data.len()).sum();
        crate::outln!("{}", built.elf.display());
        let what = if self.model.is_some() {
            "model"
        } else {
            "suite"
        };
        eprintln!(
            "{}: flash {} bytes of {} KiB, static RAM {} bytes of {} KiB, {what} hash {:08x}",
            target.name,
            image_bytes,
            target.flash.size / 1024,
            image.static_ram,
            target.ram.size / 1024,
            built.suite_hash
        );
        if self.model.is_some() {
            // The model firmware reserves an image region and a RAM pool for any model.
            let f = crate::firmware::patch::footprint(&image)?;
            eprintln!(
                "of which this model and the code use: flash {} bytes, RAM {} bytes (statics, without the stack)",
                f.text + f.rodata + f.data,
                f.data + f.bss
            );
        }
        Ok(crate::exit::OK)
    }
}
