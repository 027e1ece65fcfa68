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

#[cfg(test)]
mod tests {
    use super::*;

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
