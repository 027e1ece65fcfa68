//! `tinybench baseline --suite S`: time every case of a suite on this host with criterion
//! and store the result as the suite's host baseline (see [`crate::baseline`]).

use super::ProjectOpts;
use crate::baseline::{self, Lookup};

/// Measure the host baseline of a suite: `cargo bench -p tinybench-kernels --bench ops`
/// on the suite's cases (the same inputs and variants the firmware runs), read back as
/// "ns, host wall-clock (criterion)" with criterion's confidence interval. A fresh
/// baseline for the same kernel sources, suite file, host and toolchain is reused
/// unless `--force` is given. Device tables of the suite then show host columns.
#[derive(Debug, clap::Args)]
pub struct BaselineCmd {
    /// Suite name (see `tinybench list suites`) or path to a suite TOML.
    #[arg(long, default_value = "kernels")]
    pub suite: String,
    /// Measure again even when a fresh baseline exists.
    #[arg(long)]
    pub force: bool,
    /// Criterion's shortest settings (10 samples, 20 ms per case): quick, rough numbers.
    #[arg(long)]
    pub quick: bool,
    /// Read criterion's estimates.json files even when cargo-criterion is installed.
    #[arg(long)]
    pub no_cargo_criterion: bool,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl BaselineCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project()?;
        let suite = project.suite(&self.suite)?;
        let suite_file = project.suite_path(&self.suite);
        let path = baseline::path_for(&project, &suite.name);
        match baseline::lookup(&project, &suite.name) {
            Ok(Lookup::Fresh(b)) if !self.force => {
                eprintln!(
                    "host baseline for suite {} is fresh ({} case(s), {}); reused, not re-run (--force measures again)",
                    suite.name,
                    b.cases.len(),
                    path.display()
                );
                return Ok(crate::exit::OK);
            }
            Ok(Lookup::Stale(_, why)) => {
                eprintln!(
                    "host baseline is stale ({}); measuring again",
                    why.join(", ")
                )
            }
            Err(e) => eprintln!("warning: {e}; measuring again"),
            _ => {}
        }
        let use_cc = !self.no_cargo_criterion && baseline::has_cargo_criterion();
        let (p, s) = (project.clone(), suite.clone());
        let quick = self.quick;
        let b = tokio::task::spawn_blocking(move || {
            baseline::measure(&p, &s, &suite_file, quick, use_cc)
        })
        .await??;
        baseline::save(&path, &b)?;
        let have = b.cases.iter().filter(|(_, e)| e.is_some()).count();
        eprintln!(
            "host baseline of suite {}: {have}/{} case(s), {} from {}, saved in {}",
            b.suite,
            b.cases.len(),
            baseline::HOST_UNIT,
            b.source,
            path.display()
        );
        Ok(if have == b.cases.len() {
            crate::exit::OK
        } else {
            crate::exit::ERROR
        })
    }
}
