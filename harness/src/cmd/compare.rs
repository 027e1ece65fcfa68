//! `tinybench compare BASE HEAD`: per case and per metric change between two stored runs,
//! and the CI gate.

use super::gate::GateOpts;
use super::{ProjectOpts, StoreOpts};
use crate::report::{self, Format};
use crate::runsel::{select, Filter};

pub use super::gate::parse_percent;

/// Compare two stored runs case by case and metric by metric.
///
/// BASE and HEAD are run ids (or unique prefixes), `latest`, `latest~N`, or git refs of the
/// project (the newest run made at that commit). HEAD is picked first; BASE is then picked
/// among runs of HEAD's target and suite. Emulated instructions, modeled cycles, modeled
/// energy, flash/RAM/stack bytes and quality scores are compared exactly; hardware cycles
/// and measured energy get a bootstrap confidence interval on the median and a noise
/// threshold. What differs besides the code (toolchain, tinybench version, target file,
/// clock) is noted beside the verdict.
///
/// Exit status: 0 no gate or the gate passed; 1 with `--fail-above` or `--gate`, a metric
/// is worse than its threshold or a case failed in HEAD; 2 tinybench could not compare
/// (unknown run, bad store).
#[derive(Debug, clap::Args)]
pub struct CompareCmd {
    /// The reference run.
    pub base: String,
    /// The run to judge.
    pub head: String,
    #[command(flatten)]
    pub gate: GateOpts,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Pick runs of this target only.
    #[arg(long)]
    pub target: Option<String>,
    /// Pick runs of this suite only.
    #[arg(long)]
    pub suite: Option<String>,
    #[command(flatten)]
    pub store: StoreOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl CompareCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project().ok();
        let root = project.as_ref().map(|p| p.home.as_path());
        let store = self.store.store(project.as_ref());
        let filter = Filter {
            target: self.target.clone(),
            suite: self.suite.clone(),
        };
        let head = select(&store, root, &self.head, &filter)?;
        let base_filter = Filter {
            target: Some(head.run.target.clone()),
            suite: Some(head.run.suite.clone()),
        };
        let base = select(&store, root, &self.base, &base_filter)?;
        let cmp = self.gate.compare(&base.run, &head.run);
        let mut r = report::reporter(self.format);
        r.comparison(&cmp, self.gate.count_threshold(&cmp));
        crate::outln!("{}", r.finish());
        for note in &cmp.notes {
            eprintln!("note: {note}");
        }
        if cmp.gate_failed() {
            if let Some(text) = report::gate_text(&cmp) {
                eprintln!("error: {text}");
            }
            return Ok(crate::exit::BENCH_FAILED);
        }
        Ok(crate::exit::OK)
    }
}
