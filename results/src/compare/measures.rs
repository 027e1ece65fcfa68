//! The metrics besides a run's own counts: modeled cycles and energy per case, flash,
//! RAM, stack and quality per run. Each change says whether it got worse.

use super::{CompareOptions, Method};
use crate::stats::{self, ChangeEstimate};
use crate::verdict::Metric;
use crate::{CountKind, RunResult};
use serde::Serialize;

/// Whether a metric got worse (more cycles, more energy, more bytes, lower accuracy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Exactly equal.
    Same,
    /// A noisy metric whose interval is inside the noise threshold.
    NoChange,
    /// Worse than BASE.
    Worse,
    /// Better than BASE.
    Better,
}

/// The change of one metric other than the run's own counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricChange {
    /// Which kind.
    pub metric: Metric,
    /// Its label: `cycles, modeled`, the energy source, `flash`, `accuracy`, …
    pub label: String,
    /// BASE value (cycles, µJ, bytes, or a 0..1 score).
    pub base: Option<f64>,
    /// HEAD value.
    pub head: Option<f64>,
    /// Relative change (fraction) with its interval (exact: `lower == upper == point`).
    pub change: Option<ChangeEstimate>,
    /// How it was decided.
    pub method: Method,
    /// Worse or better.
    pub direction: Direction,
}

impl MetricChange {
    /// Words for reports: `slower`, `more energy`, `grew`, `dropped`, …
    pub fn verdict_label(&self) -> &'static str {
        let time = matches!(
            self.metric,
            Metric::Instructions | Metric::HwCycles | Metric::ModeledCycles
        );
        match (self.direction, self.metric) {
            (Direction::Same, _) => "same",
            (Direction::NoChange, _) => "no change (within noise)",
            (Direction::Worse, _) if time => "slower",
            (Direction::Better, _) if time => "faster",
            (Direction::Worse, Metric::Energy) => "more energy",
            (Direction::Better, Metric::Energy) => "less energy",
            (Direction::Worse, Metric::Quality) => "dropped",
            (Direction::Better, Metric::Quality) => "improved",
            (Direction::Worse, _) => "grew",
            (Direction::Better, _) => "shrank",
        }
    }
}

/// Exact change of two deterministic values (`None` when BASE is 0).
fn exact(metric: Metric, label: &str, b: f64, h: f64, lower_is_better: bool) -> MetricChange {
    let change = (b != 0.0).then(|| {
        let point = h / b - 1.0;
        ChangeEstimate {
            point,
            lower: point,
            upper: point,
        }
    });
    let worse = if lower_is_better { h > b } else { h < b };
    MetricChange {
        metric,
        label: label.to_string(),
        base: Some(b),
        head: Some(h),
        change,
        method: Method::Exact,
        direction: if h == b {
            Direction::Same
        } else if worse {
            Direction::Worse
        } else {
            Direction::Better
        },
    }
}

/// Modeled cycles (exact) and energy (modeled: exact; measured: bootstrap) of a case.
pub(super) fn case_metrics(
    base: &RunResult,
    head: &RunResult,
    b: &crate::CaseResult,
    h: &crate::CaseResult,
    opts: &CompareOptions,
) -> Vec<MetricChange> {
    let mut out = Vec::new();
    // A run whose own counts are modeled cycles has them as its primary counts already.
    if head.count_kind != CountKind::CyclesModeled {
        if let (Some(bs), Some(hs)) = (b.modeled_summary, h.modeled_summary) {
            out.push(exact(
                Metric::ModeledCycles,
                Metric::ModeledCycles.label(),
                bs.median as f64,
                hs.median as f64,
                true,
            ));
        }
    }
    let (Some(be), Some(he)) = (&b.energy, &h.energy) else {
        return out;
    };
    let label = head
        .energy_source
        .clone()
        .unwrap_or_else(|| "energy".into());
    if base.energy_source != head.energy_source {
        return out;
    }
    if label.starts_with("energy, modeled") {
        out.push(exact(
            Metric::Energy,
            &label,
            be.median_uj,
            he.median_uj,
            true,
        ));
        return out;
    }
    // The bootstrap works on integers: µJ in picojoules keeps six decimals, far below
    // any sampling bound.
    let pj = |v: &[f64]| -> Vec<u64> {
        v.iter()
            .map(|x| (x.max(0.0) * 1e6).round() as u64)
            .collect()
    };
    let change = stats::bootstrap_median_change(
        &pj(&be.per_inference_uj),
        &pj(&he.per_inference_uj),
        opts.resamples,
        opts.confidence,
        opts.seed,
    );
    let direction = match change {
        Some(c) if c.lower > opts.noise_threshold => Direction::Worse,
        Some(c) if c.upper < -opts.noise_threshold => Direction::Better,
        _ => Direction::NoChange,
    };
    out.push(MetricChange {
        metric: Metric::Energy,
        label,
        base: Some(be.median_uj),
        head: Some(he.median_uj),
        change,
        method: Method::Bootstrap,
        direction,
    });
    out
}

/// Flash, RAM and stack in bytes, and quality scores (higher is better), both exact.
pub(super) fn run_metrics(base: &RunResult, head: &RunResult) -> Vec<MetricChange> {
    let mut out = Vec::new();
    if let (Some(b), Some(h)) = (base.memory(), head.memory()) {
        out.push(exact(
            Metric::Flash,
            "flash",
            b.flash() as f64,
            h.flash() as f64,
            true,
        ));
        out.push(exact(
            Metric::Ram,
            "RAM",
            b.ram() as f64,
            h.ram() as f64,
            true,
        ));
        if let (Some(bs), Some(hs)) = (b.stack_used, h.stack_used) {
            out.push(exact(Metric::Stack, "stack", bs as f64, hs as f64, true));
        }
    }
    if let (Some(b), Some(h)) = (base.quality(), head.quality()) {
        let scores = [
            ("accuracy", b.accuracy, h.accuracy),
            ("F1", b.f1, h.f1),
            ("ROC-AUC", b.roc_auc, h.roc_auc),
        ];
        for (label, bv, hv) in scores {
            if let (Some(bv), Some(hv)) = (bv, hv) {
                out.push(exact(Metric::Quality, label, bv, hv, false));
            }
        }
    }
    out
}
