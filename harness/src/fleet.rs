//! Several devices at once: `tinybench run --target nrf52840 --target rp2040` or
//! `--all-attached`, and every board target.
//!
//! Every target's device is found first (a missing probe fails before anything is
//! built), firmware is built one target after the other (cargo), then each device runs
//! in its own blocking task (probe-rs is blocking: `spawn_blocking`) with its own progress
//! bar. A device that fails is reported and the others' results are kept; the results
//! form one set (a JSON array when there is more than one).

use crate::backend::{self, Flash, ProbeOpts, Sinks};
use crate::cmd::run::{Format, RunCmd};
use crate::config::target::{Connection, Target};
use crate::project::Project;
use crate::runner::{self, Finished};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sha2::Digest;
use std::path::PathBuf;
use std::time::Duration;
use tinybench_device::protocol::Event;
use tinybench_device::{run_firmware, FirmwareImage, RunLimits};

/// Options of `run` for boards and several targets.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FleetOpts {
    /// Run on every board of the runner config whose probe is attached now (with the
    /// `--target`s given, if any). Needs `--runner-config`.
    #[arg(long)]
    pub all_attached: bool,
    /// The probe of the board target: `VID:PID[:SERIAL]` (probe-rs selector syntax; see
    /// `tinybench probes`). Default: the only probe attached.
    #[arg(long, value_name = "VID:PID[:SERIAL]", env = "TINYBENCH_PROBE")]
    pub probe: Option<String>,
    /// Which probe drives which target on this machine (example: `ci/runner.toml`).
    #[arg(long, value_name = "FILE", env = "TINYBENCH_RUNNER_CONFIG")]
    pub runner_config: Option<PathBuf>,
    /// Build the firmware of every target and print the ELF paths; run nothing (no probe
    /// needed).
    #[arg(long)]
    pub build_only: bool,
    /// Boards: stop a run when the firmware sends nothing for this many seconds (a hung
    /// case). 0 disables it.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub case_timeout: u64,
    /// Boards: attach attempts before giving up; attempts after the first attach under
    /// reset.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub attach_attempts: u32,
}

impl FleetOpts {
    /// The probe options for the backend; `attach_attempts` (from a runner config) wins
    /// over `--attach-attempts`.
    pub fn probe_opts(&self, attach_attempts: Option<u32>) -> ProbeOpts {
        ProbeOpts {
            probe: self.probe.clone(),
            runner_config: self.runner_config.clone(),
            attach_attempts: attach_attempts.unwrap_or(self.attach_attempts).max(1),
            case_timeout: (self.case_timeout > 0).then(|| Duration::from_secs(self.case_timeout)),
        }
    }
}

/// The target given, or the default one.
pub fn single(names: &[String]) -> &str {
    names.first().map_or("sim-cortex-m4", String::as_str)
}

/// Whether `run` goes through the fleet: several targets, `--all-attached`,
/// `--build-only`, or any board target. A single emulated target keeps the plain path.
pub fn wanted(project: &Project, names: &[String], opts: &FleetOpts) -> anyhow::Result<bool> {
    if names.len() > 1 || opts.all_attached || opts.build_only {
        return Ok(true);
    }
    let target = project.target(single(names))?;
    Ok(matches!(target.connection, Connection::Probe { .. }))
}

