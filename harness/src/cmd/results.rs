//! `tinybench results list|show`: what the result store holds.

use super::{ProjectOpts, StoreOpts};
use crate::report::{self, Format};
use crate::runsel::{select, Filter};
use tabled::settings::Style;
use tabled::{Table, Tabled};

/// List stored runs or show one.
#[derive(Debug, clap::Args)]
pub struct ResultsCmd {
    #[command(subcommand)]
    what: What,
    #[command(flatten)]
    store: StoreOpts,
    #[command(flatten)]
    project: ProjectOpts,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// One line per stored run, oldest first (from the store's index). Corrupt files are
    /// named on stderr and skipped.
    List {
        /// Only runs of this target.
        #[arg(long)]
        target: Option<String>,
        /// Only runs of this suite.
        #[arg(long)]
        suite: Option<String>,
        /// `table` or `json`.
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// One stored run: RUN is an id (or unique prefix), `latest`, `latest~N` or a git ref.
    Show {
        /// Which run.
        #[arg(default_value = "latest")]
        run: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Pick among runs of this target.
        #[arg(long)]
        target: Option<String>,
        /// Pick among runs of this suite.
        #[arg(long)]
        suite: Option<String>,
    },
}

/// Formats of `results list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Tabled)]
struct Line {
    id: String,
    target: String,
    suite: String,
    commit: String,
    kind: String,
    cases: usize,
    failed: usize,
}

impl ResultsCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project().ok();
        let store = self.store.store(project.as_ref());
        match self.what {
            What::List {
                target,
                suite,
                format,
            } => {
                let listing = store.list()?;
                crate::runsel::warn_skipped(&store, &listing.skipped);
                if !listing.leftover_temp_files.is_empty() {
                    eprintln!(
                        "note: {} leftover temp file(s) of interrupted writes in {} (ignored)",
                        listing.leftover_temp_files.len(),
                        store.dir().join("runs").display()
                    );
                }
                let filter = Filter { target, suite };
                let runs: Vec<_> = listing
                    .runs
                    .into_iter()
                    .filter(|e| {
                        filter.target.as_ref().is_none_or(|t| *t == e.target)
                            && filter.suite.as_ref().is_none_or(|s| *s == e.suite)
                    })
                    .collect();
                match format {
                    ListFormat::Json => crate::outln!("{}", serde_json::to_string_pretty(&runs)?),
                    ListFormat::Table if runs.is_empty() => {
                        eprintln!("no stored runs in {}", store.dir().display())
                    }
                    ListFormat::Table => {
                        let lines = runs.into_iter().map(|e| Line {
                            kind: e.count_kind.label().to_string(),
                            id: e.id,
                            target: e.target,
                            suite: e.suite,
                            commit: e.commit,
                            cases: e.cases,
                            failed: e.failed,
                        });
                        crate::outln!("{}", Table::new(lines).with(Style::rounded()));
                    }
                }
            }
            What::Show {
                run,
                format,
                target,
                suite,
            } => {
                let filter = Filter { target, suite };
                let root = project.as_ref().map(|p| p.home.as_path());
                let stored = select(&store, root, &run, &filter)?;
                let mut r = report::reporter(format);
                r.run(&stored.run);
                crate::outln!("{}", r.finish());
            }
        }
        Ok(crate::exit::OK)
    }
}
