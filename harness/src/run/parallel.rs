//! Several devices at once: `tinybench run --target nrf52840 --target rp2040`,
//! `--all-attached`, `tinybench ci` over several targets.
//!
//! Every plan's device is found first (a missing probe fails before anything is built),
//! firmware is built one plan after the other (cargo), then each device runs in its own
//! blocking task (probe-rs is blocking: `spawn_blocking`). A device that fails is reported
//! and the others' results are kept.

use super::execute::{self, Executed, RunError, Sink};
use super::plan::RunPlan;
use std::sync::Arc;
use std::time::Duration;

/// Extra time past a plan's wall-clock limit before a device that has not stopped is
/// given up on: boards stop themselves at the limit; this bounds a hung probe call.
const GRACE: Duration = Duration::from_secs(120);

/// Check every plan's device (all missing ones named at once), build every firmware,
/// then run all devices in parallel. An `Err` means nothing ran (a missing device, a
/// failed build); per-plan errors (attach failed, probe lost, a hung device) come back
/// beside the other plans' results, in plan order.
pub async fn execute_all(
    plans: Vec<RunPlan>,
    sink: Arc<dyn Sink>,
) -> Result<Vec<(String, Result<Executed, RunError>)>, RunError> {
    check_all(&plans)?;
    let mut built = Vec::new();
    for plan in plans {
        let s = sink.clone();
        let b = tokio::task::spawn_blocking(move || {
            let r = execute::build(&plan, s.as_ref());
            (plan, r)
        })
        .await
        .map_err(|e| RunError::Stuck(format!("the firmware build task failed: {e}")))?;
        match b {
            (plan, Ok((b, toolchain))) => built.push((plan, b, toolchain)),
            (_, Err(e)) => return Err(e),
        }
    }
    let deadline = built
        .iter()
        .map(|(p, _, _)| p.limits.wall_timeout)
        .max()
        .unwrap_or_default()
        + GRACE;
    let jobs = built
        .into_iter()
        .map(|(plan, b, toolchain)| {
            let s = sink.clone();
            Job {
                name: plan.target.name.clone(),
                work: Box::new(move || execute::run_built(&plan, &b, toolchain, s)),
            }
        })
        .collect();
    Ok(run_parallel(jobs, deadline).await)
}

/// Every plan's device can be found now; else one error naming each that cannot.
pub fn check_all(plans: &[RunPlan]) -> Result<(), RunError> {
    let mut missing = Vec::new();
    for p in plans {
        if let Err(RunError::NoDevice(e)) = execute::check(p) {
            missing.push((p.target.name.clone(), e));
        }
    }
    match missing.len() {
        0 => Ok(()),
        1 if plans.len() == 1 => Err(RunError::NoDevice(missing.remove(0).1)),
        _ => Err(RunError::NoDevices(missing)),
    }
}

/// One device's work, run on a blocking thread.
pub struct Job<T> {
    /// Target name.
    pub name: String,
    /// The work.
    pub work: Box<dyn FnOnce() -> Result<T, RunError> + Send>,
}

/// Run every job in parallel on tokio's blocking pool. A job that fails, panics or does
/// not finish within `deadline` (from the start) is an error for that job only; the
/// others' results are kept. Results come back in job order. A job past its deadline
/// keeps its thread (blocking probe I/O cannot be cancelled), and tokio waits for it
/// when the runtime shuts down.
pub async fn run_parallel<T: Send + 'static>(
    jobs: Vec<Job<T>>,
    deadline: Duration,
) -> Vec<(String, Result<T, RunError>)> {
    let until = tokio::time::Instant::now() + deadline;
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|j| (j.name, tokio::task::spawn_blocking(j.work)))
        .collect();
    let mut out = Vec::new();
    for (name, handle) in handles {
        let result = match tokio::time::timeout_at(until, handle).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(RunError::Stuck(format!("the device task failed: {e}"))),
            // The thread stays blocked (probe I/O cannot be cancelled); see above.
            Err(_) => Err(RunError::Stuck(format!(
                "the device did not stop within {} s (probe I/O hung?)",
                deadline.as_secs()
            ))),
        };
        out.push((name, result));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use tinybench_device::{Device, DeviceError, DeviceInfo, DeviceStop, FirmwareImage, RunLimits};
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
                let stop = dev
                    .run(&limits, &mut |_, b| got.extend_from_slice(b))
                    .map_err(|e| RunError::Run(e.into()))?;
                if stop != DeviceStop::Done {
                    return Err(RunError::Stuck(format!("{stop:?}")));
                }
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
        let err = results[1].1.as_ref().expect_err("second fails").to_string();
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
