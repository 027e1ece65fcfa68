//! `tinybench ci`: run + store + compare + export in one call, with exit codes that tell a
//! flaky rig from a real regression (docs/ci.md).
//!
//! Per target: find the device, build the firmware (cached), run it through the fleet's
//! device job (the same path as `tinybench run`), retrying infrastructure failures; then
//! look up the base run, store the head run, compare, and write the exports.

use super::opts::{target_names, EnergyArgs, LimitArgs, ProbeArgs};
use super::{BuildOpts, ProjectOpts, StoreOpts};
use crate::config::target::Target;
use crate::project::Project;
use crate::report::{self, Format, Report};
use crate::run::{self, Executed, Payload, RunError, RunPlan};
use crate::runsel::{select, Filter};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tinybench_device::RunOutcome;
use tinybench_results::compare::Comparison;
use tinybench_results::store::Store;

/// Run suites, store them, compare with a base and export, for CI.
///
/// Exit status (the most severe finding wins, in this order): 1 a benchmark failed
/// (checksum mismatch, kernel error, firmware fault, timeout); 3 a case is slower than
/// `--fail-above` against the base run; 4 infrastructure failed after the retries (no
/// probe, attach error, probe lost, firmware build or toolchain failure); 2 tinybench
/// could not do the job (bad target or suite file, bad runner config, unwritable export);
/// 0 everything passed.
#[derive(Debug, clap::Args)]
pub struct CiCmd {
    /// Target name or TOML path; repeat for several. Default: sim-cortex-m4.
    #[arg(long)]
    pub target: Vec<String>,
    /// Every emulated target (`sim-*` in targets/), in addition to any `--target`.
    #[arg(long)]
    pub all_emulated: bool,
    /// Suite name or TOML path; repeat for several (every suite runs on every target).
    #[arg(long, default_value = "smoke")]
    pub suite: Vec<String>,
    /// The base run to compare with: a run id, `latest`, `latest~N` or a git ref (the
    /// newest run at that commit), looked up per target and suite in `--base-dir`.
    /// Without it nothing is compared.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Result store holding the base runs (e.g. the base branch's downloaded results
    /// artifact). Default: the result store itself (looked up before the new runs are
    /// saved).
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// The gate against the base (`--fail-above`, `--gate METRIC=THRESHOLD`, `--noise`):
    /// exit 3 when a metric is worse than its threshold.
    #[command(flatten)]
    pub gate: super::gate::GateOpts,
    /// Append the Markdown summary to FILE (e.g. "$GITHUB_STEP_SUMMARY").
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write JUnit XML (one test case per benchmark case) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON summary (per target: status, run id, comparison, error) to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Retries after an infrastructure failure of a device. Default: the runner config's
    /// `[retry] infra_retries`, else 2.
    #[arg(long, value_name = "N")]
    pub infra_retries: Option<u32>,
    /// Seconds between retries. Default: the runner config's `[retry] delay`, else 5.
    #[arg(long, value_name = "SECONDS")]
    pub retry_delay: Option<u64>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub energy: EnergyArgs,
    #[command(flatten)]
    pub build: BuildOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
    #[command(flatten)]
    pub probe: ProbeArgs,
    #[command(flatten)]
    pub store: StoreOpts,
}

/// How one target ended.
enum Outcome {
    /// It ran (the benchmark may still have failed).
    Ran {
        executed: Box<Executed>,
        run_id: String,
        comparison: Option<Box<Comparison>>,
        base_note: Option<String>,
    },
    /// The rig failed, after `attempts` attempts.
    Infra {
        target: String,
        suite: String,
        error: String,
        attempts: u32,
    },
}

/// The runner config's retry policy and hooks (nothing without the probe backend).
#[derive(Default)]
struct Policy {
    retries: Option<u32>,
    delay: Option<u64>,
    hooks: Vec<(String, String)>,
    timeouts: Vec<(String, u64)>,
}

