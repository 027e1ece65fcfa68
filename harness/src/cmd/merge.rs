//! `tinybench merge SOURCE…`: combine result sets from several CI runners into one store.

use super::{ProjectOpts, StoreOpts};
use anyhow::Context;
use std::path::PathBuf;
use tinybench_results::store::Store;
use tinybench_results::{parse_run, RunResult};

/// Merge result stores (directories) and result files (`tinybench run --format json`
/// output) into the store given by `--results-dir`.
///
/// Runs keep their ids; a run already present with the same content is a duplicate and
/// skipped; a different run under a taken id is stored under a new id. Nothing in the
/// destination is overwritten; corrupt source files are named and skipped.
/// Exit status: 0 merged; 2 a source could not be read at all.
#[derive(Debug, clap::Args)]
pub struct MergeCmd {
    /// Result store directories or result JSON files.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    #[command(flatten)]
    pub store: StoreOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl MergeCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project().ok();
        let dest = self.store.store(project.as_ref());
        let mut runs: Vec<RunResult> = Vec::new();
        for src in &self.sources {
            if src.is_dir() {
                let s = Store::new(src);
                let loaded = s.load_all()?;
                crate::runsel::warn_skipped(&s, &loaded.skipped);
                if loaded.runs.is_empty() && loaded.skipped.is_empty() {
                    eprintln!("warning: {}: no stored runs", src.display());
                }
                runs.extend(loaded.runs.into_iter().map(|r| r.run));
            } else {
                let text = crate::fsread::text(src, crate::fsread::MAX_RESULT_BYTES)
                    .with_context(|| format!("reading {}", src.display()))?;
                let run = parse_run(&text).with_context(|| format!("{}", src.display()))?;
                runs.push(run);
            }
        }
        let report = dest.merge(runs)?;
        for id in &report.added {
            crate::outln!("added {id}");
        }
        for (old, new) in &report.renamed {
            crate::outln!("added {new} (id {old} is taken by a different run)");
        }
        eprintln!(
            "merged into {}: {} added, {} already present",
            dest.dir().display(),
            report.added.len() + report.renamed.len(),
            report.duplicates.len()
        );
        Ok(crate::exit::OK)
    }
}
