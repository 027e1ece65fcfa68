//! `tinybench run --model`: one whole `.tflite` model on one target, layer by layer.

use super::run::RunCmd;
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
    /// Most `--dataset` inputs compiled into one firmware. The inputs live in flash next
    /// to the weights; a dataset larger than that runs as several firmwares, one after
    /// the other (the first one is timed). Default: as many as fit the target's flash.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub inputs_per_build: Option<u32>,
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
    let mut runs = Vec::new();
    for m in &suite.models {
        crate::ui::note(format!(
            "== {} / {}: {}",
            suite.name,
            m.name,
            m.file.display()
        ));
        let (code, run) = run_one(cmd, &m.file, m.dataset.as_deref()).await?;
        worst = worst.max(code);
        runs.push(run);
    }
    report::output::print_suite_summary(cmd.format, &suite.name, &runs);
    Ok(worst)
}

/// Run the verb's model mode.
pub async fn run(cmd: &RunCmd, path: &Path) -> anyhow::Result<u8> {
    Ok(run_one(cmd, path, cmd.model.dataset.as_deref()).await?.0)
}

/// One model: its exit status and its run.
async fn run_one(
    cmd: &RunCmd,
    path: &Path,
    dataset: Option<&Path>,
) -> anyhow::Result<(u8, tinybench_results::RunResult)> {
    let project = cmd.project.project()?;
    if cmd.target.len() > 1 {
        anyhow::bail!("--model runs on one target at a time; give one --target");
    }
    let target = project.target(crate::fleet::single(&cmd.target))?;
    for w in super::global::ineffective_run_options(cmd, &target, true) {
        crate::ui::warn(w);
    }
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
    let batches = batches(
        &target,
        prepared.compiled.data_bytes().len() as u64,
        prepared.compiled.input.len as u64,
        prepared.inputs.len(),
        opts.inputs_per_build,
    );
    let timing = ModelTiming {
        warmup: opts.warmup,
        reps: opts.reps,
    };
    let first = payload(&prepared, batches[0].clone(), timing);
    crate::firmware::build::check_fit(&target, &first)?;
    drop(crate::backend::open(&target)?);
    let energy = crate::energy::plan(&cmd.energy, &target)?;
    // A measured source needs the firmware to mark each timed region (PPK2 pin, power
    // monitor readings): the model firmware's inferences and layers are marked as a
    // suite's repetitions are.
    let mut build = cmd.build.clone();
    build
        .firmware_features
        .extend(energy.iter().flat_map(|p| p.firmware_features()));
    let cases = prepared.specs(0).len();
    report::output::run_start(&target.name, &prepared.compiled.name, cases);
    let (mut finished, footprint) = build_and_run(
        cmd, &project, &target, &build, &prepared, &batches, 0, first, energy,
    )
    .await?;
    let mut outputs = prepared.device_outputs(&finished.events, 0);
    // The rest of a large dataset: firmwares that run their inputs once, untimed but
    // checked layer by layer on their own first input like the first firmware.
    let mut rest_ok = true;
    for (k, range) in batches.iter().enumerate().skip(1) {
        let untimed = ModelTiming { warmup: 0, reps: 1 };
        let p = payload(&prepared, range.clone(), untimed);
        let (more, _) = build_and_run(
            cmd, &project, &target, &build, &prepared, &batches, k, p, None,
        )
        .await?;
        if !more.passed() {
            more.eprint_failures(&format!(
                "{} (firmware {}/{})",
                target.name,
                k + 1,
                batches.len()
            ));
            rest_ok = false;
        }
        for (o, got) in outputs
            .iter_mut()
            .zip(prepared.device_outputs(&more.events, range.start))
        {
            if got.is_some() {
                *o = got;
            }
        }
    }
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
    let passed = finished.passed() && rest_ok && outputs_ok;
    if report::output::print_run(cmd.format, &finished.result, passed) {
        print_small_output(&outputs);
    }
    finished.eprint_failures(&target.name);
    let code = if passed {
        crate::exit::OK
    } else {
        crate::exit::BENCH_FAILED
    };
    Ok((code, finished.result))
}

