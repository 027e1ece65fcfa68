//! Summary statistics over raw samples. A leaf module: it imports nothing else of the
//! crate, so analysis can use it and it never depends on the schema.

/// Min, median and max of a sample set, with the count of samples.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Smallest sample.
    pub min: u64,
    /// Median (the mean of the two middle samples for an even count, rounded down).
    pub median: u64,
    /// Largest sample.
    pub max: u64,
    /// Number of samples.
    pub n: usize,
}

/// Summarise `samples`; `None` when there are none.
pub fn summarize(samples: &[u64]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_unstable();
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        // Average of the middle pair without overflow.
        let (a, b) = (s[n / 2 - 1], s[n / 2]);
        a / 2 + b / 2 + (a % 2 + b % 2) / 2
    };
    Some(Summary {
        min: s[0],
        median,
        max: s[n - 1],
        n,
    })
}

/// Median of an already sorted, non-empty slice (mean of the middle pair, as `f64`).
fn sorted_median(s: &[u64]) -> f64 {
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2] as f64
    } else {
        (s[n / 2 - 1] as f64 + s[n / 2] as f64) / 2.0
    }
}

/// A relative change of the median with its bootstrap confidence interval, as fractions
/// (`0.05` = 5 % more counts in `head` than in `base`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChangeEstimate {
    /// `median(head) / median(base) - 1` on the observed samples.
    pub point: f64,
    /// Lower end of the confidence interval.
    pub lower: f64,
    /// Upper end of the confidence interval.
    pub upper: f64,
}

/// SplitMix64: a tiny, fixed pseudo-random generator. Written here rather than taken from
/// `rand` because a comparison must give the same interval for the same samples on every
/// machine and every tinybench version, and `rand` does not promise value stability.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        // Modulo bias is < n / 2^64: irrelevant for sample counts.
        (self.next() % n as u64) as usize
    }
}

/// Percentile bootstrap of the relative change of the median from `base` to `head`:
/// resample both sets with replacement `resamples` times, take the ratio of the resampled
/// medians, and return the central `confidence` interval of those ratios. Seeded, so the
/// same inputs give the same interval. `None` when either set is empty or `base` has a
/// zero median.
pub fn bootstrap_median_change(
    base: &[u64],
    head: &[u64],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Option<ChangeEstimate> {
    if base.is_empty() || head.is_empty() || resamples == 0 {
        return None;
    }
    let mut b_sorted = base.to_vec();
    b_sorted.sort_unstable();
    let mut h_sorted = head.to_vec();
    h_sorted.sort_unstable();
    let b_med = sorted_median(&b_sorted);
    if b_med == 0.0 {
        return None;
    }
    let point = sorted_median(&h_sorted) / b_med - 1.0;
    let mut rng = SplitMix64(seed);
    let mut ratios = Vec::with_capacity(resamples);
    let (mut rb, mut rh) = (vec![0u64; base.len()], vec![0u64; head.len()]);
    for _ in 0..resamples {
        for x in rb.iter_mut() {
            *x = base[rng.below(base.len())];
        }
        for x in rh.iter_mut() {
            *x = head[rng.below(head.len())];
        }
        rb.sort_unstable();
        rh.sort_unstable();
        let mb = sorted_median(&rb);
        if mb > 0.0 {
            ratios.push(sorted_median(&rh) / mb - 1.0);
        }
    }
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let alpha = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    let last = ratios.len() - 1;
    let at = |q: f64| ratios[((q * last as f64).round() as usize).min(last)];
    Some(ChangeEstimate {
        point,
        lower: at(alpha),
        upper: at(1.0 - alpha),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_is_tight_for_identical_and_clear_for_shifted_samples() {
        let same = [100, 100, 100, 100, 100];
        let e = bootstrap_median_change(&same, &same, 1000, 0.95, 7).unwrap();
        assert_eq!((e.point, e.lower, e.upper), (0.0, 0.0, 0.0));
        let base = [1000, 1003, 998, 1001, 1000, 1002, 999, 1000, 1001];
        let head: Vec<u64> = base.iter().map(|x| x + 100).collect();
        let e = bootstrap_median_change(&base, &head, 2000, 0.95, 7).unwrap();
        assert!((e.point - 0.1).abs() < 1e-9, "{e:?}");
        assert!(e.lower > 0.09 && e.upper < 0.11, "{e:?}");
        // Seeded: the same inputs give the same interval.
        assert_eq!(
            e,
            bootstrap_median_change(&base, &head, 2000, 0.95, 7).unwrap()
        );
        assert!(bootstrap_median_change(&[], &head, 10, 0.95, 1).is_none());
        assert!(bootstrap_median_change(&[0, 0], &head, 10, 0.95, 1).is_none());
    }

    #[test]
    fn bootstrap_interval_straddles_zero_for_noise() {
        let base = [100, 140, 90, 130, 95, 120, 105, 135, 98, 110];
        let head = [102, 138, 92, 128, 97, 118, 107, 133, 96, 112];
        let e = bootstrap_median_change(&base, &head, 2000, 0.95, 3).unwrap();
        assert!(e.lower < 0.0 && e.upper > 0.0, "{e:?}");
    }

    #[test]
    fn odd_and_even_medians() {
        assert_eq!(
            summarize(&[5, 1, 3]).unwrap(),
            Summary {
                min: 1,
                median: 3,
                max: 5,
                n: 3
            }
        );
        assert_eq!(summarize(&[4, 1, 3, 10]).unwrap().median, 3);
        assert_eq!(summarize(&[u64::MAX, u64::MAX]).unwrap().median, u64::MAX);
        assert!(summarize(&[]).is_none());
    }
}
