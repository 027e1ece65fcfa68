//! The CI gate: one threshold per kind of metric, and which metric tripped.
//!
//! A [`crate::compare::Comparison`] holds a change for every metric both runs have: the
//! run's own counts per case (instructions, emulated or cycles, hardware), modeled cycles
//! and energy per case, flash/RAM/stack of the firmware and the quality of a model run.
//! [`Gate::evaluate`] checks each against its [`Threshold`] and lists every [`Trip`], so a
//! report can say "cycles, modeled: fc_256x64 +78 %" instead of only "slower".

use crate::compare::{CaseChange, Comparison, Direction, MetricChange, Verdict};
use std::collections::BTreeMap;

pub use crate::verdict::{Gate, GateResult, Metric, Threshold, Trip};

/// The count gate (`--fail-above`) when none is given: 2 %.
pub const DEFAULT_FAIL_ABOVE: f64 = 0.02;

impl Gate {
    /// The defaults: `fail_above` (a fraction) for instructions, hardware and modeled
    /// cycles and energy; 1 % growth for flash, RAM and stack; any drop for quality
    /// (an int8 model on a fixed dataset gives the same outputs every run, so any drop
    /// is real).
    pub fn new(fail_above: f64) -> Gate {
        let mut thresholds = BTreeMap::new();
        for m in Metric::ALL {
            let t = match m {
                Metric::Instructions
                | Metric::HwCycles
                | Metric::ModeledCycles
                | Metric::Energy => Threshold::Relative(fail_above),
                Metric::Flash | Metric::Ram | Metric::Stack => Threshold::Relative(0.01),
                Metric::Quality => Threshold::Points(0.0),
            };
            thresholds.insert(m, t);
        }
        Gate { thresholds }
    }

    /// The gate of `--fail-above` and `--gate KEY=THRESHOLD` flags (`None` when neither
    /// was given: no gate).
    pub fn from_flags(fail_above: Option<f64>, specs: &[(Metric, Threshold)]) -> Option<Gate> {
        if fail_above.is_none() && specs.is_empty() {
            return None;
        }
        let mut g = Gate::new(fail_above.unwrap_or(DEFAULT_FAIL_ABOVE));
        for &(m, t) in specs {
            g.thresholds.insert(m, t);
        }
        Some(g)
    }

    /// The threshold of `m`.
    pub fn threshold(&self, m: Metric) -> Threshold {
        self.thresholds.get(&m).copied().unwrap_or(Threshold::Off)
    }

    /// Check every change of `cmp` against its threshold.
    pub fn evaluate(&self, cmp: &Comparison) -> GateResult {
        let mut trips = Vec::new();
        for c in &cmp.cases {
            if let Some(t) = self.trip_primary(cmp, c) {
                trips.push(t);
            }
            for m in &c.metrics {
                if let Some(t) = self.trip(m, Some(&c.name)) {
                    trips.push(t);
                }
            }
        }
        for m in &cmp.run_metrics {
            if let Some(t) = self.trip(m, None) {
                trips.push(t);
            }
        }
        let failed = cmp
            .cases
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Failed(_)))
            .map(|c| c.name.clone())
            .collect();
        GateResult {
            gate: self.clone(),
            trips,
            failed,
        }
    }

    fn trip_primary(&self, cmp: &Comparison, c: &CaseChange) -> Option<Trip> {
        let metric = Metric::of_kind(cmp.count_kind);
        let threshold = self.threshold(metric);
        let Threshold::Relative(r) = threshold else {
            return None;
        };
        c.regressed_above(r).then(|| Trip {
            metric,
            label: metric.label().to_string(),
            case: Some(c.name.clone()),
            change: c.change.map(|e| e.point),
            base: c.base_median.map(|v| v as f64),
            head: c.head_median.map(|v| v as f64),
            threshold,
        })
    }

    fn trip(&self, m: &MetricChange, case: Option<&str>) -> Option<Trip> {
        if m.direction != Direction::Worse {
            return None;
        }
        let threshold = self.threshold(m.metric);
        let (base, head) = (m.base?, m.head?);
        let over = match threshold {
            Threshold::Off => false,
            Threshold::Relative(r) => m.change.is_some_and(|c| c.point.abs() > r),
            Threshold::Bytes(b) => (head - base).abs() > b as f64,
            Threshold::Points(p) => (head - base).abs() > p + 1e-12,
        };
        over.then(|| Trip {
            metric: m.metric,
            label: m.label.clone(),
            case: case.map(str::to_string),
            change: m.change.map(|c| c.point),
            base: Some(base),
            head: Some(head),
            threshold,
        })
    }
}

