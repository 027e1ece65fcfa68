//! The gate's vocabulary, shared by the comparison and the gate: which metric, which
//! threshold, which trip, and a gate's verdict. A leaf module (it imports nothing of the
//! crate), so `compare` and `gate` each depend on it and not on each other.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A kind of metric the gate knows. The key (`instructions`, `flash`, …) names it in
/// `--gate KEY=THRESHOLD`; the label is what reports print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Instructions, emulated (exact).
    Instructions,
    /// Cycles, hardware (bootstrap interval and noise threshold).
    HwCycles,
    /// Cycles, modeled (exact).
    ModeledCycles,
    /// Energy per inference: modeled exact, measured with the bootstrap interval.
    Energy,
    /// Flash bytes of the firmware (code, read-only and initialised data).
    Flash,
    /// RAM bytes: statics plus the painted stack.
    Ram,
    /// Stack bytes, painted.
    Stack,
    /// Accuracy, F1 and ROC-AUC of a model run on a labelled dataset (higher is better).
    Quality,
}

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Metric; 8] = [
        Metric::Instructions,
        Metric::HwCycles,
        Metric::ModeledCycles,
        Metric::Energy,
        Metric::Flash,
        Metric::Ram,
        Metric::Stack,
        Metric::Quality,
    ];

    /// The name in `--gate KEY=…`.
    pub fn key(self) -> &'static str {
        match self {
            Metric::Instructions => "instructions",
            Metric::HwCycles => "hw-cycles",
            Metric::ModeledCycles => "modeled-cycles",
            Metric::Energy => "energy",
            Metric::Flash => "flash",
            Metric::Ram => "ram",
            Metric::Stack => "stack",
            Metric::Quality => "quality",
        }
    }

    /// What reports print, with the honest label of counts.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Instructions => "instructions, emulated",
            Metric::HwCycles => "cycles, hardware",
            Metric::ModeledCycles => "cycles, modeled",
            Metric::Energy => "energy",
            Metric::Flash => "flash",
            Metric::Ram => "RAM",
            Metric::Stack => "stack",
            Metric::Quality => "quality",
        }
    }

    /// The metric of a run's own counts.
    pub fn of_kind(kind: crate::CountKind) -> Metric {
        match kind {
            crate::CountKind::InstructionsEmulated => Metric::Instructions,
            crate::CountKind::CyclesHardware => Metric::HwCycles,
            crate::CountKind::CyclesModeled => Metric::ModeledCycles,
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.key() == key)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How much worse a metric may get before the gate fails.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "unit", content = "value")]
pub enum Threshold {
    /// A relative increase (fraction: 0.02 = 2 %).
    Relative(f64),
    /// An increase in bytes (flash, RAM, stack).
    Bytes(u64),
    /// A drop in points of a 0..1 score (fraction: 0.01 = one percentage point).
    Points(f64),
    /// Not gated.
    Off,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Threshold::Relative(r) => write!(f, "{} %", (r * 10_000.0).round() / 100.0),
            Threshold::Bytes(b) => write!(f, "{b} B"),
            Threshold::Points(p) => write!(f, "{} points", (p * 10_000.0).round() / 100.0),
            Threshold::Off => f.write_str("off"),
        }
    }
}

/// One metric beyond its threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trip {
    /// Which kind of metric.
    pub metric: Metric,
    /// Its label as reports print it (e.g. `cycles, modeled`, `accuracy`).
    pub label: String,
    /// The case, for per-case metrics; `None` for flash/RAM/stack/quality.
    pub case: Option<String>,
    /// Relative change (fraction), when defined.
    pub change: Option<f64>,
    /// BASE value.
    pub base: Option<f64>,
    /// HEAD value.
    pub head: Option<f64>,
    /// The threshold it is beyond.
    pub threshold: Threshold,
}

impl Trip {
    /// `cycles, modeled: fc_256x64 +78.10 %` / `flash: +2048 B (+3.10 %)`.
    pub fn describe(&self) -> String {
        let pct = |c: f64| {
            if c >= 0.0 {
                format!("+{:.2} %", c * 100.0)
            } else {
                format!("−{:.2} %", -c * 100.0)
            }
        };
        let what = match (self.metric, self.base, self.head) {
            (Metric::Flash | Metric::Ram | Metric::Stack, Some(b), Some(h)) => {
                let d = h - b;
                let sign = if d >= 0.0 { "+" } else { "−" };
                match self.change {
                    Some(c) => format!("{sign}{} B ({})", d.abs(), pct(c)),
                    None => format!("{sign}{} B", d.abs()),
                }
            }
            (Metric::Quality, Some(b), Some(h)) => format!(
                "{:.2} % → {:.2} % ({:+.2} points)",
                b * 100.0,
                h * 100.0,
                (h - b) * 100.0
            ),
            _ => self.change.map(pct).unwrap_or_default(),
        };
        match &self.case {
            Some(c) => format!("{}: {c} {what} (gate {})", self.label, self.threshold),
            None => format!("{}: {what} (gate {})", self.label, self.threshold),
        }
    }
}

/// The gate's verdict on a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    /// The thresholds it used.
    pub gate: Gate,
    /// Every metric beyond its threshold.
    pub trips: Vec<Trip>,
    /// Cases that failed in HEAD (always fail the gate).
    pub failed: Vec<String>,
}

impl GateResult {
    /// No trip, no failed case.
    pub fn passed(&self) -> bool {
        self.trips.is_empty() && self.failed.is_empty()
    }

    /// The metrics that tripped, each once, in report order.
    pub fn tripped_metrics(&self) -> Vec<Metric> {
        let mut m: Vec<Metric> = self.trips.iter().map(|t| t.metric).collect();
        m.sort();
        m.dedup();
        m
    }

    /// True when `case` tripped any per-case metric.
    pub fn case_tripped(&self, case: &str) -> bool {
        self.trips.iter().any(|t| t.case.as_deref() == Some(case))
    }
}

/// The gate: a threshold per metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    /// Every metric's threshold.
    pub thresholds: BTreeMap<Metric, Threshold>,
}
