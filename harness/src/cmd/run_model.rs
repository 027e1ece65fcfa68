//! `tinybench run --model`: one whole `.tflite` model on one target, layer by layer.

use super::opts::target_names;
use super::opts::{ModelOpts, RunArgs};
use crate::config::target::Target;
use crate::dataset::{Dataset, Task};
use crate::firmware::gen::{self, ModelTiming};
use crate::model::{self, Input};
use crate::project::Project;
use crate::report;
use crate::run::{Executed, Payload, RunPlan};
use std::path::Path;

fn inputs(
    opts: &ModelOpts,
    dataset: Option<&Path>,
    lens: &[usize],
    out_len: usize,
) -> anyhow::Result<(Vec<Input>, Option<Task>)> {
    let len = lens.iter().sum();
    let Some(dir) = dataset else {
        return Ok((vec![model::seeded_input(len, opts.seed)], None));
    };
    let d = Dataset::load_inputs(dir, lens, out_len)?;
    // An autoencoder reproduces its input: without a stated task, same-sized input and
    // output mean anomaly detection by reconstruction error.
    let task = d.task.unwrap_or(if len == out_len {
        Task::Anomaly
    } else {
        Task::Classification
    });
    d.check_labels(task, out_len)?;
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
    Ok((inputs, Some(task)))
}

/// Run every model of a model suite (`run --suite mlperf-tiny`), one after the other;
/// the exit status is the worst of theirs.
pub async fn run_suite(
    cmd: &RunArgs,
    opts: &ModelOpts,
    project: &Project,
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
        let (code, run) = run_one(cmd, opts, project, &m.file, m.dataset.as_deref()).await?;
        worst = worst.max(code);
        runs.push(run);
    }
    report::output::print_suite_summary(cmd.format, &suite.name, &runs);
    Ok(worst)
}

/// Run the verb's model mode.
pub async fn run(
    cmd: &RunArgs,
    opts: &ModelOpts,
    project: &Project,
    path: &Path,
) -> anyhow::Result<u8> {
    Ok(run_one(cmd, opts, project, path, opts.dataset.as_deref())
        .await?
        .0)
}

/// The one target of a model run, parsed once.
fn model_target(cmd: &RunArgs, _opts: &ModelOpts, project: &Project) -> anyhow::Result<Target> {
    if cmd.all_attached {
        anyhow::bail!(
            "--all-attached runs a suite on every attached board; a model runs on one target: give one --target"
        );
    }
    if cmd.target.len() > 1 {
        anyhow::bail!("--model runs on one target at a time; give one --target");
    }
    let names = target_names(&cmd.target);
    Ok(project.target(&names[0])?)
}

/// Everything the model's firmwares share.
struct ModelRun<'a> {
    cmd: &'a RunArgs,
    opts: &'a ModelOpts,
    project: &'a Project,
    target: Target,
    prepared: model::Prepared,
    batches: Vec<std::ops::Range<usize>>,
    energy: Option<crate::energy::Plan>,
}

async fn run_one(
    cmd: &RunArgs,
    opts: &ModelOpts,
    project: &Project,
    path: &Path,
    dataset: Option<&Path>,
) -> anyhow::Result<(u8, tinybench_results::RunResult)> {
    let target = model_target(cmd, opts, project)?;
    for w in super::global::ineffective_run_options(cmd, opts, "", &target, true) {
        crate::ui::warn(w);
    }
    // Everything that can be refused is refused before a build or a device: the model
    // (unsupported op or quantization), its inputs, and its fit in flash and RAM.
    let (m, compiled) = model::load(path, opts.variant.kernels())?;
    let (inputs, task) = inputs(
        opts,
        dataset,
        &compiled
            .inputs
            .iter()
            .map(|s| s.len as usize)
            .collect::<Vec<_>>(),
        compiled.output_len(),
    )?;
    let prepared = model::prepare(m, compiled, inputs)?;
    let batches = batches(
        &target,
        prepared.compiled.data_bytes().len() as u64,
        prepared.compiled.input_len() as u64,
        prepared.inputs.len(),
        opts.inputs_per_build,
    );
    let energy = crate::energy::plan(&cmd.energy.energy, &target)?;
    let run = ModelRun {
        cmd,
        opts,
        project,
        target,
        prepared,
        batches,
        energy,
    };
    let first = run.plan(0);
    if let Some(firmware) = first.payload.firmware() {
        crate::firmware::build::check_fit(&run.target, &firmware)?;
    }
    crate::run::check(&first)?;
    run.announce(0);
    report::output::run_start(
        &run.target.name,
        first.payload.name(),
        first.payload.cases().len(),
    );
    let mut executed = run.execute(first).await?;
    let mut outputs = run.prepared.device_outputs(&executed.finished.events, 0);
    let rest_ok = run.rest(&mut outputs).await?;
    let summary = run.summarize(&outputs, &executed, task);
    let outputs_ok = summary.host_mismatches == 0
        && summary
            .reference
            .as_ref()
            .is_none_or(|r| r.mismatched.is_empty());
    executed.finished.result.model = Some(summary);
    // A failed save still prints the measurement, then exits 2 (issue 19).
    let saved = match cmd.no_save {
        true => Ok(String::new()),
        false => super::save(&cmd.store.store(Some(project)), project, &mut executed),
    };
    let finished = &executed.finished;
    let passed = finished.passed() && rest_ok && outputs_ok;
    if report::output::print_run(cmd.format, &finished.result, passed) {
        print_small_output(&run.prepared, &outputs);
    }
    finished.eprint_failures(&run.target.name);
    if let Err(e) = saved {
        return Ok((super::not_stored(&e), executed.finished.result));
    }
    let code = if passed {
        crate::exit::OK
    } else {
        crate::exit::BENCH_FAILED
    };
    Ok((code, executed.finished.result))
}

