//! `tinybench run`: build, run on the target's device, check, print.

use super::{BuildOpts, ProjectOpts, StoreOpts};
use crate::report;
use crate::runner;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;
use tinybench_device::protocol::Event;
use tinybench_device::RunLimits;

/// Default instruction budget of an emulated suite run.
pub const SUITE_BUDGET: u64 = 500_000_000;

/// Output format: every format the result store exports (report/output.rs prints it).
pub use crate::report::Format;

/// Energy source (`--energy`): none, model, ppk2[:PORT], ina226, ina219.
pub use crate::energy::Energy;

/// Run a suite on a target and print the results.
///
/// Builds the firmware (cached when nothing changed), runs it on the target's device
/// (the emulator for `sim-*` targets), checks every output checksum against the host's
/// own computation and prints one row per case. Exit status: 0 when every case passed,
/// 1 when a benchmark failed (checksum mismatch, kernel error, fault, timeout), 2 when
/// tinybench itself could not do the job (bad input, missing toolchain, build failure).
#[derive(Debug, clap::Args)]
pub struct RunCmd {
    /// Target name (see `tinybench list targets`) or path to a target TOML; repeat it to
    /// run several devices in parallel. Default: sim-cortex-m4.
    #[arg(long)]
    pub target: Vec<String>,
    /// Suite name (see `tinybench list suites`) or path to a suite TOML.
    #[arg(long, default_value = "smoke")]
    pub suite: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Energy per inference: `model` turns cycles into µJ with the target file's datasheet
    /// figure ([power] section), labelled "energy, modeled (datasheet …)"; on a board,
    /// `ppk2[:PORT]` measures with a PPK2 ([power.ppk2] wiring) and `ina226`/`ina219` with a
    /// monitor on the board ([power.monitor]), labelled "energy, measured (…)".
    /// docs/energy.md.
    #[arg(long, default_value = "none", value_name = "SOURCE")]
    pub energy: Energy,
    /// Stop an emulated run after this many instructions (a hang becomes a timeout).
    /// Default: 500,000,000 for a suite; for `--model`, that plus 32 per MAC of every
    /// inference the firmware runs.
    #[arg(long, value_name = "N")]
    pub max_instructions: Option<u64>,
    /// Stop a run after this many seconds of wall-clock time.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub timeout: u64,
    #[command(flatten)]
    pub build: BuildOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
    #[command(flatten)]
    pub fleet: crate::fleet::FleetOpts,
    #[command(flatten)]
    pub store: StoreOpts,
    /// Do not save the run in the result store.
    #[arg(long)]
    pub no_save: bool,
    #[command(flatten)]
    pub model: super::run_model::ModelOpts,
}

impl RunCmd {
    /// Run the verb.
    pub async fn run(mut self) -> anyhow::Result<u8> {
        if let Some(path) = self.model.model.clone() {
            return super::run_model::run(&self, &path).await;
        }
        let project = self.project.project()?;
        if let Some(models) = project.model_suite(&self.suite)? {
            return super::run_model::run_suite(&self, &models).await;
        }
        if crate::fleet::wanted(&project, &self.target, &self.fleet)? {
            return crate::fleet::run(&project, &self).await;
        }
        let target = project.target(crate::fleet::single(&self.target))?;
        for w in super::global::ineffective_run_options(&self, &target, false) {
            crate::ui::warn(w);
        }
        let suite = project.suite(&self.suite)?;
        // Fail before building when nothing could run the firmware, or when the energy
        // figures asked for cannot be made.
        let power = crate::energy::plan(&self.energy, &target)?;
        drop(crate::backend::open(&target)?);
        let features = power.as_ref().map(|p| p.firmware_features());
        self.build
            .firmware_features
            .extend(features.unwrap_or_default());
        let built = super::build::firmware(&project, &target, &suite, &self.build).await?;
        let elf = std::fs::read(&built.elf)?;
        let limits = RunLimits {
            max_instructions: self.max_instructions.unwrap_or(SUITE_BUDGET),
            wall_timeout: Duration::from_secs(self.timeout),
        };
        report::output::run_start(&target.name, &suite.name, suite.cases.len());
        let names = suite.cases.iter().map(|c| c.name.clone()).collect();
        let (bar, mut on_event) = progress(&target.name, "cases", names);
        let (t, s) = (target.clone(), suite.clone());
        let mut finished = tokio::task::spawn_blocking(move || {
            runner::run(&t, &s, elf, built.suite_hash, &limits, power, &mut on_event)
        })
        .await??;
        bar.finish_and_clear();
        for w in &finished.warnings {
            eprintln!("warning: {w}");
        }
        if !self.no_save {
            let store = self.store.store(Some(&project));
            save(&store, &project, &target, &self.build, &mut finished.result)?;
        }
        if report::output::print_run(self.format, &finished.result, finished.passed()) {
            host_columns(&project, &target, &finished.result);
        }
        finished.eprint_failures(&target.name);
        Ok(if finished.passed() {
            crate::exit::OK
        } else {
            crate::exit::BENCH_FAILED
        })
    }
}

/// A progress bar over `names` (cases, or a model's inference and layers) on `target`,
/// and the event handler that moves it: the current name on each `case` frame, one step
/// per checksum or kernel error.
pub(super) fn progress(
    target: &str,
    unit: &str,
    names: Vec<String>,
) -> (ProgressBar, impl FnMut(&Event) + Send + 'static) {
    let bar = ProgressBar::new(names.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {unit} on {{prefix}} {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(target.to_string());
    crate::ui::progress(&bar);
    let b = bar.clone();
    let on_event = move |ev: &Event| match ev {
        Event::CaseStart { id } => {
            b.set_message(names.get(*id as usize).cloned().unwrap_or_default())
        }
        Event::Checksum { .. } | Event::KernelError { .. } => b.inc(1),
        _ => {}
    };
    (bar, on_event)
}

/// The host baseline side by side (issue 6), when the suite has one; a stale or
/// unreadable baseline is reported, never shown.
fn host_columns(
    project: &crate::project::Project,
    target: &crate::config::target::Target,
    result: &tinybench_results::RunResult,
) {
    match crate::baseline::lookup(project, &result.suite) {
        Ok(l) => {
            if let Some(text) = report::host::for_lookup(result, &l, Some(target.clock_hz)) {
                println!("{text}");
            }
        }
        Err(e) => eprintln!("warning: host baseline: {e}"),
    }
}

/// Record provenance and store the run (issue 8). A store failure is an error (exit 2):
/// CI must not believe a run was kept when it was not.
/// Returns the run id. Also used by `tinybench ci`.
pub fn save(
    store: &tinybench_results::store::Store,
    project: &crate::project::Project,
    target: &crate::config::target::Target,
    build: &BuildOpts,
    result: &mut tinybench_results::RunResult,
) -> anyhow::Result<String> {
    let toolchain = crate::firmware::toolchain::select(&target.triple, build.toolchain, false)
        .ok()
        .map(|t| t.describe());
    crate::provenance::fill(&mut result.meta, &project.home, toolchain);
    let id = store.save(result)?;
    crate::ui::note(format!("saved run {id} in {}", store.dir().display()));
    Ok(id)
}
