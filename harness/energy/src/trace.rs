//! Samples, windows and trapezoid integration with a bound.

/// One power sample: time in seconds on the trace's clock, power in watts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds.
    pub t: f64,
    /// Watts.
    pub watts: f64,
}

/// A measured region on the trace's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
}

/// Something about the samples worth reporting; integration still went ahead.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceIssue {
    /// Samples arrived out of time order and were sorted (how many were out of place).
    Reordered(usize),
    /// Samples with the same timestamp as an earlier one were dropped.
    Duplicates(usize),
    /// A gap much longer than the nominal period (start, length in seconds).
    Gap {
        /// Where it starts.
        at: f64,
        /// How long.
        length: f64,
    },
}

/// Why a window could not be integrated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TraceError {
    /// Not enough samples to integrate anything.
    #[error("a trace needs at least two samples, it has {0}")]
    TooFewSamples(usize),
    /// The window is empty or reversed.
    #[error("window {start}..{end} s is empty or reversed")]
    BadWindow {
        /// Start.
        start: f64,
        /// End.
        end: f64,
    },
    /// The window reaches outside the samples.
    #[error("window {start}..{end} s is not covered by samples ({first}..{last} s)")]
    NotCovered {
        /// Window start.
        start: f64,
        /// Window end.
        end: f64,
        /// First sample time.
        first: f64,
        /// Last sample time.
        last: f64,
    },
    /// A sample is not a finite number.
    #[error("sample {0} is not finite")]
    NotFinite(usize),
}

/// A cleaned trace: sorted, de-duplicated, with what was wrong with it.
#[derive(Debug, Clone)]
pub struct Trace {
    samples: Vec<Sample>,
    /// Nominal sample period (median spacing), seconds.
    pub period: f64,
    /// What was repaired or noticed.
    pub issues: Vec<TraceIssue>,
}

impl Trace {
    /// Clean raw samples: sort late/out-of-order ones into place, drop duplicate
    /// timestamps, note gaps over 4 nominal periods.
    pub fn new(mut samples: Vec<Sample>) -> Result<Trace, TraceError> {
        if let Some(i) = samples
            .iter()
            .position(|s| !s.t.is_finite() || !s.watts.is_finite())
        {
            return Err(TraceError::NotFinite(i));
        }
        let mut issues = Vec::new();
        let out_of_place = samples.windows(2).filter(|w| w[1].t < w[0].t).count();
        if out_of_place > 0 {
            samples.sort_by(|a, b| a.t.total_cmp(&b.t));
            issues.push(TraceIssue::Reordered(out_of_place));
        }
        let before = samples.len();
        samples.dedup_by(|b, a| b.t == a.t);
        if samples.len() < before {
            issues.push(TraceIssue::Duplicates(before - samples.len()));
        }
        if samples.len() < 2 {
            return Err(TraceError::TooFewSamples(samples.len()));
        }
        let mut gaps: Vec<f64> = samples.windows(2).map(|w| w[1].t - w[0].t).collect();
        gaps.sort_by(f64::total_cmp);
        let period = gaps[gaps.len() / 2];
        for w in samples.windows(2) {
            let dt = w[1].t - w[0].t;
            if dt > 4.0 * period {
                issues.push(TraceIssue::Gap {
                    at: w[0].t,
                    length: dt,
                });
            }
        }
        Ok(Trace {
            samples,
            period,
            issues,
        })
    }

    /// The cleaned samples.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Power at `t` by linear interpolation (inside the trace).
    fn at(&self, t: f64) -> f64 {
        let i = self.samples.partition_point(|s| s.t <= t);
        if i == 0 {
            return self.samples[0].watts;
        }
        if i == self.samples.len() {
            return self.samples[i - 1].watts;
        }
        let (a, b) = (self.samples[i - 1], self.samples[i]);
        a.watts + (b.watts - a.watts) * (t - a.t) / (b.t - a.t)
    }
}

/// Energy of one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Joules.
    pub joules: f64,
    /// Mean power over the window, watts.
    pub avg_watts: f64,
    /// Bound on the error from sampling, joules: for each sample interval the signal
    /// is assumed to stay between its two end samples, so the trapezoid is off by at most
    /// |Δp|·Δt/2 there; summed over the window.
    pub bound: f64,
    /// Samples strictly inside the window.
    pub samples: usize,
}