/// The targets to run: those given, plus with `--all-attached` every runner-config board
/// whose probe is attached.
#[cfg(feature = "probe")]
fn attached_boards(opts: &FleetOpts) -> anyhow::Result<Vec<String>> {
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
fn attached_boards(_: &FleetOpts) -> anyhow::Result<Vec<String>> {
    anyhow::bail!("--all-attached needs the `probe` feature (the probe-rs backend)")
}

/// The runner config's `attach_attempts`, when it has one.
pub fn runner_attach_attempts(opts: &FleetOpts) -> Option<u32> {
    #[cfg(feature = "probe")]
    {
        let path = opts.runner_config.as_ref()?;
        tinybench_probe::RunnerConfig::load(path)
            .ok()
            .and_then(|r| r.attach_attempts)
    }
    #[cfg(not(feature = "probe"))]
    {
        let _ = opts;
        None
    }
}

/// One device's work, run on a blocking thread.
pub struct Job<T> {
    /// Target name.
    pub name: String,
    /// The work.
    pub work: Box<dyn FnOnce() -> anyhow::Result<T> + Send>,
}

/// Run every job in parallel on tokio's blocking pool. A job that fails, panics or does
/// not finish within `deadline` (from the start) is an error for that job only; the
/// others' results are kept. Results come back in job order. A job past its deadline
/// keeps its thread (blocking probe I/O cannot be cancelled), and tokio waits for it
/// when the runtime shuts down.
pub async fn run_parallel<T: Send + 'static>(
    jobs: Vec<Job<T>>,
    deadline: Duration,
) -> Vec<(String, anyhow::Result<T>)> {
    let until = tokio::time::Instant::now() + deadline;
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|j| (j.name, tokio::task::spawn_blocking(j.work)))
        .collect();
    let mut out = Vec::new();
    for (name, handle) in handles {
        let result = match tokio::time::timeout_at(until, handle).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(anyhow::anyhow!("the device task failed: {e}")),
            // The thread stays blocked (probe I/O cannot be cancelled); see above.
            Err(_) => Err(anyhow::anyhow!(
                "the device did not stop within {} s (probe I/O hung?)",
                deadline.as_secs()
            )),
        };
        out.push((name, result));
    }
    out
}

/// A progress bar for one device.
pub fn bar(multi: &MultiProgress, target: &str, cases: u64) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(cases));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>14} {bar:30} {pos}/{len} cases {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(target.to_string());
    bar
}

/// Everything one device's run needs.
pub struct JobSpec {
    /// The target.
    pub target: Target,
    /// The suite.
    pub suite: crate::config::suite::Suite,
    /// The built firmware.
    pub elf: Vec<u8>,
    /// The suite hash the firmware must report.
    pub suite_hash: u32,
    /// Instruction budget and wall-clock limit.
    pub limits: RunLimits,
    /// How the board finds its probe.
    pub probe_opts: ProbeOpts,
    /// Energy source, when asked for.
    pub energy: Option<crate::energy::Plan>,
}

/// One device's run as a [`Job`]: open the device, run the firmware, analyse. An `Err`
/// means the device could not be driven (attach error, probe lost); a firmware fault or
/// timeout is an `Ok` [`Finished`] with that outcome.
pub fn device_job(spec: JobSpec, bar: ProgressBar) -> Job<Finished> {
    let JobSpec {
        target,
        suite,
        elf,
        suite_hash,
        limits,
        probe_opts,
        energy,
    } = spec;
    Job {
        name: target.name.clone(),
        work: Box::new(move || {
            let sha: String = sha2::Sha256::digest(&elf)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let image = FirmwareImage::parse(elf)?;
            let (b1, b2) = (bar.clone(), bar.clone());
            let sinks = Sinks {
                progress: Box::new(move |f| match f {
                    Flash::Phase(p) => b1.set_message(format!("flashing: {p}")),
                    Flash::Bytes(_) => b1.tick(),
                    Flash::Done => b1.set_message("flashed and verified"),
                }),
                // A hidden bar (not a terminal, e.g. CI) drops println: log to stderr.
                log: Box::new(move |line| {
                    if b2.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        b2.println(line);
                    }
                }),
            };
            let mut device = backend::open_with(&target, &probe_opts, sinks)?;
            let recording = crate::energy::start(energy)?;
            let s = &suite;
            let out = run_firmware(
                device.as_mut(),
                &image,
                Some(suite_hash),
                &limits,
                &mut |ev| match ev {
                    Event::CaseStart { id } => bar.set_message(
                        s.cases
                            .get(*id as usize)
                            .map(|c| c.name.clone())
                            .unwrap_or_default(),
                    ),
                    Event::Checksum { .. } | Event::KernelError { .. } => bar.inc(1),
                    _ => {}
                },
            )?;
            bar.finish_and_clear();
            let energy = recording.finish()?;
            Ok(runner::analyse(
                &target,
                &suite.name,
                &runner::suite_specs(&suite),
                suite_hash,
                sha,
                out,
                energy.as_ref(),
            ))
        }),
    }
}