impl Policy {
    #[cfg(feature = "probe")]
    fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let r = tinybench_probe::RunnerConfig::load(path)?;
        Ok(Self {
            retries: r.infra_retries,
            delay: r.retry_delay,
            hooks: r
                .boards
                .iter()
                .filter_map(|b| Some((b.target.clone(), r.power_cycle_for(&b.target)?.into())))
                .chain(r.power_cycle.clone().map(|c| (String::new(), c)))
                .collect(),
            timeouts: r
                .boards
                .iter()
                .filter_map(|b| Some((b.target.clone(), b.timeout?)))
                .collect(),
        })
    }

    #[cfg(not(feature = "probe"))]
    fn load(_: Option<&Path>) -> anyhow::Result<Self> {
        Ok(Self::default())
    }

    /// The board's own hook, else the default one (stored under "").
    fn hook(&self, target: &str) -> Option<&str> {
        let find = |t: &str| self.hooks.iter().find(|(n, _)| n == t).map(|(_, c)| c);
        find(target).or_else(|| find("")).map(String::as_str)
    }

    fn timeout(&self, target: &str) -> Option<u64> {
        self.timeouts
            .iter()
            .find(|(n, _)| n == target)
            .map(|(_, t)| *t)
    }
}

/// Run a power-cycle hook (`sh -c`), logging what happened; a failing hook is reported
/// and the retry goes ahead anyway.
fn power_cycle(command: &str, target: &str) {
    eprintln!("{target}: power-cycling: {command}");
    match std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("TINYBENCH_TARGET", target)
        .status()
    {
        Ok(s) if s.success() => {}
        Ok(s) => eprintln!("warning: {target}: power-cycle command exited with {s}"),
        Err(e) => eprintln!("warning: {target}: power-cycle command could not start: {e}"),
    }
}

