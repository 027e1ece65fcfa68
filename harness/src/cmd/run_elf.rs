//! `tinybench run --elf PATH`: what a run of the user's own benchmarks (an ELF built with
//! `tinybench-target`) shows besides the table every run prints: the firmware's own
//! defmt log lines, and each benchmark's output checksum with whether it was checked.

use crate::run::{analyse, Executed, RunError};
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
/// and what it was checked against, one line per benchmark; `None` when no run finished.
pub fn checksums(results: &[(String, Result<Executed, RunError>)]) -> Option<String> {
    let several = results.len() > 1;
    let mut text = String::new();
    for (target, r) in results {
        let Ok(e) = r else { continue };
        let unchecked = analyse::unchecked(&e.finished.events);
        let title = if several {
            format!("{target}: ")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "{title}output checksums (FNV-1a of each benchmark's output, computed on the device):\n"
        ));
        for c in &e.finished.result.cases {
            let device = c
                .device_checksum
                .map_or("none (did not finish)".into(), |v| format!("{v:#010x}"));
            let check = if unchecked.contains(&c.name) {
                "recorded, not checked: no .expect(..) in its Bench".to_string()
            } else if c.device_checksum == Some(c.host_checksum) {
                "equals the pinned .expect(..)".to_string()
            } else {
                format!("pinned .expect({:#010x}): differs", c.host_checksum)
            };
            text.push_str(&format!("  {:<24} {device}  {check}\n", c.name));
        }
        if e.finished.outcome != RunOutcome::Completed && e.finished.result.cases.is_empty() {
            text.push_str("  (no benchmark started)\n");
        }
    }
    let text = text.trim_end().to_string();
    (!text.is_empty()).then_some(text)
}
