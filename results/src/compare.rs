//! Comparing two runs case by case. Emulated and modeled counts are deterministic, so any
//! difference is real and the comparison is exact. Hardware samples are noisy: the change
//! of the median gets a bootstrap confidence interval, and only an interval entirely
//! beyond the noise threshold counts as a change (the criterion.rs way).
//!
//! Besides the run's own counts, every other metric both runs have is compared too:
//! modeled cycles and energy per case, flash/RAM/stack of the firmware and the quality of
//! a model run ([`MetricChange`]); [`crate::gate`] decides which of them fail CI.

use crate::stats::{self, ChangeEstimate};
use crate::verdict::GateResult;
use crate::{CountKind, RunResult};
use serde::Serialize;

mod measures;
use measures::{case_metrics, run_metrics};
pub use measures::{Direction, MetricChange};

/// How to decide.
#[derive(Debug, Clone, Copy)]
pub struct CompareOptions {
    /// Relative change (fraction) below which a hardware change is noise. Default 0.01.
    pub noise_threshold: f64,
    /// Confidence level of the bootstrap interval. Default 0.95.
    pub confidence: f64,
    /// Bootstrap resamples. Default 10 000.
    pub resamples: usize,
    /// Seed of the bootstrap (fixed: the same runs always give the same decision).
    pub seed: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            noise_threshold: 0.01,
            confidence: 0.95,
            resamples: 10_000,
            seed: 0x7469_6e79_6265_6e63,
        }
    }
}

/// How a change was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Deterministic counts: medians compared exactly.
    Exact,
    /// Noisy counts: bootstrap confidence interval on the median.
    Bootstrap,
}

/// The decision for one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict", content = "detail")]
pub enum Verdict {
    /// Exactly the same counts (deterministic) .
    Same,
    /// A hardware change inside the noise threshold or not significant.
    NoChange,
    /// More counts than before.
    Slower,
    /// Fewer counts than before.
    Faster,
    /// The case is new in HEAD.
    Added,
    /// The case is gone from HEAD.
    Removed,
    /// The case failed in HEAD (checksum mismatch, fault, timeout, kernel error).
    Failed(String),
    /// The two sides cannot be compared (different kinds of count, no samples).
    Incomparable(String),
}

impl Verdict {
    /// Words for reports.
    pub fn label(&self) -> String {
        match self {
            Verdict::Same => "same".into(),
            Verdict::NoChange => "no change (within noise)".into(),
            Verdict::Slower => "slower".into(),
            Verdict::Faster => "faster".into(),
            Verdict::Added => "added".into(),
            Verdict::Removed => "removed".into(),
            Verdict::Failed(why) => format!("failed: {why}"),
            Verdict::Incomparable(why) => format!("not comparable: {why}"),
        }
    }
}

/// One case of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseChange {
    /// Case name.
    pub name: String,
    /// Median of BASE, when it has samples.
    pub base_median: Option<u64>,
    /// Median of HEAD, when it has samples.
    pub head_median: Option<u64>,
    /// Relative change of the median (fraction), with the interval for bootstrapped cases
    /// (exact cases have `lower == upper == point`).
    pub change: Option<ChangeEstimate>,
    /// How it was decided.
    pub method: Method,
    /// The decision.
    pub verdict: Verdict,
    /// The case's other metrics (modeled cycles, energy) both runs have.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricChange>,
}

impl CaseChange {
    /// True when this case is a slowdown larger than `fail_above` (a fraction).
    pub fn regressed_above(&self, fail_above: f64) -> bool {
        self.verdict == Verdict::Slower && self.change.is_some_and(|c| c.point > fail_above)
    }
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Id of BASE.
    pub base_id: String,
    /// Commit label of BASE.
    pub base_commit: String,
    /// Id of HEAD.
    pub head_id: String,
    /// Commit label of HEAD.
    pub head_commit: String,
    /// Target of HEAD.
    pub target: String,
    /// Suite of HEAD.
    pub suite: String,
    /// What the counts of HEAD measure.
    pub count_kind: CountKind,
    /// When HEAD finished (seconds since the Unix epoch).
    pub head_unix_time: u64,
    /// The host that made HEAD.
    pub head_host: Option<String>,
    /// HEAD's target clock (Hz), when known.
    pub head_clock_hz: Option<u64>,
    /// Noise threshold used (fraction).
    pub noise_threshold: f64,
    /// One entry per case of HEAD, then the cases only BASE has.
    pub cases: Vec<CaseChange>,
    /// Run-wide metrics both runs have: flash, RAM, stack, quality.
    pub run_metrics: Vec<MetricChange>,
    /// What differs between the two runs besides the code: toolchain, tinybench version,
    /// target file, clock, backend; or that BASE and HEAD are the same run.
    pub notes: Vec<String>,
    /// The gate's verdict, once [`Comparison::gated`] applied one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateResult>,
}

