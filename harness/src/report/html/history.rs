//! The history behind the dashboard: per target and suite, one series per metric (and per
//! case for per-case metrics) over the stored runs, and the regression steps in each,
//! found by the same gate as `compare` between consecutive runs. A step is *standing*
//! until a later run brings the metric back within the threshold of its value before the
//! step, then *resolved* (a reverted regression is not shown as one any more).

use tinybench_results::compare::{compare, CompareOptions, Comparison};
use tinybench_results::gate::{Gate, Metric, Threshold};
use tinybench_results::store::StoredRun;
use tinybench_results::RunResult;

/// One regression step in a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Index (in the group's runs) of the run that regressed.
    pub at: usize,
    /// Index of the first later run back within the threshold, if any.
    pub resolved_at: Option<usize>,
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Kind of metric.
    pub metric: Metric,
    /// Its label (`cycles, modeled`, the energy source, `flash`, `accuracy`).
    pub label: String,
    /// The case, for per-case metrics.
    pub case: Option<String>,
    /// (run index, value).
    pub points: Vec<(usize, f64)>,
    /// Regression steps, oldest first.
    pub steps: Vec<Step>,
}

impl Series {
    /// Steps not resolved by a later run.
    pub fn standing(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.resolved_at.is_none())
            .count()
    }
}

/// The values of every series one run has: (metric, label, case, value).
fn values(run: &RunResult) -> Vec<(Metric, String, Option<String>, f64)> {
    let mut v = Vec::new();
    let kind = Metric::of_kind(run.count_kind);
    for c in &run.cases {
        if let Some(s) = c.summary {
            v.push((
                kind,
                kind.label().to_string(),
                Some(c.name.clone()),
                s.median as f64,
            ));
        }
        if let Some(s) = c.modeled_summary.filter(|_| kind != Metric::ModeledCycles) {
            let m = Metric::ModeledCycles;
            v.push((
                m,
                m.label().to_string(),
                Some(c.name.clone()),
                s.median as f64,
            ));
        }
        if let (Some(e), Some(src)) = (&c.energy, &run.energy_source) {
            v.push((
                Metric::Energy,
                src.clone(),
                Some(c.name.clone()),
                e.median_uj,
            ));
        }
    }
    if let Some(m) = run.memory() {
        v.push((Metric::Flash, "flash".into(), None, m.flash() as f64));
        v.push((Metric::Ram, "RAM".into(), None, m.ram() as f64));
        if let Some(s) = m.stack_used {
            v.push((Metric::Stack, "stack".into(), None, s as f64));
        }
    }
    if let Some(q) = run.quality() {
        for (label, x) in [
            ("accuracy", q.accuracy),
            ("F1", q.f1),
            ("ROC-AUC", q.roc_auc),
        ] {
            if let Some(x) = x {
                v.push((Metric::Quality, label.into(), None, x));
            }
        }
    }
    v
}

/// True when `now` is back within `t` of `before` (lower is better, except quality).
fn back_within(metric: Metric, t: Threshold, before: f64, now: f64) -> bool {
    match (metric, t) {
        (Metric::Quality, Threshold::Points(p)) => now >= before - p - 1e-12,
        (_, Threshold::Relative(r)) => now <= before * (1.0 + r) + 1e-9,
        (_, Threshold::Bytes(b)) => now <= before + b as f64,
        _ => true,
    }
}

/// Every series of a group (`runs` oldest first), with its steps, and the comparison of
/// each run with the one before it (`None` for the first).
pub fn series(runs: &[&StoredRun], gate: &Gate) -> (Vec<Series>, Vec<Option<Comparison>>) {
    let mut all: Vec<Series> = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        for (metric, label, case, x) in values(&r.run) {
            let at = all
                .iter()
                .position(|s| s.metric == metric && s.label == label && s.case == case);
            match at {
                Some(k) => all[k].points.push((i, x)),
                None => all.push(Series {
                    metric,
                    label,
                    case,
                    points: vec![(i, x)],
                    steps: Vec::new(),
                }),
            }
        }
    }
    let opts = CompareOptions::default();
    let mut comparisons = vec![None];
    for i in 1..runs.len() {
        let cmp = compare(&runs[i - 1].run, &runs[i].run, &opts).gated(Some(gate));
        if let Some(g) = &cmp.gate {
            for t in &g.trips {
                let s = all
                    .iter_mut()
                    .find(|s| s.metric == t.metric && s.label == t.label && s.case == t.case);
                if let Some(s) = s {
                    s.steps.push(Step {
                        at: i,
                        resolved_at: None,
                    });
                }
            }
        }
        comparisons.push(Some(cmp));
    }
    for s in &mut all {
        let threshold = gate.threshold(s.metric);
        let pts = s.points.clone();
        for step in &mut s.steps {
            let before = pts.iter().rev().find(|(i, _)| *i < step.at).map(|p| p.1);
            let Some(before) = before else { continue };
            step.resolved_at = pts
                .iter()
                .find(|(i, x)| *i > step.at && back_within(s.metric, threshold, before, *x))
                .map(|p| p.0);
        }
    }
    (all, comparisons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinybench_results::{stats, CaseResult, CaseStatus, RunResult};

    pub(crate) fn run_with(medians: &[(&str, u64)], modeled: u64) -> RunResult {
        let cases = medians
            .iter()
            .map(|&(name, m)| CaseResult {
                name: name.into(),
                kernel: "fully_connected".into(),
                shape: "1x16→8".into(),
                variant: None,
                macs: 128,
                raw_samples: vec![m + 1],
                samples: vec![m],
                summary: stats::summarize(&[m]),
                modeled_samples: vec![modeled],
                modeled_summary: stats::summarize(&[modeled]),
                energy: None,
                device_checksum: Some(7),
                host_checksum: 7,
                status: CaseStatus::Ok,
            })
            .collect();
        RunResult {
            cycle_model: Some("m".into()),
            modeled_overhead: Some(1),
            ..crate::report::test_run(cases)
        }
    }

    #[test]
    fn a_reverted_step_is_resolved_and_a_new_one_stands() {
        let runs: Vec<StoredRun> = [(100, 200), (100, 300), (100, 201), (130, 201)]
            .iter()
            .enumerate()
            .map(|(i, &(m, modeled))| StoredRun {
                id: format!("r{i}"),
                run: run_with(&[("fc", m)], modeled),
            })
            .collect();
        let refs: Vec<&StoredRun> = runs.iter().collect();
        let (s, cmps) = series(&refs, &Gate::new(0.02));
        assert_eq!(cmps.len(), 4);
        let modeled = s
            .iter()
            .find(|s| s.metric == Metric::ModeledCycles)
            .unwrap();
        assert_eq!(
            modeled.steps,
            [Step {
                at: 1,
                resolved_at: Some(2)
            }]
        );
        assert_eq!(modeled.standing(), 0);
        let counts = s.iter().find(|s| s.metric == Metric::Instructions).unwrap();
        assert_eq!(
            counts.steps,
            [Step {
                at: 3,
                resolved_at: None
            }]
        );
        assert_eq!(counts.standing(), 1);
    }
}