/// `KEY=THRESHOLD` of `--gate`: `flash=2KiB`, `flash=512`, `ram=1%`, `energy=5%`,
/// `quality=0.5` (points), `stack=off`. Memory takes bytes (`B`, `KiB` suffixes) or a
/// percentage; quality takes percentage points; the rest a percentage.
pub fn parse_spec(spec: &str) -> Result<(Metric, Threshold), String> {
    let keys: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
    let Some((key, value)) = spec.split_once('=') else {
        return Err(format!(
            "`{spec}` is not KEY=THRESHOLD (keys: {})",
            keys.join(", ")
        ));
    };
    let metric = Metric::from_key(key.trim())
        .ok_or_else(|| format!("`{key}` is no metric (keys: {})", keys.join(", ")))?;
    let v = value.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok((metric, Threshold::Off));
    }
    let bad = || {
        format!(
            "`{v}` is not a threshold for {key} (e.g. {})",
            example(metric)
        )
    };
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
    };
    let threshold = match metric {
        Metric::Flash | Metric::Ram | Metric::Stack => {
            if let Some(p) = v.strip_suffix('%') {
                Threshold::Relative(number(p).ok_or_else(bad)? / 100.0)
            } else if let Some(k) = v.strip_suffix("KiB") {
                Threshold::Bytes((number(k).ok_or_else(bad)? * 1024.0).round() as u64)
            } else {
                let b = v.strip_suffix('B').unwrap_or(v);
                Threshold::Bytes(b.trim().parse::<u64>().map_err(|_| bad())?)
            }
        }
        Metric::Quality => {
            Threshold::Points(number(v.strip_suffix('%').unwrap_or(v)).ok_or_else(bad)? / 100.0)
        }
        _ => Threshold::Relative(number(v.strip_suffix('%').unwrap_or(v)).ok_or_else(bad)? / 100.0),
    };
    Ok((metric, threshold))
}

fn example(m: Metric) -> &'static str {
    match m {
        Metric::Flash | Metric::Ram | Metric::Stack => "`512`, `2KiB` or `1%`",
        Metric::Quality => "`0.5` (percentage points)",
        _ => "`2%`",
    }
}

impl Comparison {
    /// Apply `gate` (when given) and keep its verdict in [`Comparison::gate`].
    pub fn gated(mut self, gate: Option<&Gate>) -> Comparison {
        self.gate = gate.map(|g| g.evaluate(&self));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_per_unit_and_name_bad_input() {
        assert_eq!(
            parse_spec("flash=2KiB"),
            Ok((Metric::Flash, Threshold::Bytes(2048)))
        );
        assert_eq!(
            parse_spec("ram=512"),
            Ok((Metric::Ram, Threshold::Bytes(512)))
        );
        assert_eq!(
            parse_spec("stack=1%"),
            Ok((Metric::Stack, Threshold::Relative(0.01)))
        );
        assert_eq!(
            parse_spec("modeled-cycles=5%"),
            Ok((Metric::ModeledCycles, Threshold::Relative(0.05)))
        );
        assert_eq!(
            parse_spec("quality=0.5"),
            Ok((Metric::Quality, Threshold::Points(0.005)))
        );
        assert_eq!(
            parse_spec("energy=off"),
            Ok((Metric::Energy, Threshold::Off))
        );
        assert!(parse_spec("speed=2%").unwrap_err().contains("flash"));
        assert!(parse_spec("flash").unwrap_err().contains("KEY=THRESHOLD"));
        assert!(parse_spec("flash=-3").unwrap_err().contains("`-3`"));
    }

    #[test]
    fn no_flags_no_gate_and_flags_override_defaults() {
        assert!(Gate::from_flags(None, &[]).is_none());
        let g = Gate::from_flags(Some(0.05), &[(Metric::Flash, Threshold::Bytes(0))]).unwrap();
        assert_eq!(
            g.threshold(Metric::ModeledCycles),
            Threshold::Relative(0.05)
        );
        assert_eq!(g.threshold(Metric::Flash), Threshold::Bytes(0));
        assert_eq!(g.threshold(Metric::Quality), Threshold::Points(0.0));
    }
}