impl Comparison {
    /// True when a gate was applied and it failed.
    pub fn gate_failed(&self) -> bool {
        self.gate.as_ref().is_some_and(|g| !g.passed())
    }

    /// Cases slower than `fail_above` (a fraction): what the CI gate fails on.
    pub fn regressions(&self, fail_above: f64) -> Vec<&CaseChange> {
        self.cases
            .iter()
            .filter(|c| c.regressed_above(fail_above))
            .collect()
    }

    /// Cases that failed in HEAD.
    pub fn failures(&self) -> Vec<&CaseChange> {
        self.cases
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Failed(_)))
            .collect()
    }
}

/// True for kinds of count that repeat exactly from run to run.
pub fn is_deterministic(kind: CountKind) -> bool {
    match kind {
        CountKind::InstructionsEmulated | CountKind::CyclesModeled => true,
        CountKind::CyclesHardware => false,
    }
}

/// Compare HEAD against BASE.
pub fn compare(base: &RunResult, head: &RunResult, opts: &CompareOptions) -> Comparison {
    let exact = is_deterministic(head.count_kind) && is_deterministic(base.count_kind);
    let method = if exact {
        Method::Exact
    } else {
        Method::Bootstrap
    };
    let mut cases: Vec<CaseChange> = head
        .cases
        .iter()
        .map(|h| case_change(base, head, h, opts, method))
        .collect();
    for b in &base.cases {
        if !head.cases.iter().any(|h| h.name == b.name) {
            cases.push(CaseChange {
                name: b.name.clone(),
                base_median: b.summary.map(|s| s.median),
                head_median: None,
                change: None,
                method,
                verdict: Verdict::Removed,
                metrics: Vec::new(),
            });
        }
    }
    Comparison {
        base_id: base.meta.run_id.clone(),
        base_commit: base.meta.commit_label(),
        head_id: head.meta.run_id.clone(),
        head_commit: head.meta.commit_label(),
        target: head.target.clone(),
        suite: head.suite.clone(),
        count_kind: head.count_kind,
        head_unix_time: head.unix_time,
        head_host: head.meta.host.clone(),
        head_clock_hz: head.meta.clock_hz,
        noise_threshold: opts.noise_threshold,
        cases,
        run_metrics: run_metrics(base, head),
        notes: crate::notes::environment(base, head),
        gate: None,
    }
}