/// Split `n` inputs into the firmwares that run them: each holds the weights (`blob`
/// bytes) and as many `input_len`-byte inputs as fit the flash left by the code reserve,
/// or `per_build` when given. At least one input per firmware; one that does not even fit
/// a single input is refused by the fit check with the numbers.
fn batches(
    target: &crate::config::target::Target,
    blob: u64,
    input_len: u64,
    n: usize,
    per_build: Option<u32>,
) -> Vec<std::ops::Range<usize>> {
    let reserve = crate::firmware::build::FLASH_RESERVE + blob;
    let fit = target.flash.size.saturating_sub(reserve) / input_len.max(1);
    let per = per_build.map_or(fit, u64::from).clamp(1, n.max(1) as u64) as usize;
    (0..n.max(1))
        .step_by(per)
        .map(|s| s..(s + per).min(n.max(1)))
        .collect()
}

fn payload(
    prepared: &model::Prepared,
    range: std::ops::Range<usize>,
    timing: ModelTiming,
) -> crate::firmware::gen::Payload {
    let inputs: Vec<Vec<i8>> = prepared.inputs[range]
        .iter()
        .map(|i| i.data.clone())
        .collect();
    gen::model(&prepared.compiled, &inputs, timing)
}

/// Build one firmware of the run and run it: firmware `k` of `batches`, whose first
/// input is `batches[k].start`.
#[allow(clippy::too_many_arguments)]
async fn build_and_run(
    cmd: &RunCmd,
    project: &crate::project::Project,
    target: &crate::config::target::Target,
    build: &super::BuildOpts,
    prepared: &model::Prepared,
    batches: &[std::ops::Range<usize>],
    k: usize,
    payload: crate::firmware::gen::Payload,
    energy: Option<crate::energy::Plan>,
) -> anyhow::Result<(crate::runner::Finished, tinybench_device::Footprint)> {
    let range = &batches[k];
    if batches.len() > 1 {
        eprintln!(
            "firmware {}/{}: inputs {}–{} of {}",
            k + 1,
            batches.len(),
            range.start + 1,
            range.end,
            prepared.inputs.len()
        );
    }
    let built = super::build::firmware_for(project, target, &payload, build).await?;
    let elf = std::fs::read(&built.elf)?;
    let footprint = FirmwareImage::parse(elf.clone())?.footprint()?;
    let timing = if k == 0 {
        (cmd.model.warmup + cmd.model.reps) as u64
    } else {
        1
    };
    let limits = RunLimits {
        max_instructions: cmd.max_instructions.unwrap_or_else(|| {
            // Every inference the firmware runs: warm-up, timed, the layer pass and its
            // inputs. 32 instructions per MAC is over four times the slowest layer
            // measured (7.2 per MAC, ResNet-8 on RV32IMAC).
            let inferences = timing + range.len() as u64;
            super::run::SUITE_BUDGET + 32 * prepared.compiled.macs() * inferences
        }),
        wall_timeout: Duration::from_secs(cmd.timeout),
    };
    let specs = prepared.specs(range.start);
    let names = specs.iter().map(|c| c.name.clone()).collect();
    let (bar, mut on_event) = super::run::progress(&target.name, "layers", names);
    let (t, name) = (target.clone(), prepared.compiled.name.clone());
    let finished = tokio::task::spawn_blocking(move || {
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
    Ok((finished, footprint))
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

#[cfg(test)]
mod tests {
    use super::batches;
    use crate::config::target::tests::{parse, GOOD};
    use crate::config::target::Target;

    fn target(flash_kib: u32) -> Target {
        let text = GOOD.replace("size_kib = 1024", &format!("size_kib = {flash_kib}"));
        parse(&text).unwrap()
    }

    #[test]
    fn inputs_are_split_by_what_fits_the_flash_or_by_the_option() {
        // 64 KiB flash, 32 KiB reserved for code, 30000 bytes of weights: 2768 bytes
        // left, room for 2 inputs of 1000 bytes.
        let t = target(64);
        assert_eq!(batches(&t, 30_000, 1000, 5, None), vec![0..2, 2..4, 4..5]);
        // Everything fits: one firmware, as before.
        assert_eq!(batches(&t, 30_000, 100, 5, None), vec![0..5]);
        // The option wins, within the dataset's size.
        assert_eq!(batches(&t, 30_000, 100, 5, Some(3)), vec![0..3, 3..5]);
        assert_eq!(batches(&t, 30_000, 100, 5, Some(9)), vec![0..5]);
        // Not even one input fits: one input per firmware, and the fit check refuses
        // the first one with the numbers.
        assert_eq!(batches(&t, 40_000, 1000, 2, None), vec![0..1, 1..2]);
        // A run without a dataset has one input.
        assert_eq!(batches(&t, 30_000, 1000, 1, None), vec![0..1]);
    }
}
