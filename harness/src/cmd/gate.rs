//! The gate flags `compare` and `ci` share: `--fail-above` for the counts, `--gate
//! METRIC=THRESHOLD` for every other metric, `--noise` for noisy ones (docs/results.md).

use tinybench_results::compare::{compare, CompareOptions, Comparison};
use tinybench_results::gate::{parse_spec, Gate, Metric, Threshold};
use tinybench_results::RunResult;

/// Which changes fail the gate.
#[derive(Debug, Clone, clap::Args)]
pub struct GateOpts {
    /// Fail when a case's counts (instructions, emulated / cycles, hardware), modeled
    /// cycles or energy got worse by more than this (percent, e.g. `2%` or `2`), or a case
    /// failed in HEAD. Turns the gate on; flash, RAM and stack then default to 1 %, quality
    /// to any drop.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub fail_above: Option<f64>,
    /// One metric's threshold, repeatable: `instructions=2%`, `hw-cycles=3%`,
    /// `modeled-cycles=2%`, `energy=5%`, `flash=2KiB` (or bytes, or `1%`), `ram=512`,
    /// `stack=256`, `quality=0.5` (percentage points); `METRIC=off` leaves one out. Turns
    /// the gate on (the others keep their defaults, counts 2 % without `--fail-above`).
    #[arg(long = "gate", value_name = "METRIC=THRESHOLD", value_parser = parse_spec)]
    pub gates: Vec<(Metric, Threshold)>,
    /// Relative change below which hardware cycles and measured energy are noise (percent).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent, default_value = "1%")]
    pub noise: f64,
}

impl GateOpts {
    /// The gate the flags ask for; `None` without `--fail-above` or `--gate`.
    pub fn gate(&self) -> Option<Gate> {
        Gate::from_flags(self.fail_above, &self.gates)
    }

    /// Compare HEAD with BASE and apply the gate.
    pub fn compare(&self, base: &RunResult, head: &RunResult) -> Comparison {
        let opts = CompareOptions {
            noise_threshold: self.noise,
            ..CompareOptions::default()
        };
        compare(base, head, &opts).gated(self.gate().as_ref())
    }

    /// The threshold of the run's own counts, for reporters that only flag those.
    pub fn count_threshold(&self, cmp: &Comparison) -> Option<f64> {
        let g = self.gate()?;
        match g.threshold(Metric::of_kind(cmp.count_kind)) {
            Threshold::Relative(r) => Some(r),
            _ => None,
        }
    }
}

/// True when the comparison's gate failed on a metric (a case failing in HEAD is a
/// benchmark failure of its own, reported before any regression).
pub fn regressed(cmp: &Comparison) -> bool {
    cmp.gate.as_ref().is_some_and(|g| !g.trips.is_empty())
}

/// What `tinybench ci --json` keeps per target: the comparison's JSON when there is one
/// (with the gate's verdict and `schema_version`), else the run's.
pub fn json_detail(
    cmp: Option<&Comparison>,
    run: &RunResult,
    gate: &GateOpts,
) -> serde_json::Value {
    match cmp {
        Some(c) => crate::report::json::comparison_value(c, gate.count_threshold(c)),
        None => serde_json::to_value(run).unwrap_or(serde_json::Value::Null),
    }
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