impl ModelRun<'_> {
    /// The plan of firmware `k`: the first is timed (warm-up and repetitions), the others
    /// run their inputs once, untimed but checked layer by layer.
    fn plan(&self, k: usize) -> RunPlan {
        let opts = self.opts;
        let range = self.batches[k].clone();
        let timing = if k == 0 {
            ModelTiming {
                warmup: opts.warmup,
                reps: opts.reps,
            }
        } else {
            ModelTiming { warmup: 0, reps: 1 }
        };
        let inputs: Vec<Vec<i8>> = self.prepared.inputs[range.clone()]
            .iter()
            .map(|i| i.data.clone())
            .collect();
        let payload = Payload::Model {
            name: self.prepared.compiled.name.clone(),
            firmware: gen::model(&self.prepared.compiled, &inputs, timing),
            cases: self.prepared.specs(range.start),
        };
        // Every inference the firmware runs: warm-up, timed, the layer pass and its inputs.
        let inferences = (timing.warmup + timing.reps) as u64 + range.len() as u64;
        let budget = crate::run::plan::model_budget(self.prepared.compiled.macs(), inferences);
        let cmd = self.cmd;
        RunPlan::new(
            self.target.clone(),
            payload,
            cmd.build.settings(self.project),
        )
        .with_limits(cmd.limits.limits(budget))
        .with_probe(cmd.probe.opts())
        // A measured source needs the firmware to mark each timed region (PPK2 pin, power
        // monitor readings): only the timed firmware is measured.
        .with_energy(if k == 0 { self.energy.clone() } else { None })
    }

    /// Which inputs firmware `k` runs, when the dataset needs several.
    fn announce(&self, k: usize) {
        let range = &self.batches[k];
        if self.batches.len() > 1 {
            eprintln!(
                "firmware {}/{}: inputs {}–{} of {}",
                k + 1,
                self.batches.len(),
                range.start + 1,
                range.end,
                self.prepared.inputs.len()
            );
        }
    }

    async fn execute(&self, plan: RunPlan) -> anyhow::Result<Executed> {
        let progress = super::progress::Progress::new();
        let executed =
            tokio::task::spawn_blocking(move || crate::run::execute(&plan, progress)).await??;
        for w in &executed.finished.warnings {
            eprintln!("warning: {w}");
        }
        Ok(executed)
    }

    /// The rest of a large dataset, firmware after firmware; their outputs fill in
    /// `outputs`. Whether they all passed.
    async fn rest(&self, outputs: &mut [Option<Vec<i8>>]) -> anyhow::Result<bool> {
        let mut ok = true;
        for (k, range) in self.batches.iter().enumerate().skip(1) {
            self.announce(k);
            let more = self.execute(self.plan(k)).await?;
            if !more.finished.passed() {
                more.finished.eprint_failures(&format!(
                    "{} (firmware {}/{})",
                    self.target.name,
                    k + 1,
                    self.batches.len()
                ));
                ok = false;
            }
            let got = self
                .prepared
                .device_outputs(&more.finished.events, range.start);
            for (o, g) in outputs.iter_mut().zip(got) {
                if g.is_some() {
                    *o = g;
                }
            }
        }
        Ok(ok)
    }

    /// The model part of the result, with quality metrics when the inputs are labelled.
    fn summarize(
        &self,
        outputs: &[Option<Vec<i8>>],
        executed: &Executed,
        task: Option<Task>,
    ) -> tinybench_results::ModelSummary {
        let footprint = executed.footprint.unwrap_or_default();
        let mut summary =
            self.prepared
                .summary(outputs, &executed.finished.events, footprint, &self.target);
        if let Some(task) = task {
            match self.prepared.quality(task, outputs) {
                Ok(q) => summary.quality = q,
                Err(e) => eprintln!("warning: no quality metrics: {e}"),
            }
        }
        summary
    }
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
    let reserve = crate::firmware::build::MODEL_FLASH_RESERVE + blob;
    let fit = target.flash.size.saturating_sub(reserve) / input_len.max(1);
    let per = per_build.map_or(fit, u64::from).clamp(1, n.max(1) as u64) as usize;
    (0..n.max(1))
        .step_by(per)
        .map(|s| s..(s + per).min(n.max(1)))
        .collect()
}