/// `run` over the fleet.
pub async fn run(project: &Project, cmd: &RunCmd) -> anyhow::Result<u8> {
    let opts = &cmd.fleet;
    let mut names: Vec<String> = cmd.target.clone();
    if opts.all_attached {
        for t in attached_boards(opts)? {
            if !names.contains(&t) {
                names.push(t);
            }
        }
    } else if names.is_empty() {
        names.push(single(&names).to_string());
    }
    let targets = names
        .iter()
        .map(|n| project.target(n))
        .collect::<Result<Vec<_>, _>>()?;
    let suite = project.suite(&cmd.suite)?;
    let boards = targets
        .iter()
        .filter(|t| matches!(t.connection, Connection::Probe { .. }))
        .count();
    if opts.probe.is_some() && boards > 1 {
        anyhow::bail!(
            "--probe picks one probe, but {boards} board targets were asked for: map probes to targets in a \
             runner config (--runner-config) instead"
        );
    }
    // Energy figures asked for but impossible: say so before building anything.
    let mut powers = std::collections::HashMap::new();
    for t in &targets {
        let power =
            crate::energy::plan(&cmd.energy, t).map_err(|e| anyhow::anyhow!("{}: {e}", t.name))?;
        powers.insert(t.name.clone(), power);
    }
    let probe_opts = opts.probe_opts(runner_attach_attempts(opts));
    if !opts.build_only {
        // Fail before building when something could not run.
        let missing: Vec<String> = targets
            .iter()
            .filter_map(|t| {
                backend::check(t, &probe_opts)
                    .err()
                    .map(|e| format!("{}: {e}", t.name))
            })
            .collect();
        if !missing.is_empty() {
            anyhow::bail!("no device to run on: {}", missing.join("\n  "));
        }
    }
    let mut built = Vec::new();
    for t in &targets {
        let mut build = cmd.build.clone();
        let features = powers
            .get(&t.name)
            .and_then(|p| Some(p.as_ref()?.firmware_features()));
        build.firmware_features.extend(features.unwrap_or_default());
        built.push(crate::cmd::build::firmware(project, t, &suite, &build).await?);
    }
    if opts.build_only {
        for b in &built {
            println!("{}", b.elf.display());
        }
        return Ok(crate::exit::OK);
    }
    let limits = RunLimits {
        max_instructions: cmd
            .max_instructions
            .unwrap_or(crate::cmd::run::SUITE_BUDGET),
        wall_timeout: Duration::from_secs(cmd.timeout),
    };
    let multi = MultiProgress::new();
    let mut jobs = Vec::new();
    for (t, b) in targets.iter().zip(&built) {
        let power = powers.remove(&t.name).flatten();
        let elf = std::fs::read(&b.elf)?;
        let bar = bar(&multi, &t.name, suite.cases.len() as u64);
        let spec = JobSpec {
            target: t.clone(),
            suite: suite.clone(),
            elf,
            suite_hash: b.suite_hash,
            limits,
            probe_opts: probe_opts.clone(),
            energy: power,
        };
        jobs.push(device_job(spec, bar));
    }
    // Boards stop themselves at the wall-clock limit; this bounds a hung probe call.
    let deadline = limits.wall_timeout + Duration::from_secs(120);
    let mut results = run_parallel(jobs, deadline).await;
    multi.clear().ok();
    // Every finished run is stored, as a single-target run is; a device error leaves
    // nothing to keep.
    if !cmd.no_save {
        let store = cmd.store.store(Some(project));
        for (name, r) in results.iter_mut() {
            let target = targets.iter().find(|t| &t.name == name);
            if let (Ok(f), Some(t)) = (r.as_mut(), target) {
                crate::cmd::run::save(&store, project, t, &cmd.build, &mut f.result)?;
            }
        }
    }
    Ok(report(&results, cmd.format))
}

