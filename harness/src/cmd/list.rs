//! `tinybench list targets|suites`.

use super::ProjectOpts;
use crate::config::target::Connection;
use crate::report::layout::Layout;

/// What to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// Target definitions in targets/.
    Targets,
    /// Suites in suites/.
    Suites,
}

/// List targets or suites, with any file that fails validation reported by name.
#[derive(Debug, clap::Args)]
pub struct ListCmd {
    /// `targets` or `suites`.
    #[arg(value_enum)]
    pub what: What,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl ListCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project()?;
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut bad = 0;
        match self.what {
            What::Targets => {
                rows.push(
                    [
                        "target", "core", "triple", "clock", "counter", "flash", "RAM", "runs on",
                    ]
                    .map(String::from)
                    .to_vec(),
                );
                for t in project.all_targets() {
                    match t {
                        Ok(t) => rows.push(vec![
                            t.name.clone(),
                            t.core.name().to_string(),
                            t.triple.clone(),
                            format!("{} MHz", t.clock_hz as f64 / 1e6),
                            t.counter().to_string(),
                            format!("{} KiB", t.flash.size / 1024),
                            format!("{} KiB", t.ram.size / 1024),
                            match &t.connection {
                                Connection::Emulator => "emulator".to_string(),
                                Connection::Probe { chip } => {
                                    format!("board (probe-rs chip {chip})")
                                }
                            },
                        ]),
                        Err(e) => {
                            bad += 1;
                            eprintln!("error: {e}");
                        }
                    }
                }
            }
            What::Suites => {
                rows.push(["suite", "cases", "description"].map(String::from).to_vec());
                for s in project.all_suites() {
                    match s {
                        Ok(s) => rows.push(vec![
                            s.name.clone(),
                            s.cases.len().to_string(),
                            s.description.clone(),
                        ]),
                        Err(e) => {
                            bad += 1;
                            eprintln!("error: {e}");
                        }
                    }
                }
                for name in project.suite_names() {
                    match project.model_suite(&name) {
                        Ok(Some(m)) => rows.push(vec![
                            m.name.clone(),
                            format!("{} models", m.models.len()),
                            m.description.clone(),
                        ]),
                        Ok(None) => {}
                        Err(e) => {
                            bad += 1;
                            eprintln!("error: {e}");
                        }
                    }
                }
            }
        }
        let numeric: Vec<bool> = rows[0].iter().map(|h| h == "cases").collect();
        let header = rows.remove(0);
        let (table, dropped) =
            Layout::current().table(&header, &rows, &numeric, &["triple", "counter", "core"]);
        crate::outln!("{table}");
        if !dropped.is_empty() {
            crate::outln!(
                "left out to fit: {} (--wide shows them)",
                dropped.join(", ")
            );
        }
        Ok(if bad == 0 {
            crate::exit::OK
        } else {
            crate::exit::ERROR
        })
    }
}
