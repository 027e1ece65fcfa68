//! `tinybench run --model`: one whole `.tflite` model on one target, layer by layer.

use super::run::{Format, RunCmd};
use crate::dataset::{Dataset, Task};
use crate::firmware::gen::{self, ModelTiming};
use crate::model::{self, Input};
use crate::report;
use std::path::Path;
use std::time::Duration;
use tinybench_device::{FirmwareImage, RunLimits};

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
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub reps: u16,
    /// Untimed inferences before them (`--model` or a model suite).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub warmup: u16,
    /// Seed of the input when there is no `--dataset`.
    #[arg(long, default_value_t = 1)]
    pub seed: u32,
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
    fn kernels(self) -> tinybench_kernels::case::Variant {
        match self {
            VariantArg::Reference => tinybench_kernels::case::Variant::Reference,
            VariantArg::Optimized => tinybench_kernels::case::Variant::Optimized,
        }
    }
}

fn inputs(
    opts: &ModelOpts,
    dataset: Option<&Path>,
    len: usize,
    out_len: usize,
) -> anyhow::Result<(Vec<Input>, Option<Task>)> {
    let Some(dir) = dataset else {
        return Ok((vec![model::seeded_input(len, opts.seed)], None));
    };
    let d = Dataset::load(dir, len, out_len)?;
    let inputs = d
        .samples
        .into_iter()
        .map(|s| Input {
            name: s.name,
            data: s.input,
            label: s.label,
            expected: s.expected,
        })
        .collect();
    // An autoencoder reproduces its input: without a stated task, same-sized input and
    // output mean anomaly detection by reconstruction error.
    let task = d.task.unwrap_or(if len == out_len {
        Task::Anomaly
    } else {
        Task::Classification
    });
    Ok((inputs, Some(task)))
}

/// Run every model of a model suite (`run --suite mlperf-tiny`), one after the other;
/// the exit status is the worst of theirs.
pub async fn run_suite(
    cmd: &RunCmd,
    suite: &crate::config::model_suite::ModelSuite,
) -> anyhow::Result<u8> {
    let mut worst = crate::exit::OK;
    for m in &suite.models {
        eprintln!("== {} / {}: {}", suite.name, m.name, m.file.display());
        worst = worst.max(run_one(cmd, &m.file, m.dataset.as_deref()).await?);
    }
    Ok(worst)
}

/// Run the verb's model mode.
pub async fn run(cmd: &RunCmd, path: &Path) -> anyhow::Result<u8> {
    run_one(cmd, path, cmd.model.dataset.as_deref()).await
}

async fn run_one(cmd: &RunCmd, path: &Path, dataset: Option<&Path>) -> anyhow::Result<u8> {
    let project = cmd.project.project()?;
    if cmd.target.len() > 1 {
        anyhow::bail!("--model runs on one target at a time; give one --target");
    }
    let target = project.target(crate::fleet::single(&cmd.target))?;
    let opts = &cmd.model;
    // Everything that can be refused is refused before a build or a device: the model
    // (unsupported op or quantization), its inputs, and its fit in flash and RAM.
    let (m, compiled) = model::load(path, opts.variant.kernels())?;
    let (inputs, task) = inputs(
        opts,
        dataset,
        compiled.input.len as usize,
        compiled.output.len as usize,
    )?;
    let prepared = model::prepare(m, compiled, inputs)?;
    let payload = gen::model(
        &prepared.compiled,
        &prepared
            .inputs
            .iter()
            .map(|i| i.data.clone())
            .collect::<Vec<_>>(),
        ModelTiming {
            warmup: opts.warmup,
            reps: opts.reps,
        },
    );
    crate::firmware::build::check_fit(&target, &payload)?;
    drop(crate::backend::open(&target)?);
    let energy = crate::energy::plan(&cmd.energy, &target)?;
    // A measured source needs the firmware to mark each timed region (PPK2 pin, power
    // monitor readings): the model firmware's inferences and layers are marked as a
    // suite's repetitions are.
    let mut build = cmd.build.clone();
    build
        .firmware_features
        .extend(energy.iter().flat_map(|p| p.firmware_features()));
    let built = super::build::firmware_for(&project, &target, &payload, &build).await?;
    let elf = std::fs::read(&built.elf)?;
    let footprint = FirmwareImage::parse(elf.clone())?.footprint()?;
    let limits = RunLimits {
        max_instructions: cmd.max_instructions.unwrap_or_else(|| {
            // Every inference the firmware runs: warm-up, timed, the layer pass and the
            // other inputs. 32 instructions per MAC is over four times the slowest
            // layer measured (7.2 per MAC, ResNet-8 on RV32IMAC).
            let inferences = (opts.warmup + opts.reps) as u64 + prepared.inputs.len() as u64;
            super::run::SUITE_BUDGET + 32 * prepared.compiled.macs() * inferences
        }),
        wall_timeout: Duration::from_secs(cmd.timeout),
    };
    let specs = prepared.specs();
    let names = specs.iter().map(|c| c.name.clone()).collect();
    let (bar, mut on_event) = super::run::progress(&target.name, "layers", names);
    let (t, name) = (target.clone(), prepared.compiled.name.clone());
    let mut finished = tokio::task::spawn_blocking(move || {
        crate::runner::run_specs(
            &t,
            &name,
            &specs,
            elf,
            built.suite_hash,
            &limits,
            energy,
            &mut on_event,
        )
    })
    .await??;
    bar.finish_and_clear();
    for w in &finished.warnings {
        eprintln!("warning: {w}");
    }
    let outputs = prepared.device_outputs(&finished.events);
    let mut summary = prepared.summary(&outputs, &finished.events, footprint, &target);
    if let Some(task) = task {
        match prepared.quality(task, &outputs) {
            Ok(q) => summary.quality = q,
            Err(e) => eprintln!("warning: no quality metrics: {e}"),
        }
    }
    let outputs_ok = summary.host_mismatches == 0
        && summary
            .reference
            .as_ref()
            .is_none_or(|r| r.mismatched.is_empty());
    finished.result.model = Some(summary);
    if !cmd.no_save {
        let store = cmd.store.store(Some(&project));
        super::run::save(&store, &project, &target, &build, &mut finished.result)?;
    }
    match cmd.format {
        Format::Table => {
            if let Some(text) = report::model::render(&finished.result) {
                println!("{text}");
            }
            print_small_output(&outputs);
        }
        Format::Json => println!("{}", report::json::render(&finished.result)),
    }
    finished.eprint_failures(&target.name);
    Ok(if finished.passed() && outputs_ok {
        crate::exit::OK
    } else {
        crate::exit::BENCH_FAILED
    })
}

/// The first input's output tensor, when it is small enough to read (a classifier's
/// scores).
fn print_small_output(outputs: &[Option<Vec<i8>>]) {
    if let Some(Some(o)) = outputs.first() {
        if o.len() <= 16 {
            println!("output (int8): {o:?}");
        }
    }
}
