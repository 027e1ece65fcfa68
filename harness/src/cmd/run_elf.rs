//! `tinybench run --elf PATH`: what a run of the user's own benchmarks (an ELF built with
//! `tinybench-target`) shows besides the table every run prints: the firmware's own
//! defmt log lines, host beside device when the same benchmarks ran on the host
//! (`--host`), and each benchmark's output checksum with what it was checked against.

use crate::run::host::HostResults;
use crate::run::{Executed, RunError};
use tinybench_device::protocol::Event;
use tinybench_device::RunOutcome;

/// The firmware's log lines (its `defmt::info!`/`println!` frames that are not protocol
/// frames), decoded by the same decoder as the results: on stderr with `-v`, and always
/// for a run that failed, so the user sees what their code said before it went wrong.
pub fn print_logs(results: &[(String, Result<Executed, RunError>)]) {
    for (target, r) in results {
        let Ok(e) = r else { continue };
        if !crate::ui::verbose() && e.finished.passed() {
            continue;
        }
        for ev in &e.finished.events {
            if let Event::Log(line) = ev {
                eprintln!("{target}: log: {line}");
            }
        }
    }
}

/// Each benchmark's output checksum (FNV-1a of its output, as the device computed it)
/// and what it was checked against (its pinned `.expect(..)`, the host run of the same
/// benchmark), one line per benchmark; `None` when no run finished.
pub fn checksums(
    results: &[(String, Result<Executed, RunError>)],
    host: Option<&HostResults>,
) -> Option<String> {
    let several = results.len() > 1;
    let mut text = String::new();
    for (target, r) in results {
        let Ok(e) = r else { continue };
        let title = if several {
            format!("{target}: ")
        } else {
            String::new()
        };
        let on_host = if host.is_some() {
            "; host: the same benchmark run on this host"
        } else {
            ""
        };
        text.push_str(&format!(
            "{title}output checksums (FNV-1a of each benchmark's output, computed on the device{on_host}):\n"
        ));
        let pins = crate::run::own::pins(&e.finished.events);
        for c in &e.finished.result.cases {
            let device = c
                .device_checksum
                .map_or("none (did not finish)".into(), |v| format!("{v:#010x}"));
            let checks = checks(c.device_checksum, pins.get(&c.name).copied(), host, &c.name);
            text.push_str(&format!("  {:<24} {device}  {checks}\n", c.name));
        }
        if e.finished.outcome != RunOutcome::Completed && e.finished.result.cases.is_empty() {
            text.push_str("  (no benchmark started)\n");
        }
    }
    let text = text.trim_end().to_string();
    (!text.is_empty()).then_some(text)
}

/// What one device checksum was checked against, in words.
fn checks(device: Option<u32>, pin: Option<u32>, host: Option<&HostResults>, name: &str) -> String {
    if device.is_none() {
        return "not checked: the benchmark did not finish".into();
    }
    let mut said = Vec::new();
    if let Some(p) = pin {
        said.push(if device == Some(p) {
            "equals the pinned .expect(..)".to_string()
        } else {
            format!("pinned .expect({p:#010x}): differs")
        });
    }
    match host.map(|h| h.bench(name)) {
        Some(Some(h)) if device == Some(h.checksum) => said.push("equals the host's".into()),
        Some(Some(h)) => said.push(format!("host's {:#010x}: differs", h.checksum)),
        Some(None) => said.push("not in the host run".into()),
        None => {}
    }
    if pin.is_none() && host.is_none_or(|h| h.bench(name).is_none()) {
        said.push("recorded, not checked: no .expect(..) in its Bench".into());
    }
    said.join("; ")
}

/// Host beside device for every finished run: criterion's ns per call of each benchmark
/// on this host next to the device's count and its time at the target's clock, the
/// table the kernels suite shows from its baseline (`report::host`).
pub fn host_tables(
    results: &[(String, Result<Executed, RunError>)],
    host: &HostResults,
    root: &std::path::Path,
) -> Vec<String> {
    results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|e| {
            let run = &e.finished.result;
            let baseline = host.baseline(&run.suite, root);
            crate::report::host::render(run, &baseline, run.meta.clock_hz)
        })
        .collect()
}
