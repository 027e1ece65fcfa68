//! `tinybench run`: build, run on the target's device, check, print.

use super::opts::{target_names, ProbeArgs, RunArgs};
use super::progress::Progress;
use crate::config::target::{Connection, Target};
use crate::project::Project;
use crate::report;
use crate::run::{self, Executed, Payload, RunError, RunPlan};

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
    /// Suite name (see `tinybench list suites`) or path to a suite TOML.
    #[arg(long, default_value = "smoke")]
    pub suite: String,
    /// Run this ELF instead of building a suite firmware: a benchmark of your own code
    /// built with the `tinybench-target` crate (docs/own-code.md). Its benchmarks name
    /// themselves; usable as cargo's runner (`runner = "tinybench run --target
    /// sim-cortex-m4 --elf"`), which appends the path.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["suite", "model"])]
    pub elf: Option<std::path::PathBuf>,
    /// With --elf: also build the ELF's project for the host and run the same benchmarks
    /// there under criterion (`cargo run --release --target <host>` in
    /// CARGO_MANIFEST_DIR, which cargo sets for its runner: `cargo run --release --
    /// --host`); the device's checksums must equal the host's, and host ns are shown
    /// beside the counts. `TINYBENCH_HOST_QUICK=1`: criterion's shortest settings.
    #[arg(long, requires = "elf", conflicts_with = "host_results")]
    pub host: bool,
    /// With --elf: the host run of the same benchmarks from a file its host binary wrote
    /// earlier (`tinybench-host.json`), instead of running it (--host).
    #[arg(long, value_name = "PATH", requires = "elf")]
    pub host_results: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub args: RunArgs,
    #[command(flatten)]
    pub model: super::opts::ModelOpts,
}

impl RunCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.args.project.project()?;
        if let Some(path) = self.model.model.clone() {
            return super::run_model::run(&self.args, &self.model, &project, &path).await;
        }
        if let Some(models) = project.model_suite(&self.suite)? {
            return super::run_model::run_suite(&self.args, &self.model, &project, &models).await;
        }
        let targets = self.targets(&project)?;
        for t in &targets {
            let warnings = super::global::ineffective_run_options(
                &self.args,
                &self.model,
                &self.suite,
                t,
                false,
            );
            for w in warnings {
                crate::ui::warn(w);
            }
        }
        let clock = targets.first().map(|t| t.clock_hz);
        let payload = match &self.elf {
            Some(path) => Payload::elf(path.clone(), self.host_run(path)?),
            None => Payload::suite(project.suite(&self.suite)?),
        };
        let plans_host = payload.host().cloned();
        let plans = self.plans(&project, targets, payload)?;
        if self.args.build_only {
            return build_only(plans).await;
        }
        for p in &plans {
            report::output::run_start(&p.target.name, p.payload.name(), p.payload.cases().len());
        }
        let results = run::execute_all(plans, Progress::new()).await?;
        if self.elf.is_none() {
            return self.finish(&project, results, clock);
        }
        // A user's ELF: its defmt logs (with -v, or always when it failed), the table,
        // then host beside device (with a host run) and each benchmark's checksum.
        super::run_elf::print_logs(&results);
        let host = plans_host.as_ref();
        let checksums = super::run_elf::checksums(&results, host);
        let side_by_side = host.map(|h| super::run_elf::host_tables(&results, h, &project.root));
        let code = self.finish(&project, results, clock)?;
        if self.args.format == crate::report::Format::Table {
            for text in side_by_side.into_iter().flatten().chain(checksums) {
                crate::outln!("{text}");
            }
        }
        Ok(code)
    }

    /// The host run of a user's benchmarks: run now (`--host`) or read (`--host-results`).
    fn host_run(
        &self,
        elf: &std::path::Path,
    ) -> anyhow::Result<Option<crate::run::host::HostResults>> {
        let host = if self.host {
            crate::run::host::run(elf)?
        } else if let Some(path) = &self.host_results {
            crate::run::host::load(
                path,
                &format!("{}, criterion estimates.json", path.display()),
            )?
        } else {
            return Ok(None);
        };
        for w in &host.warnings {
            crate::ui::warn(w.clone());
        }
        Ok(Some(host))
    }

    /// `--target`s (or the default) plus, with `--all-attached`, every runner-config
    /// board whose probe is attached; each target file parsed once.
    pub fn targets(&self, project: &Project) -> anyhow::Result<Vec<Target>> {
        let mut names = if self.args.all_attached {
            self.args.target.clone()
        } else {
            target_names(&self.args.target)
        };
        if self.args.all_attached {
            for t in attached_boards(&self.args.probe)? {
                if !names.contains(&t) {
                    names.push(t);
                }
            }
        }
        let targets = names
            .iter()
            .map(|n| project.target(n))
            .collect::<Result<Vec<_>, _>>()?;
        let boards = targets
            .iter()
            .filter(|t| matches!(t.connection, Connection::Probe { .. }))
            .count();
        if self.args.probe.probe.is_some() && boards > 1 {
            anyhow::bail!(
                "--probe picks one probe, but {boards} board targets were asked for: map probes to targets in a \
                 runner config (--runner-config) instead"
            );
        }
        Ok(targets)
    }

    /// One plan per target; energy figures that cannot be made are refused here, before
    /// anything is built.
    fn plans(
        &self,
        project: &Project,
        targets: Vec<Target>,
        payload: Payload,
    ) -> anyhow::Result<Vec<RunPlan>> {
        let several = targets.len() > 1;
        targets
            .into_iter()
            .map(|t| {
                let energy = crate::energy::plan(&self.args.energy.energy, &t).map_err(|e| {
                    if several {
                        anyhow::anyhow!("{}: {e}", t.name)
                    } else {
                        e.into()
                    }
                })?;
                Ok(
                    RunPlan::new(t, payload.clone(), self.args.build.settings(project))
                        .with_limits(self.args.limits.limits(run::SUITE_BUDGET))
                        .with_probe(self.args.probe.opts())
                        .with_energy(energy),
                )
            })
            .collect()
    }

    /// Store every finished run, print every result and every device error; the exit
    /// code is the worst: a device that could not be driven (2), a failed benchmark (1),
    /// all passed (0).
    fn finish(
        &self,
        project: &Project,
        mut results: Vec<(String, Result<Executed, RunError>)>,
        clock: Option<u64>,
    ) -> anyhow::Result<u8> {
        // A failed save still prints every measurement, then exits 2 (issue 19).
        let mut not_saved = None;
        if !self.args.no_save {
            let store = self.args.store.store(Some(project));
            for (_, r) in results.iter_mut() {
                if let Ok(e) = r {
                    if let Err(err) = super::save(&store, project, e) {
                        not_saved.get_or_insert(err);
                    }
                }
            }
        }
        let several = results.len() > 1;
        let mut code = crate::exit::OK;
        let mut kept = Vec::new();
        for (name, r) in &results {
            match r {
                Ok(e) => {
                    let f = &e.finished;
                    for w in &f.warnings {
                        eprintln!("warning: {name}: {w}");
                    }
                    f.eprint_failures(name);
                    if !f.passed() && code == crate::exit::OK {
                        code = crate::exit::BENCH_FAILED;
                    }
                    kept.push((&f.result, f.passed()));
                }
                Err(e) => {
                    eprintln!("error: {name}: {e}");
                    code = crate::exit::ERROR;
                }
            }
        }
        if several {
            report::output::print_runs(self.args.format, &kept);
        } else if let Some((r, passed)) = kept.first() {
            if report::output::print_run(self.args.format, r, *passed) {
                host_columns(project, clock, r);
            }
        }
        if let Some(e) = not_saved {
            return Ok(super::not_stored(&e));
        }
        Ok(code)
    }
}