/// Print every result and every device error; the exit code is the worst: a device that
/// could not be driven (2), a failed benchmark (1), all passed (0).
fn report(results: &[(String, anyhow::Result<Finished>)], format: Format) -> u8 {
    let mut code = crate::exit::OK;
    let mut kept = Vec::new();
    for (name, r) in results {
        match r {
            Ok(f) => {
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
                eprintln!("error: {name}: {e:#}");
                code = crate::exit::ERROR;
            }
        }
    }
    crate::report::output::print_runs(format, &kept);
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use tinybench_device::{Device, DeviceError, DeviceInfo, DeviceStop, FirmwareImage};
    use tinybench_results::CountKind;

    /// A device that meets its twin halfway (proving both run at once) and then either
    /// streams bytes and stops at the done marker or loses its probe.
    struct FakeDevice {
        fail: bool,
        hello: mpsc::Sender<()>,
        twin: mpsc::Receiver<()>,
    }

    impl Device for FakeDevice {
        fn info(&self) -> DeviceInfo {
            DeviceInfo {
                backend: "fake".into(),
                count_kind: CountKind::CyclesHardware,
            }
        }
        fn load(&mut self, _: &FirmwareImage) -> Result<(), DeviceError> {
            Ok(())
        }
        fn run(
            &mut self,
            _: &RunLimits,
            on_bytes: &mut dyn FnMut(u32, &[u8]),
        ) -> Result<DeviceStop, DeviceError> {
            self.hello.send(()).ok();
            // A guard against a sequential scheduler, not a timing measurement.
            self.twin
                .recv_timeout(Duration::from_secs(60))
                .map_err(|_| DeviceError::Backend {
                    backend: "fake".into(),
                    detail: "the other device never ran alongside".into(),
                })?;
            if self.fail {
                return Err(DeviceError::Backend {
                    backend: "fake".into(),
                    detail: "probe unplugged".into(),
                });
            }
            on_bytes(0, b"bytes");
            Ok(DeviceStop::Done)
        }
    }

    fn job(name: &str, mut dev: FakeDevice) -> Job<Vec<u8>> {
        Job {
            name: name.into(),
            work: Box::new(move || {
                let mut got = Vec::new();
                let limits = RunLimits {
                    max_instructions: 0,
                    wall_timeout: Duration::from_secs(1),
                };
                let stop = dev.run(&limits, &mut |_, b| got.extend_from_slice(b))?;
                anyhow::ensure!(stop == DeviceStop::Done, "{stop:?}");
                Ok(got)
            }),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_devices_run_in_parallel_and_one_failing_keeps_the_other() {
        let (a_tx, a_rx) = mpsc::channel();
        let (b_tx, b_rx) = mpsc::channel();
        let jobs = vec![
            job(
                "nrf52840",
                FakeDevice {
                    fail: false,
                    hello: a_tx,
                    twin: b_rx,
                },
            ),
            job(
                "rp2040",
                FakeDevice {
                    fail: true,
                    hello: b_tx,
                    twin: a_rx,
                },
            ),
        ];
        let results = run_parallel(jobs, Duration::from_secs(120)).await;
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].0, "nrf52840");
        assert_eq!(results[0].1.as_ref().expect("first device ok"), b"bytes");
        assert_eq!(results[1].0, "rp2040");
        let err = format!("{:#}", results[1].1.as_ref().expect_err("second fails"));
        assert!(err.contains("probe unplugged"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hung_or_panicking_device_is_an_error_for_it_alone() {
        let (tx, rx) = mpsc::channel::<()>();
        let jobs: Vec<Job<u32>> = vec![
            Job {
                name: "hung".into(),
                work: Box::new(move || {
                    rx.recv().ok(); // until the test drops `tx`
                    Ok(0)
                }),
            },
            Job {
                name: "panics".into(),
                work: Box::new(|| panic!("driver bug")),
            },
            Job {
                name: "fine".into(),
                work: Box::new(|| Ok(7)),
            },
        ];
        let results = run_parallel(jobs, Duration::from_millis(200)).await;
        drop(tx);
        let err = results[0].1.as_ref().unwrap_err().to_string();
        assert!(err.contains("did not stop"), "{err}");
        assert!(results[1].1.is_err());
        assert_eq!(*results[2].1.as_ref().unwrap(), 7);
    }
}
