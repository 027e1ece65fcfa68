//! Requantization of the optimized conv and depthwise kernels: TFLite's two-step
//! `MultiplyByQuantizedMultiplier` (rounding doubling high multiply, then rounding divide
//! by a power of two) folded into one 64-bit multiply-add and one shift, exactly.
//!
//! Derivation (all divisions are floors unless said otherwise). With `P = x·m`:
//!
//! 1. gemmlowp's `SaturatingRoundingDoublingHighMul` is `(P + nudge) / 2^31` truncated
//!    toward zero, `nudge = 2^30` when `P ≥ 0`, `1 − 2^30` otherwise. For `P < 0`,
//!    `trunc((P + 1 − 2^30) / 2^31) = floor((P + 2^30) / 2^31)`, so in both cases
//!    `y = floor((P + 2^30) / 2^31)` (round half up), except for `x = m = i32::MIN`.
//! 2. `RoundingDivideByPOT(y, r)` for `r ≥ 1` is `floor((y + 2^(r−1) − [y < 0]) / 2^r)`
//!    (ties away from zero).
//! 3. `floor((floor(a / b) + c) / d) = floor((a + c·b) / (b·d))` for integers, so the
//!    result is `floor((P + 2^30 + 2^(30+r) − [y < 0]·2^31) / 2^(31+r))`.
//! 4. For `m > 2^30`, `y < 0` exactly when `x < 0`: `x < 0` gives `P ≤ −m < −2^30`, and
//!    `x ≥ 0` gives `P ≥ 0`. So the sign test needs no product.
//!
//! Step 4 is why the fast form needs `m > 2^30`, and steps 2–3 why it needs a right shift
//! (`shift ≤ −1`). Those hold for every conv/depthwise layer of the MLPerf Tiny models;
//! a layer with any other channel runs the reference kernel ([`Requant::fast_for`]).
//! `x` is the accumulator plus bias, so `|P| < 2^62` and nothing overflows in 64 bits.

/// One output channel's requantization, precomputed from (multiplier, shift).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Requant {
    /// Q31 multiplier, `> 2^30`.
    mult: i32,
    /// `2^30 + 2^(30+r)`, the two rounding terms of step 3 for `x ≥ 0`.
    k: i64,
    /// `r − 1`: the final shift of the high word (`31 + r − 32`).
    hi_shift: u32,
}

impl Requant {
    /// Whether (multiplier, shift) has the fast form (see the module docs). A multiplier
    /// of 0 with a right shift fits too: its fast form is 0 for every `x`
    /// (`(2^30 + 2^(30+r) − [x < 0]·2^31) < 2^(31+r)`), as the reference gives. TFLite
    /// gives a channel whose real multiplier underflows 2^-32 (a filter of all but zero
    /// weights) the pair (0, 0); the model importer stores such a channel as (0, −1)
    /// (`harness/model` `per_channel`), so that one dead filter does not send its whole
    /// layer to the reference kernel (it did, on six of VWW's pointwise layers).
    #[inline(always)]
    pub(crate) fn fits(mult: i32, shift: i32) -> bool {
        (mult == 0 || mult > 1 << 30) && (-31..=-1).contains(&shift)
    }

    /// Whether every one of the first `n` channels of `(multipliers, shifts)` fits.
    /// Kernels call this once per call and run their reference when it is false.
    pub(crate) fn fast_for(multipliers: &[i32], shifts: &[i32], n: usize) -> bool {
        multipliers[..n]
            .iter()
            .zip(&shifts[..n])
            .all(|(&m, &s)| Requant::fits(m, s))
    }