/// The first input's output tensor, when it is small enough to read (a classifier's
/// scores), with its element type.
fn print_small_output(prepared: &model::Prepared, outputs: &[Option<Vec<i8>>]) {
    let Some(Some(o)) = outputs.first() else {
        return;
    };
    let ty = if prepared.int16_outputs() {
        "int16"
    } else {
        "int8"
    };
    if let Some(v) = prepared.output_values(o).filter(|v| v.len() <= 16) {
        crate::outln!("output ({ty}): {v:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: super::super::run::RunCmd,
    }

    /// The probe and limit options reach the model's plans: the issue was that model mode
    /// opened boards with environment variables only.
    #[test]
    fn model_plans_carry_the_probe_options_and_limits() {
        use tinybench_model::testing::{single_op_model, tflite};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reshape.tflite");
        let bytes = single_op_model(tflite::BuiltinOperator::RESHAPE, tflite::TensorType::INT8);
        std::fs::write(&path, bytes).unwrap();
        let p = path.to_str().unwrap();
        let cli = Cli::parse_from([
            "tinybench",
            "--target",
            "nrf52840",
            "--model",
            p,
            "--probe",
            "1366:1015",
            "--runner-config",
            "rc.toml",
            "--case-timeout",
            "7",
            "--attach-attempts",
            "5",
            "--timeout",
            "9",
            "--reps",
            "2",
            "--warmup",
            "0",
        ]);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let project = Project::find(Some(&root)).unwrap();
        let target = model_target(&cli.run.args, &cli.run.model, &project).unwrap();
        let (m, compiled) =
            model::load(&path, tinybench_kernels::case::Variant::Reference).unwrap();
        let input = model::seeded_input(compiled.input_len(), 1);
        let prepared = model::prepare(m, compiled, vec![input]).unwrap();
        let run = ModelRun {
            cmd: &cli.run.args,
            opts: &cli.run.model,
            project: &project,
            target,
            prepared,
            batches: std::iter::once(0..1).collect(),
            energy: None,
        };
        let plan = run.plan(0);
        assert_eq!(plan.target.name, "nrf52840");
        assert_eq!(plan.probe.probe.as_deref(), Some("1366:1015"));
        assert_eq!(
            plan.probe.runner_config.as_deref(),
            Some(std::path::Path::new("rc.toml"))
        );
        assert_eq!(
            plan.probe.case_timeout,
            Some(std::time::Duration::from_secs(7))
        );
        assert_eq!(plan.probe.attach_attempts, 5);
        assert_eq!(plan.limits.wall_timeout, std::time::Duration::from_secs(9));
        // Two timed inferences and the layer pass of one input: the model budget.
        let macs = run.prepared.compiled.macs();
        assert_eq!(
            plan.limits.max_instructions,
            crate::run::plan::model_budget(macs, 3)
        );
    }
    use crate::config::target::tests::{parse, GOOD};
    use crate::config::target::Target;

    fn target(flash_kib: u32) -> Target {
        let text = GOOD.replace("size_kib = 1024", &format!("size_kib = {flash_kib}"));
        parse(&text).unwrap()
    }

    #[test]
    fn inputs_are_split_by_what_fits_the_flash_or_by_the_option() {
        // 160 KiB flash, 128 KiB reserved for code, 30000 bytes of weights: 2768 bytes
        // left, room for 2 inputs of 1000 bytes.
        let t = target(160);
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
