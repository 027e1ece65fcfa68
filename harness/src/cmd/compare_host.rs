//! `tinybench compare-host [RUN]`: a stored device run next to the host baseline of its
//! suite.

use super::{ProjectOpts, StoreOpts};
use crate::baseline::{self, Lookup};
use crate::runsel::{select, Filter};

/// Print a stored device run side by side with the host baseline of its suite: host
/// ns/op with its confidence interval, the device count, device µs at the target's clock,
/// the device/host time ratio and count per MAC on both sides. Exit 2 when the run's
/// suite has no fresh baseline (`tinybench baseline --suite S` makes one).
#[derive(Debug, clap::Args)]
pub struct CompareHostCmd {
    /// Which run: an id (or unique prefix), `latest`, `latest~N` or a git ref.
    #[arg(default_value = "latest")]
    pub run: String,
    /// Pick among runs of this target.
    #[arg(long)]
    pub target: Option<String>,
    /// Pick among runs of this suite.
    #[arg(long)]
    pub suite: Option<String>,
    #[command(flatten)]
    pub store: StoreOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl CompareHostCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project()?;
        let store = self.store.store(Some(&project));
        let filter = Filter {
            target: self.target.clone(),
            suite: self.suite.clone(),
        };
        let stored = select(&store, Some(&project.home), &self.run, &filter)?;
        let run = stored.run;
        let lookup = baseline::lookup(&project, &run.suite)?;
        let clock = clock_of(&project, &run.target);
        if let Lookup::Missing(path) = &lookup {
            anyhow::bail!(
                "no host baseline for suite {} ({} does not exist); run `tinybench baseline --suite {}`",
                run.suite,
                path.display(),
                run.suite
            );
        }
        let text = crate::report::host::for_lookup(&run, &lookup, clock).unwrap_or_default();
        if let Lookup::Stale(..) = lookup {
            anyhow::bail!("{text}");
        }
        crate::outln!("{text}");
        Ok(crate::exit::OK)
    }
}

/// The clock of the target named `name`, when its file still loads (warned otherwise).
pub fn clock_of(project: &crate::project::Project, name: &str) -> Option<u64> {
    match project.target(name) {
        Ok(t) => Some(t.clock_hz),
        Err(e) => {
            eprintln!("warning: no clock for target {name} ({e}); device µs not shown");
            None
        }
    }
}
