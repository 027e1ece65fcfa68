//! The terminal's view of runs: a [`Sink`] that draws one indicatif bar per device (the
//! current case on each `case` frame, one step per checksum or kernel error), a spinner
//! per firmware build, and the build and flash notes on stderr.

use crate::backend::Flash;
use crate::firmware::build::Built;
use crate::run::{RunPlan, Sink};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tinybench_device::protocol::Event;

/// Progress of one or several devices on stderr.
#[derive(Default)]
pub struct Progress {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, Bar>>,
    spinners: Mutex<HashMap<String, ProgressBar>>,
}

struct Bar {
    bar: ProgressBar,
    names: Vec<String>,
}

impl Progress {
    /// A new, shareable progress view.
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress::default())
    }

    fn with_bar(&self, target: &str, f: impl FnOnce(&mut Bar)) {
        if let Some(b) = self
            .bars
            .lock()
            .ok()
            .as_mut()
            .and_then(|m| m.get_mut(target))
        {
            f(b)
        }
    }

    /// A line on stderr that does not tear the bars.
    fn note(&self, line: &str) {
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            self.multi.suspend(|| eprintln!("{line}"));
        }
    }
}

impl Sink for Progress {
    fn started(&self, plan: &RunPlan, names: &[String]) {
        let bar = self.multi.add(ProgressBar::new(names.len() as u64));
        let unit = plan.payload.unit();
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{prefix:>14}} {{bar:30}} {{pos}}/{{len}} {unit} {{msg}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(plan.target.name.clone());
        let entry = Bar {
            bar,
            names: names.to_vec(),
        };
        if let Ok(mut m) = self.bars.lock() {
            m.insert(plan.target.name.clone(), entry);
        }
    }

    fn status(&self, target: &str, message: &str) {
        let Ok(mut spinners) = self.spinners.lock() else {
            return;
        };
        let spinner = spinners.entry(target.to_string()).or_insert_with(|| {
            let s = self.multi.add(ProgressBar::new_spinner());
            s.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            s.enable_steady_tick(Duration::from_millis(120));
            s
        });
        spinner.set_message(message.to_string());
    }

    fn built(&self, target: &str, built: &Built) {
        if let Some(s) = self.spinners.lock().ok().and_then(|mut m| m.remove(target)) {
            s.finish_and_clear();
            self.multi.remove(&s);
        }
        if built.cached {
            self.note(&format!("firmware for {target}: up to date (cached)"));
        } else {
            self.note(&format!(
                "firmware for {target}: built in {:.1}s",
                built.elapsed.as_secs_f64()
            ));
        }
    }

    fn flash(&self, target: &str, step: &Flash) {
        self.with_bar(target, |b| match step {
            Flash::Phase(p) => b.bar.set_message(format!("flashing: {p}")),
            Flash::Bytes(_) => b.bar.tick(),
            Flash::Done => b.bar.set_message("flashed and verified"),
        })
    }

    fn log(&self, _target: &str, line: &str) {
        self.note(line);
    }

    fn event(&self, target: &str, event: &Event) {
        self.with_bar(target, |b| match event {
            Event::CaseStart { id } => b
                .bar
                .set_message(b.names.get(*id as usize).cloned().unwrap_or_default()),
            Event::Checksum { .. } | Event::KernelError { .. } => b.bar.inc(1),
            // A user's ELF (`run --elf`) names its benchmarks as it starts.
            Event::Bench { name, .. } => {
                b.names.push(name.clone());
                b.bar.inc_length(1);
            }
            _ => {}
        })
    }

    fn finished(&self, target: &str) {
        if let Some(b) = self.bars.lock().ok().and_then(|mut m| m.remove(target)) {
            b.bar.finish_and_clear();
            self.multi.remove(&b.bar);
        }
    }
}
