//! `tinybench report --html out.html`: the dashboard of everything in the store.

use super::{ProjectOpts, StoreOpts};
use crate::report::{html::HtmlReport, Report};
use anyhow::Context;
use std::path::PathBuf;

/// Write a self-contained HTML dashboard of the result store: a summary of the latest run
/// per target and suite with its verdict, a table of contents, filters, and per target and
/// suite the latest run against the one before it, a per-layer view for models and a chart
/// per metric over the commits (regressions marked while they stand, resolved ones shown
/// as resolved). Nothing is fetched when the page is viewed.
#[derive(Debug, clap::Args)]
pub struct ReportCmd {
    /// Where to write the dashboard.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
    /// Mark a step as a regression when a case got slower (counts, modeled cycles) or used
    /// more energy than this (percent) since the run before; flash, RAM, stack and quality
    /// use the gate's defaults (docs/results.md).
    #[arg(long, value_name = "PERCENT", value_parser = super::compare::parse_percent, default_value = "2%")]
    pub regression_threshold: f64,
    #[command(flatten)]
    pub store: StoreOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl ReportCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project().ok();
        let store = self.store.store(project.as_ref());
        let loaded = store.load_all()?;
        crate::runsel::warn_skipped(&store, &loaded.skipped);
        if loaded.runs.is_empty() {
            anyhow::bail!(
                "no stored runs in {} (run `tinybench run` first, or pass --results-dir)",
                store.dir().display()
            );
        }
        let mut r = HtmlReport::new(self.regression_threshold);
        r.history(&loaded.runs, &loaded.skipped);
        std::fs::write(&self.html, r.finish())
            .with_context(|| format!("writing {}", self.html.display()))?;
        eprintln!(
            "wrote {} ({} run(s) from {})",
            self.html.display(),
            loaded.runs.len(),
            store.dir().display()
        );
        Ok(crate::exit::OK)
    }
}