impl CiCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project()?;
        let targets = self.targets(&project)?;
        let suites = self
            .suite
            .iter()
            .map(|s| project.suite(s).map(Payload::suite))
            .collect::<Result<Vec<_>, _>>()?;
        let policy = Policy::load(self.probe.runner_config.as_deref())?;
        let store = self.store.store(Some(&project));
        if self.base.is_some() {
            let base_store = self.base_dir.as_ref().map(Store::new);
            let dir = base_store.as_ref().unwrap_or(&store).dir();
            if let Err(e) = crate::runsel::base_readable(dir) {
                eprintln!("error: base store: {e} (an unreadable base is an infrastructure failure, not \"no base yet\")");
                return Ok(crate::exit::INFRA);
            }
        }
        // Energy figures asked for but impossible: said before anything runs.
        let mut plans = Vec::new();
        for suite in &suites {
            for t in &targets {
                let energy = crate::energy::plan(&self.energy.energy, t)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", t.name))?;
                let mut limits = self.limits.limits(run::SUITE_BUDGET);
                if let Some(s) = policy.timeout(&t.name) {
                    limits.wall_timeout = Duration::from_secs(s);
                }
                plans.push(
                    RunPlan::new(t.clone(), suite.clone(), self.build.settings(&project))
                        .with_limits(limits)
                        .with_probe(self.probe.opts())
                        .with_energy(energy),
                );
            }
        }
        let mut outcomes = Vec::new();
        for plan in plans {
            let name = format!("{} · {}", plan.target.name, plan.payload.name());
            let outcome = match self.with_retries(&plan, &policy).await {
                Ok(executed) => self.ran(&project, &store, &plan, executed)?,
                Err((error, attempts)) => Outcome::Infra {
                    target: plan.target.name.clone(),
                    suite: plan.payload.name().to_string(),
                    error,
                    attempts,
                },
            };
            outcomes.push((name, outcome));
        }
        let code = self.verdict(&outcomes);
        self.export(&outcomes, code)?;
        Ok(code)
    }

    /// Run a plan, retrying infrastructure failures (power-cycling between attempts when
    /// the runner config says how). A build failure is not retried: it would fail the
    /// same way. The error and the number of attempts made when it never ran.
    async fn with_retries(
        &self,
        plan: &RunPlan,
        policy: &Policy,
    ) -> Result<Executed, (String, u32)> {
        let retries = self.infra_retries.or(policy.retries).unwrap_or(2);
        let delay = Duration::from_secs(self.retry_delay.or(policy.delay).unwrap_or(5));
        let name = &plan.target.name;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let progress = super::progress::Progress::new();
            let result = run::execute_all(vec![plan.clone()], progress)
                .await
                .and_then(|mut r| {
                    r.pop()
                        .map(|(_, r)| r)
                        .unwrap_or_else(|| Err(RunError::Stuck("the device job vanished".into())))
                });
            match result {
                Ok(e) => return Ok(e),
                Err(e) if !e.is_infrastructure() => {
                    let error = match e {
                        RunError::Build(_) | RunError::Toolchain(_) => {
                            format!("firmware build: {e}")
                        }
                        _ => e.to_string(),
                    };
                    return Err((error, attempt));
                }
                Err(e) => {
                    eprintln!(
                        "error: {name}: infrastructure failure (attempt {attempt}/{}): {e}",
                        retries + 1
                    );
                    if attempt > retries {
                        return Err((e.to_string(), attempt));
                    }
                    if let Some(hook) = policy.hook(name) {
                        power_cycle(hook, name);
                    }
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// A plan that ran: look up its base (before the head run is stored, so `--base
    /// latest` in the same store is the run before this one), store it, compare.
    fn ran(
        &self,
        project: &Project,
        store: &Store,
        plan: &RunPlan,
        mut executed: Executed,
    ) -> anyhow::Result<Outcome> {
        for w in &executed.finished.warnings {
            eprintln!("warning: {}: {w}", plan.target.name);
        }
        let base_store = self.base_dir.as_ref().map(Store::new);
        let (base, base_note) = match &self.base {
            None => (None, None),
            Some(spec) => {
                let filter = Filter {
                    target: Some(plan.target.name.clone()),
                    suite: Some(plan.payload.name().to_string()),
                };
                let s = base_store.as_ref().unwrap_or(store);
                match select(s, Some(&project.home), spec, &filter) {
                    Ok(b) => (Some(b), None),
                    Err(e) => (None, Some(format!("no base run, nothing compared: {e}"))),
                }
            }
        };
        let run_id = super::save(store, project, &mut executed)?;
        let comparison =
            base.map(|b| Box::new(self.gate.compare(&b.run, &executed.finished.result)));
        Ok(Outcome::Ran {
            executed: Box::new(executed),
            run_id,
            comparison,
            base_note,
        })
    }

    /// `--target`s plus, with `--all-emulated`, every emulated target of the project.
    fn targets(&self, project: &Project) -> anyhow::Result<Vec<Target>> {
        let mut names = self.target.clone();
        if self.all_emulated {
            for t in project.all_targets() {
                let t = t?;
                if t.is_emulated() && !names.contains(&t.name) {
                    names.push(t.name);
                }
            }
        }
        Ok(target_names(&names)
            .iter()
            .map(|n| project.target(n))
            .collect::<Result<_, _>>()?)
    }

    /// The exit code: benchmark failure, then regression, then infrastructure, then OK.
    fn verdict(&self, outcomes: &[(String, Outcome)]) -> u8 {
        let (mut failed, mut regressed, mut infra) = (false, false, false);
        for (name, o) in outcomes {
            match o {
                Outcome::Ran {
                    executed,
                    comparison,
                    ..
                } => {
                    let finished = &executed.finished;
                    let bad: Vec<&str> = finished
                        .result
                        .cases
                        .iter()
                        .filter(|c| !c.status.is_ok())
                        .map(|c| c.name.as_str())
                        .collect();
                    if finished.outcome != RunOutcome::Completed {
                        eprintln!("error: {name}: {}", finished.outcome.describe());
                        failed = true;
                    }
                    if !bad.is_empty() {
                        eprintln!("error: {name}: case(s) failed: {}", bad.join(", "));
                        failed = true;
                    }
                    if let Some(cmp) = comparison.as_ref().filter(|c| super::gate::regressed(c)) {
                        if let Some(text) = report::gate_text(cmp) {
                            eprintln!("error: {name}: regression: {text}");
                        }
                        regressed = true;
                    }
                }
                Outcome::Infra {
                    error, attempts, ..
                } => {
                    eprintln!("error: {name}: infrastructure failure after {attempts} attempt(s), not a benchmark result: {error}");
                    infra = true;
                }
            }
        }
        if failed {
            crate::exit::BENCH_FAILED
        } else if regressed {
            crate::exit::REGRESSION
        } else if infra {
            crate::exit::INFRA
        } else {
            crate::exit::OK
        }
    }

    /// Terminal tables on stdout, and the files asked for.
    fn export(&self, outcomes: &[(String, Outcome)], code: u8) -> anyhow::Result<()> {
        let mut table = report::reporter(Format::Table);
        let mut md = report::reporter(Format::Markdown);
        let mut junit = report::reporter(Format::Junit);
        let mut md_notes = String::new();
        let mut json_targets = Vec::new();
        for (name, o) in outcomes {
            match o {
                Outcome::Ran {
                    executed,
                    run_id,
                    comparison,
                    base_note,
                } => {
                    let finished = &executed.finished;
                    let feed = |r: &mut Box<dyn Report>| match comparison {
                        Some(cmp) => r.comparison(cmp, self.gate.count_threshold(cmp)),
                        None => r.run(&finished.result),
                    };
                    feed(&mut table);
                    feed(&mut md);
                    feed(&mut junit);
                    if let Some(note) = base_note {
                        md_notes.push_str(&format!("- `{name}`: {note}\n"));
                        eprintln!("note: {name}: {note}");
                    }
                    let detail = super::gate::json_detail(
                        comparison.as_deref(),
                        &finished.result,
                        &self.gate,
                    );
                    let ok = finished.outcome == RunOutcome::Completed
                        && finished.result.cases.iter().all(|c| c.status.is_ok());
                    let mut entry = serde_json::json!({
                        "target": finished.result.target,
                        "suite": finished.result.suite,
                        "status": if ok { "ran" } else { "benchmark-failed" },
                        "run_id": run_id,
                        "base_note": base_note,
                    });
                    let key = if comparison.is_some() {
                        "comparison"
                    } else {
                        "run"
                    };
                    entry[key] = detail;
                    json_targets.push(entry);
                }
                Outcome::Infra {
                    target,
                    suite,
                    error,
                    attempts,
                } => {
                    md_notes.push_str(&format!(
                        "- ⚠️ `{name}`: **infrastructure failure** after {attempts} attempt(s), no result (not a regression): {}\n",
                        error.replace('\n', " ")
                    ));
                    json_targets.push(serde_json::json!({
                        "target": target, "suite": suite, "status": "infrastructure", "attempts": attempts, "error": error,
                    }));
                }
            }
        }
        crate::outln!("{}", table.finish());
        if let Some(path) = &self.markdown {
            let text = format!(
                "## tinybench ci: {}\n\n{md_notes}{}{}\n",
                verdict_words(code),
                if md_notes.is_empty() { "" } else { "\n" },
                md.finish()
            );
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("--markdown {}: {e}", path.display()))?;
            f.write_all(text.as_bytes())
                .map_err(|e| anyhow::anyhow!("--markdown {}: {e}", path.display()))?;
        }
        if let Some(path) = &self.junit {
            write(path, "--junit", &junit.finish())?;
        }
        if let Some(path) = &self.json {
            let summary = serde_json::json!({
                "exit_code": code,
                "verdict": verdict_words(code),
                "schema_version": tinybench_results::SCHEMA_VERSION,
                "fail_above": self.gate.fail_above,
                "gate": self.gate.gate(),
                "targets": json_targets,
            });
            write(path, "--json", &serde_json::to_string_pretty(&summary)?)?;
        }
        Ok(())
    }
}

fn write(path: &Path, flag: &str, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("{flag} {}: {e}", path.display()))
}

/// The exit code in words, for the summary's title.
pub fn verdict_words(code: u8) -> &'static str {
    match code {
        crate::exit::OK => "passed",
        crate::exit::BENCH_FAILED => "benchmark failed",
        crate::exit::REGRESSION => "performance regression",
        crate::exit::INFRA => "infrastructure failure",
        _ => "error",
    }
}
