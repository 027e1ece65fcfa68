//! The datasheet energy model: run current per MHz at a supply voltage, with its source.

use crate::{Sample, Source};

/// A core's active power from its datasheet.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerModel {
    /// Run-mode current per MHz of core clock, µA/MHz.
    pub ua_per_mhz: f64,
    /// Supply voltage, volts.
    pub supply_v: f64,
    /// Core clock, Hz.
    pub clock_hz: f64,
    /// Where the figure comes from (datasheet, section, conditions).
    pub citation: String,
}

impl PowerModel {
    /// Power while running, watts: (µA/MHz · MHz) · V.
    pub fn watts(&self) -> f64 {
        self.ua_per_mhz * 1e-6 * (self.clock_hz / 1e6) * self.supply_v
    }

    /// Seconds that `cycles` take at the clock.
    pub fn seconds(&self, cycles: u64) -> f64 {
        cycles as f64 / self.clock_hz
    }

    /// Joules of `cycles` computed directly (the answer the pipeline must reproduce).
    pub fn joules(&self, cycles: u64) -> f64 {
        self.watts() * self.seconds(cycles)
    }

    /// The label of numbers made with this model.
    pub fn source(&self) -> Source {
        Source::Modeled(format!("datasheet: {}", self.citation))
    }

    /// Samples a power monitor would have recorded over `[0, total_cycles]` at
    /// `rate_hz`: the model has no activity dependence, so the power is flat while the
    /// core runs. The emulator feeds these through the same pipeline as a measurement.
    pub fn synthesise(&self, total_cycles: u64, rate_hz: f64) -> Vec<Sample> {
        let end = self.seconds(total_cycles);
        let n = ((end * rate_hz).ceil() as usize).max(1);
        let w = self.watts();
        (0..=n)
            .map(|i| Sample {
                t: (i as f64 / rate_hz).min(end),
                watts: w,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{integrate, Trace, Window};

    #[test]
    fn pipeline_reproduces_the_direct_model() {
        let m = PowerModel {
            ua_per_mhz: 52.0,
            supply_v: 3.0,
            clock_hz: 64e6,
            citation: "test".into(),
        };
        // 52 µA/MHz · 64 MHz = 3.328 mA; · 3 V = 9.984 mW.
        assert!((m.watts() - 9.984e-3).abs() < 1e-12);
        let tr = Trace::new(m.synthesise(1_000_000, 100e3)).unwrap();
        let (a, b) = (123_456u64, 275_538u64);
        let e = integrate(
            &tr,
            Window {
                start: m.seconds(a),
                end: m.seconds(b),
            },
        )
        .unwrap();
        let direct = m.joules(b - a);
        assert!(
            (e.joules - direct).abs() < 1e-12 * direct.max(1e-12) + 1e-15,
            "{} vs {direct}",
            e.joules
        );
        assert_eq!(m.source().label(), "energy, modeled (datasheet: test)");
    }
}