/// Integrate `trace` over `w` (trapezoid; linear interpolation at the edges).
pub fn integrate(trace: &Trace, w: Window) -> Result<Estimate, TraceError> {
    // Written to also reject NaN bounds (which compare false either way).
    if w.end.partial_cmp(&w.start) != Some(std::cmp::Ordering::Greater) {
        return Err(TraceError::BadWindow {
            start: w.start,
            end: w.end,
        });
    }
    let s = &trace.samples;
    let (first, last) = (s[0].t, s[s.len() - 1].t);
    if w.start < first || w.end > last {
        return Err(TraceError::NotCovered {
            start: w.start,
            end: w.end,
            first,
            last,
        });
    }
    // Points: the window start, every sample inside, the window end.
    let lo = s.partition_point(|p| p.t <= w.start);
    let hi = s.partition_point(|p| p.t < w.end);
    let mut pts = Vec::with_capacity(hi.saturating_sub(lo) + 2);
    pts.push(Sample {
        t: w.start,
        watts: trace.at(w.start),
    });
    pts.extend_from_slice(&s[lo..hi]);
    pts.push(Sample {
        t: w.end,
        watts: trace.at(w.end),
    });
    let (mut joules, mut bound) = (0.0, 0.0);
    for p in pts.windows(2) {
        let dt = p[1].t - p[0].t;
        joules += 0.5 * (p[0].watts + p[1].watts) * dt;
        bound += 0.5 * (p[1].watts - p[0].watts).abs() * dt;
    }
    Ok(Estimate {
        joules,
        avg_watts: joules / (w.end - w.start),
        bound,
        samples: hi.saturating_sub(lo),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(n: usize, dt: f64, f: impl Fn(f64) -> f64) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                t: i as f64 * dt,
                watts: f(i as f64 * dt),
            })
            .collect()
    }

    #[test]
    fn constant_power_is_exact() {
        let tr = Trace::new(uniform(1001, 1e-5, |_| 0.010)).unwrap();
        let e = integrate(
            &tr,
            Window {
                start: 0.00123,
                end: 0.00523,
            },
        )
        .unwrap();
        assert!((e.joules - 0.010 * 0.004).abs() < 1e-15, "{e:?}");
        assert_eq!(e.bound, 0.0);
        assert!((e.avg_watts - 0.010).abs() < 1e-12);
    }

    #[test]
    fn step_inside_a_window_is_within_the_bound() {
        // 1 mW until 5 ms, then 3 mW; window 2..8 ms: analytic 3e-6 + 9e-6 J.
        let tr = Trace::new(uniform(1001, 1e-5, |t| if t < 0.005 { 1e-3 } else { 3e-3 })).unwrap();
        let e = integrate(
            &tr,
            Window {
                start: 0.002,
                end: 0.008,
            },
        )
        .unwrap();
        let truth = 1e-3 * 0.003 + 3e-3 * 0.003;
        assert!(
            (e.joules - truth).abs() <= e.bound + 1e-18,
            "{e:?} vs {truth}"
        );
        assert!(
            e.bound > 0.0 && e.bound <= 2e-3 * 1e-5 / 2.0 + 1e-18,
            "{e:?}"
        );
    }

    #[test]
    fn pulse_exactly_at_a_window_edge() {
        // A 5 mW pulse from 4 ms to 6 ms on 0 W; window ends at 4 ms, where the pulse
        // starts: the analytic energy inside is 0, and the estimate is within its bound.
        let tr = Trace::new(uniform(1001, 1e-5, |t| {
            if (0.004..0.006).contains(&t) {
                5e-3
            } else {
                0.0
            }
        }))
        .unwrap();
        let before = integrate(
            &tr,
            Window {
                start: 0.001,
                end: 0.004,
            },
        )
        .unwrap();
        assert!(before.joules.abs() <= before.bound + 1e-18, "{before:?}");
        let during = integrate(
            &tr,
            Window {
                start: 0.004,
                end: 0.006,
            },
        )
        .unwrap();
        assert!(
            (during.joules - 5e-3 * 0.002).abs() <= during.bound + 1e-18,
            "{during:?}"
        );
    }

    #[test]
    fn late_duplicate_and_gappy_samples_are_repaired_and_reported() {
        let mut s = uniform(100, 1e-3, |_| 1.0);
        s.swap(10, 11); // one late sample
        s.insert(
            51,
            Sample {
                t: 0.050,
                watts: 1.0,
            },
        ); // a duplicate timestamp
        s.retain(|p| !(0.060..0.070).contains(&p.t)); // a 11 ms gap
        let tr = Trace::new(s).unwrap();
        assert!(
            tr.issues.contains(&TraceIssue::Reordered(1)),
            "{:?}",
            tr.issues
        );
        assert!(
            tr.issues.contains(&TraceIssue::Duplicates(1)),
            "{:?}",
            tr.issues
        );
        assert!(tr.issues.iter().any(
            |i| matches!(i, TraceIssue::Gap { length, .. } if (*length - 0.011).abs() < 1e-9)
        ));
        let e = integrate(
            &tr,
            Window {
                start: 0.0,
                end: 0.099,
            },
        )
        .unwrap();
        assert!((e.joules - 0.099).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert_eq!(
            Trace::new(vec![]).unwrap_err(),
            TraceError::TooFewSamples(0)
        );
        assert!(matches!(
            Trace::new(vec![Sample {
                t: f64::NAN,
                watts: 1.0
            }]),
            Err(TraceError::NotFinite(0))
        ));
        let tr = Trace::new(uniform(10, 1.0, |_| 1.0)).unwrap();
        assert!(matches!(
            integrate(
                &tr,
                Window {
                    start: 5.0,
                    end: 5.0
                }
            ),
            Err(TraceError::BadWindow { .. })
        ));
        assert!(matches!(
            integrate(
                &tr,
                Window {
                    start: 5.0,
                    end: 50.0
                }
            ),
            Err(TraceError::NotCovered { .. })
        ));
    }
}
