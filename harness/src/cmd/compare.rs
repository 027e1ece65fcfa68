//! `tinybench compare BASE HEAD`: per case change between two stored runs, and the CI gate.

use super::{ProjectOpts, StoreOpts};
use crate::report::{self, Format};
use crate::runsel::{select, Filter};
use tinybench_results::compare::{compare, CompareOptions};

/// Compare two stored runs case by case.
///
/// BASE and HEAD are run ids (or unique prefixes), `latest`, `latest~N`, or git refs of the
/// project (the newest run made at that commit). HEAD is picked first; BASE is then picked
/// among runs of HEAD's target and suite. Emulated and modeled counts are compared exactly;
/// hardware cycles get a bootstrap confidence interval on the median and a noise threshold.
///
/// Exit status: 0 no gate or the gate passed; 1 with `--fail-above`, a case is slower than
/// the threshold or failed in HEAD; 2 tinybench could not compare (unknown run, bad store).
#[derive(Debug, clap::Args)]
pub struct CompareCmd {
    /// The reference run.
    pub base: String,
    /// The run to judge.
    pub head: String,
    /// Exit 1 when a case is slower than this (percent, e.g. `2%` or `2`) or failed in HEAD.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub fail_above: Option<f64>,
    /// Relative change below which hardware counts are noise (percent).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent, default_value = "1%")]
    pub noise: f64,
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

/// `2%`, `2` or `0.5 %` → 0.02, 0.02, 0.005.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let t = s.trim().trim_end_matches('%').trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v / 100.0),
        _ => Err(format!(
            "`{s}` is not a percentage (expected e.g. `2%` or `0.5`)"
        )),
    }
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
        let opts = CompareOptions {
            noise_threshold: self.noise,
            ..CompareOptions::default()
        };
        let cmp = compare(&base.run, &head.run, &opts);
        let mut r = report::reporter(self.format);
        r.comparison(&cmp, self.fail_above);
        println!("{}", r.finish());
        let gate_failed = self
            .fail_above
            .is_some_and(|g| !cmp.regressions(g).is_empty() || !cmp.failures().is_empty());
        if gate_failed {
            if let Some(text) = report::gate_text(&cmp, self.fail_above) {
                eprintln!("error: {text}");
            }
            return Ok(crate::exit::BENCH_FAILED);
        }
        Ok(crate::exit::OK)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_percent;

    #[test]
    fn percentages_parse_with_or_without_sign() {
        assert_eq!(parse_percent("2%"), Ok(0.02));
        assert_eq!(parse_percent("2"), Ok(0.02));
        assert_eq!(parse_percent(" 0.5 % "), Ok(0.005));
        assert!(parse_percent("-1%").is_err());
        assert!(parse_percent("two").unwrap_err().contains("`two`"));
    }
}