/// One case of HEAD against its namesake in BASE (if any).
fn case_change(
    base: &RunResult,
    head: &RunResult,
    h: &crate::CaseResult,
    opts: &CompareOptions,
    method: Method,
) -> CaseChange {
    let exact = method == Method::Exact;
    let b = base.cases.iter().find(|b| b.name == h.name);
    let head_median = h.summary.map(|s| s.median);
    let base_median = b.and_then(|b| b.summary.map(|s| s.median));
    let mut change = None;
    let verdict = if !h.status.is_ok() {
        Verdict::Failed(h.status.describe())
    } else if b.is_none() {
        Verdict::Added
    } else if base.count_kind != head.count_kind {
        Verdict::Incomparable(format!(
            "BASE counts {}, HEAD counts {}",
            base.count_kind, head.count_kind
        ))
    } else {
        match (base_median, head_median, b) {
            (Some(bm), Some(hm), Some(_)) if exact => {
                if bm == 0 {
                    Verdict::Incomparable("BASE median is 0".into())
                } else {
                    let point = hm as f64 / bm as f64 - 1.0;
                    change = Some(ChangeEstimate {
                        point,
                        lower: point,
                        upper: point,
                    });
                    match hm.cmp(&bm) {
                        std::cmp::Ordering::Equal => Verdict::Same,
                        std::cmp::Ordering::Greater => Verdict::Slower,
                        std::cmp::Ordering::Less => Verdict::Faster,
                    }
                }
            }
            (Some(_), Some(_), Some(b)) => {
                change = stats::bootstrap_median_change(
                    &b.samples,
                    &h.samples,
                    opts.resamples,
                    opts.confidence,
                    opts.seed,
                );
                match change {
                    Some(c) if c.lower > opts.noise_threshold => Verdict::Slower,
                    Some(c) if c.upper < -opts.noise_threshold => Verdict::Faster,
                    Some(_) => Verdict::NoChange,
                    None => Verdict::Incomparable("BASE median is 0".into()),
                }
            }
            _ => Verdict::Incomparable("no samples".into()),
        }
    };
    CaseChange {
        name: h.name.clone(),
        base_median,
        head_median,
        change,
        method,
        verdict,
        metrics: b
            .map(|b| case_metrics(base, head, b, h, opts))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Gate, Metric};
    use crate::{parse_run, CaseStatus};

    fn fixture() -> RunResult {
        parse_run(include_str!("../tests/fixtures/v1-smoke.json")).unwrap()
    }

    fn set_samples(run: &mut RunResult, case: usize, samples: Vec<u64>) {
        let c = &mut run.cases[case];
        c.summary = stats::summarize(&samples);
        c.samples = samples;
    }

    #[test]
    fn exact_comparison_flags_only_the_changed_case() {
        let mut base = fixture();
        base.cases[1].status = CaseStatus::Ok;
        let mut head = base.clone();
        set_samples(&mut head, 1, vec![11_600; 5]);
        let cmp = compare(&base, &head, &CompareOptions::default());
        assert_eq!(cmp.cases[0].verdict, Verdict::Same);
        assert_eq!(cmp.cases[1].verdict, Verdict::Slower);
        let pct = cmp.cases[1].change.unwrap().point * 100.0;
        assert!((pct - 5.129).abs() < 0.01, "{pct}");
        assert_eq!(cmp.regressions(0.02).len(), 1);
        assert!(cmp.regressions(0.06).is_empty());
        // Faster is not a regression.
        let back = compare(&head, &base, &CompareOptions::default());
        assert_eq!(back.cases[1].verdict, Verdict::Faster);
        assert!(back.regressions(0.0).is_empty());
    }

    #[test]
    fn failures_added_and_removed_cases_are_named() {
        let base = fixture();
        let mut head = base.clone();
        head.cases.remove(0);
        head.cases[0].name = "fc_new".into();
        head.cases.push(base.cases[1].clone());
        let cmp = compare(&base, &head, &CompareOptions::default());
        let verdicts: Vec<_> = cmp
            .cases
            .iter()
            .map(|c| (c.name.as_str(), c.verdict.label()))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("fc_new", "failed: checksum mismatch".to_string()),
                ("fc_odd_shape", "failed: checksum mismatch".to_string()),
                ("fc_tiny", "removed".to_string()),
            ]
        );
        assert_eq!(cmp.failures().len(), 2);
    }

    #[test]
    fn hardware_noise_is_not_a_change_but_a_shift_is() {
        let mut base = fixture();
        base.count_kind = CountKind::CyclesHardware;
        base.cases.truncate(1);
        set_samples(
            &mut base,
            0,
            vec![1000, 1010, 995, 1004, 999, 1006, 1001, 998],
        );
        let mut head = base.clone();
        set_samples(
            &mut head,
            0,
            vec![1002, 1008, 997, 1003, 1000, 1005, 999, 1001],
        );
        let cmp = compare(&base, &head, &CompareOptions::default());
        assert_eq!(cmp.cases[0].method, Method::Bootstrap);
        assert_eq!(cmp.cases[0].verdict, Verdict::NoChange);
        set_samples(
            &mut head,
            0,
            vec![1100, 1110, 1095, 1104, 1099, 1106, 1101, 1098],
        );
        let cmp = compare(&base, &head, &CompareOptions::default());
        assert_eq!(cmp.cases[0].verdict, Verdict::Slower);
        assert_eq!(cmp.regressions(0.02).len(), 1);
    }

    #[test]
    fn different_kinds_are_not_compared() {
        let mut base = fixture();
        base.cases[1].status = CaseStatus::Ok;
        let mut head = base.clone();
        head.count_kind = CountKind::CyclesHardware;
        let cmp = compare(&base, &head, &CompareOptions::default());
        assert!(matches!(cmp.cases[0].verdict, Verdict::Incomparable(_)));
    }

    fn with_modeled(run: &mut RunResult, case: usize, samples: Vec<u64>) {
        let c = &mut run.cases[case];
        c.modeled_summary = stats::summarize(&samples);
        c.modeled_samples = samples;
    }

    fn memory(text: u64) -> crate::MemoryFootprint {
        crate::MemoryFootprint {
            text,
            rodata: 1000,
            data: 8,
            bss: 4096,
            stack_used: Some(512),
            flash_size: 1 << 20,
            ram_size: 1 << 18,
        }
    }

    #[test]
    fn modeled_cycles_alone_trip_the_gate_by_name() {
        let mut base = fixture();
        base.cases[1].status = CaseStatus::Ok;
        with_modeled(&mut base, 0, vec![2082; 5]);
        with_modeled(&mut base, 1, vec![13_466; 5]);
        let mut head = base.clone();
        // Same instructions, 78 % more modeled cycles in one case.
        with_modeled(&mut head, 1, vec![23_970; 5]);
        let gate = Gate::new(0.02);
        let cmp = compare(&base, &head, &CompareOptions::default()).gated(Some(&gate));
        assert!(cmp.cases.iter().all(|c| c.verdict == Verdict::Same));
        let g = cmp.gate.as_ref().unwrap();
        assert!(!g.passed());
        assert_eq!(g.tripped_metrics(), [Metric::ModeledCycles]);
        let text = g.trips[0].describe();
        assert!(
            text.starts_with("cycles, modeled: fc_odd_shape +78.0"),
            "{text}"
        );
        // Off for modeled cycles: the gate passes.
        let mut off = gate.clone();
        off.thresholds
            .insert(Metric::ModeledCycles, crate::gate::Threshold::Off);
        assert!(compare(&base, &head, &CompareOptions::default())
            .gated(Some(&off))
            .gate
            .unwrap()
            .passed());
    }

    #[test]
    fn flash_growth_trips_in_bytes_and_percent() {
        let mut base = fixture();
        base.cases[1].status = CaseStatus::Ok;
        base.meta.memory = Some(memory(10_000));
        let mut head = base.clone();
        head.meta.memory = Some(memory(10_600));
        let cmp = compare(&base, &head, &CompareOptions::default());
        let flash = &cmp.run_metrics[0];
        assert_eq!(
            (flash.metric, flash.direction),
            (Metric::Flash, Direction::Worse)
        );
        assert_eq!(flash.verdict_label(), "grew");
        let g = cmp.clone().gated(Some(&Gate::new(0.02))).gate.unwrap();
        assert_eq!(g.tripped_metrics(), [Metric::Flash]);
        assert!(
            g.trips[0].describe().starts_with("flash: +600 B (+5.45 %)"),
            "{:?}",
            g.trips
        );
        let mut roomy = Gate::new(0.02);
        roomy
            .thresholds
            .insert(Metric::Flash, crate::gate::Threshold::Bytes(1024));
        assert!(cmp.gated(Some(&roomy)).gate.unwrap().passed());
    }

    #[test]
    fn measured_energy_is_gated_with_the_bootstrap() {
        let mut base = fixture();
        base.cases.truncate(1);
        base.energy_source = Some("energy, measured (PPK2)".into());
        base.cases[0].energy = Some(crate::CaseEnergy {
            per_inference_uj: vec![1.00, 1.01, 0.99, 1.00, 1.02, 0.98],
            median_uj: 1.0,
            avg_power_mw: 10.0,
            bound_uj: 0.01,
        });
        let mut head = base.clone();
        head.cases[0].energy = Some(crate::CaseEnergy {
            per_inference_uj: vec![1.20, 1.21, 1.19, 1.20, 1.22, 1.18],
            median_uj: 1.2,
            avg_power_mw: 12.0,
            bound_uj: 0.01,
        });
        let cmp = compare(&base, &head, &CompareOptions::default());
        let e = &cmp.cases[0].metrics[0];
        assert_eq!(
            (e.metric, e.method, e.direction),
            (Metric::Energy, Method::Bootstrap, Direction::Worse)
        );
        let g = cmp.gated(Some(&Gate::new(0.05))).gate.unwrap();
        assert_eq!(g.tripped_metrics(), [Metric::Energy]);
        assert!(g.trips[0]
            .describe()
            .contains("energy, measured (PPK2): fc_tiny +20.00 %"));
    }
}