/// `--build-only`: every plan's firmware, no device needed.
async fn build_only(plans: Vec<RunPlan>) -> anyhow::Result<u8> {
    let progress = Progress::new();
    for plan in plans {
        let p = progress.clone();
        let (built, _) =
            tokio::task::spawn_blocking(move || run::build(&plan, p.as_ref())).await??;
        crate::outln!("{}", built.elf.display());
    }
    Ok(crate::exit::OK)
}

/// The boards of the runner config whose probe is attached (`--all-attached`).
#[cfg(feature = "probe")]
fn attached_boards(opts: &ProbeArgs) -> anyhow::Result<Vec<String>> {
    let Some(path) = &opts.runner_config else {
        anyhow::bail!(
            "--all-attached needs a runner config (--runner-config FILE, e.g. ci/runner.toml) to know which \
             target each probe drives"
        );
    };
    let runner = tinybench_probe::RunnerConfig::load(path)?;
    let probes = tinybench_probe::real::list_probes();
    let found = runner.attached_targets(&probes);
    if found.is_empty() {
        anyhow::bail!(
            "--all-attached: none of the {} board(s) in {} has its probe attached (`tinybench probes` lists what is)",
            runner.boards.len(),
            path.display()
        );
    }
    Ok(found)
}

#[cfg(not(feature = "probe"))]
fn attached_boards(_: &ProbeArgs) -> anyhow::Result<Vec<String>> {
    anyhow::bail!("--all-attached needs the `probe` feature (the probe-rs backend)")
}

/// The host baseline side by side (issue 6), when the suite has one; a stale or
/// unreadable baseline is reported, never shown.
fn host_columns(project: &Project, clock: Option<u64>, result: &tinybench_results::RunResult) {
    match crate::baseline::lookup(project, &result.suite) {
        Ok(l) => {
            if let Some(text) = report::host::for_lookup(result, &l, clock) {
                crate::outln!("{text}");
            }
        }
        Err(e) => eprintln!("warning: host baseline: {e}"),
    }
}