    /// Precompute a channel that [`Requant::fits`].
    #[inline(always)]
    pub(crate) fn new(mult: i32, shift: i32) -> Requant {
        debug_assert!(Requant::fits(mult, shift));
        let r = (-shift) as u32;
        // `2^30 + 2^(30+r)` built from its two words: a 64-bit variable shift is a dozen
        // branchy instructions on 32-bit cores, and kernels build one per channel.
        let k = if r == 1 {
            3i64 << 30
        } else {
            (((1u32 << (r - 2)) as i64) << 32) | (1i64 << 30)
        };
        Requant {
            mult,
            k,
            hi_shift: r - 1,
        }
    }

    /// `multiply_by_quantized_multiplier(x, mult, shift)`, bit for bit.
    #[inline(always)]
    pub(crate) fn apply(&self, x: i32) -> i32 {
        // `[x < 0] · −2^31` as a 64-bit term: high word −1 or 0, low word its top bit.
        let neg = ((x >> 31) as i64) << 31;
        let v = (x as i64) * (self.mult as i64) + self.k + neg;
        ((v >> 32) as i32) >> self.hi_shift
    }

    /// [`Requant::apply`], then the output offset and the activation clamp, as int8.
    #[inline(always)]
    pub(crate) fn requantize(&self, x: i32, offset: i32, lo: i32, hi: i32) -> i8 {
        self.apply(x).wrapping_add(offset).clamp(lo, hi) as i8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::multiply_by_quantized_multiplier;
    use crate::rng::Rng;

    #[test]
    fn fast_form_equals_the_two_rounding_steps() {
        let mut rng = Rng::new(5);
        let special = [
            0,
            1,
            -1,
            2,
            -2,
            i32::MAX,
            i32::MIN,
            i32::MIN + 1,
            1 << 30,
            -(1 << 30),
        ];
        for shift in -31..=-1 {
            for _ in 0..2000 {
                let m = ((1u32 << 30) | (rng.next_u32() >> 2)).max((1 << 30) + 1) as i32;
                let q = Requant::new(m, shift);
                let mut xs = special.to_vec();
                // Exact ties of both rounding steps, and random values of every magnitude.
                let r = -shift;
                let tie = 1i64 << (r - 1);
                xs.extend([
                    tie as i32,
                    -(tie as i32),
                    (3 * tie) as i32,
                    -(3 * tie) as i32,
                ]);
                let v = rng.next_u32() as i32;
                xs.extend([v, v >> (rng.next_u32() % 31), v >> 20]);
                for x in xs {
                    assert_eq!(
                        q.apply(x),
                        multiply_by_quantized_multiplier(x, m, shift),
                        "x {x} m {m} shift {shift}"
                    );
                }
            }
        }
    }

    /// A zero multiplier with any right shift (the importer's (0, −1) for TFLite's
    /// underflowing (0, 0)): always 0, as the two-step reference gives.
    #[test]
    fn a_zero_multiplier_fits_and_gives_zero() {
        let mut rng = Rng::new(7);
        assert!(
            !Requant::fits(0, 0),
            "TFLite's own pair keeps the reference"
        );
        for shift in [-1, -17, -31] {
            assert!(Requant::fits(0, shift));
            let q = Requant::new(0, shift);
            let mut xs = vec![0, 1, -1, i32::MAX, i32::MIN, i32::MIN + 1];
            xs.extend((0..2000).map(|_| rng.next_u32() as i32));
            for x in xs {
                assert_eq!(q.apply(x), 0, "x {x} shift {shift}");
                assert_eq!(multiply_by_quantized_multiplier(x, 0, shift), 0);
                assert_eq!(multiply_by_quantized_multiplier(x, 0, 0), 0);
            }
        }
    }

    #[test]
    fn only_right_shifts_with_large_multipliers_fit() {
        assert!(Requant::fits((1 << 30) + 1, -1));
        assert!(Requant::fits(i32::MAX, -31));
        assert!(!Requant::fits(1 << 30, -5));
        assert!(!Requant::fits(i32::MAX, 0));
        assert!(!Requant::fits(i32::MAX, -32));
        assert!(!Requant::fits(-5, -3));
    }
}
