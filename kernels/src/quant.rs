//! Fixed-point helpers with TFLite's exact rounding (gemmlowp semantics).
//!
//! Written from the arithmetic definitions: a real multiplier `M` in (0, 1) is stored as a
//! Q31 `multiplier` in [2^30, 2^31) and a power-of-two `shift` so that
//! `M ≈ multiplier · 2^(shift − 31)`.

/// `a·b / 2^31` rounded to nearest as gemmlowp does (a positive tie rounds up, a negative
/// tie rounds toward zero: −1.5 → −1), saturating the one overflow case
/// (`i32::MIN · i32::MIN`).
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = (a as i64) * (b as i64);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Division (not a shift) truncates toward zero; with the nudge above this is
    // gemmlowp's rounding exactly, asymmetric ties included.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `x / 2^exponent` rounded half away from zero (gemmlowp's `RoundingDivideByPOT`).
/// `exponent` must be in 0..=31.
#[inline(always)]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    debug_assert!((0..=31).contains(&exponent));
    let mask: i32 = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// TFLite's `MultiplyByQuantizedMultiplier`: `x · multiplier · 2^(shift − 31)`, rounded.
/// A positive `shift` scales up before the high multiply, a negative one divides after.
#[inline(always)]
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = if shift > 0 { shift } else { 0 };
    let right = if shift > 0 { 0 } else { -shift };
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x.wrapping_mul(1 << left), multiplier),
        right,
    )
}

/// `x · multiplier · 2^(shift − 31)` rounded once, half up, in 64 bits: TFLite's 64-bit
/// `MultiplyByQuantizedMultiplier` overload, which LiteRT's fully-connected kernel uses.
///
/// Measured, not assumed: on ad01's fully-connected layers 1,152 of 167,200 outputs
/// (100 random inputs) fall on a tie where this and [`multiply_by_quantized_multiplier`]
/// differ by one, and LiteRT's reference kernels (PyPI `ai-edge-litert` 2.3) agreed with
/// this form on every one; its convolutions agree with the two-step form.
#[inline(always)]
pub fn multiply_by_quantized_multiplier_single_rounding(
    x: i32,
    multiplier: i32,
    shift: i32,
) -> i32 {
    let total_shift = 31 - shift;
    debug_assert!((1..=62).contains(&total_shift));
    let round = 1i64 << (total_shift - 1);
    // Truncation to 32 bits as TFLite's `static_cast<int32_t>` (it DCHECKs the range).
    ((x as i64 * multiplier as i64 + round) >> total_shift) as i32
}

/// [`multiply_by_quantized_multiplier_single_rounding`] of a 64-bit accumulator: what
/// LiteRT's 16x8 fully-connected reference kernel computes (measured: on the corpus's
/// 16x8 Dense layers 5 of 45 outputs differ from the reduced-multiplier form of
/// [`multiply_by_quantized_multiplier_64`], which its convolutions use, and LiteRT
/// (PyPI `ai-edge-litert` 2.3) agreed with this form on every one). The product wraps
/// in 64 bits as C's does; it cannot for accumulators below 2^32.
#[inline(always)]
pub fn multiply_by_quantized_multiplier_single_rounding_64(
    x: i64,
    multiplier: i32,
    shift: i32,
) -> i32 {
    let total_shift = 31 - shift;
    debug_assert!((1..=62).contains(&total_shift));
    let round = 1i64 << (total_shift - 1);
    (x.wrapping_mul(multiplier as i64).wrapping_add(round) >> total_shift) as i32
}

/// TFLite's `MultiplyByQuantizedMultiplier` for a 64-bit accumulator (its int64
/// overload, which LiteRT's 16x8 convolutions use): the Q31 multiplier is first rounded to a Q15 one (`(m + 2^15) >> 16`,
/// saturated at `0x7FFF`), then `x · m15 · 2^(shift − 15)` is rounded once, half up.
/// `shift` must be in −31..=7 (LiteRT's range for it; the 16x8 kernels refuse others).
#[inline(always)]
pub fn multiply_by_quantized_multiplier_64(x: i64, multiplier: i32, shift: i32) -> i32 {
    debug_assert!((-31..=7).contains(&shift));
    let reduced = if multiplier < 0x7FFF_0000 {
        (multiplier + (1 << 15)) >> 16
    } else {
        0x7FFF
    };
    let total_shift = 15 - shift;
    let round = 1i64 << (total_shift - 1);
    // Truncation to 32 bits as TFLite's `static_cast<int32_t>` (it DCHECKs the range).
    (x.wrapping_mul(reduced as i64).wrapping_add(round) >> total_shift) as i32
}

/// Why a real multiplier has no (Q31 multiplier, shift) form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MultiplierError {
    /// NaN or ±infinity (a scale of 0 or `inf` somewhere in the ratio).
    NotFinite(f64),
    /// Zero or negative: quantization scales, and so their ratios, are positive.
    NotPositive(f64),
}

impl core::fmt::Display for MultiplierError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MultiplierError::NotFinite(v) => write!(f, "multiplier {v} is not finite"),
            MultiplierError::NotPositive(v) => write!(f, "multiplier {v} is not positive"),
        }
    }
}

/// `frexp` for a finite, non-zero `v`: `v = q · 2^e` with `|q|` in [0.5, 1). Read from the
/// IEEE-754 bits (no libm in `no_std`), so it is total: no loop that a huge or tiny value
/// could keep spinning (the old halving loop never ended on `inf`).
fn frexp(v: f64) -> (f64, i32) {
    const EXP_MASK: u64 = 0x7ff << 52;
    let bits = v.to_bits();
    let exp = ((bits & EXP_MASK) >> 52) as i32;
    if exp == 0 {
        // Subnormal: 2^64 times it is normal; one step, never a loop.
        let (q, e) = frexp(v * 18_446_744_073_709_551_616.0);
        return (q, e - 64);
    }
    let q = f64::from_bits((bits & !EXP_MASK) | (1022 << 52));
    (q, exp - 1022)
}

/// Split a real multiplier into TFLite's (Q31 multiplier, shift) pair, as TFLite's
/// `QuantizeMultiplier` does. Used by suites that give the scale as a real number.
/// Total: a non-finite `real` gives `(0, 0)`; inputs read from files go through
/// [`try_quantize_multiplier`], which refuses it.
pub fn quantize_multiplier(real: f64) -> (i32, i32) {
    if real == 0.0 || !real.is_finite() {
        return (0, 0);
    }
    let (q, mut shift) = frexp(real);
    let mut q_fixed = round_half_away(q * (1i64 << 31) as f64);
    if q_fixed == (1i64 << 31) {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        return (0, 0);
    }
    (q_fixed as i32, shift)
}

/// [`quantize_multiplier`] for a multiplier that must be a finite positive real (a ratio
/// of quantization scales): an error instead of a meaningless pair.
pub fn try_quantize_multiplier(real: f64) -> Result<(i32, i32), MultiplierError> {
    if !real.is_finite() {
        return Err(MultiplierError::NotFinite(real));
    }
    if real <= 0.0 {
        return Err(MultiplierError::NotPositive(real));
    }
    Ok(quantize_multiplier(real))
}

fn round_half_away(v: f64) -> i64 {
    if v >= 0.0 {
        (v + 0.5) as i64
    } else {
        (v - 0.5) as i64
    }
}

/// gemmlowp's `SaturatingRoundingMultiplyByPOT`: `x · 2^exponent`, rounding when
/// `exponent < 0` and saturating when `exponent > 0`.
#[inline(always)]
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent <= 0 {
        return rounding_divide_by_pot(x, -exponent);
    }
    let threshold: i32 = ((1i64 << (31 - exponent)) - 1) as i32;
    if x > threshold {
        i32::MAX
    } else if x < -threshold {
        i32::MIN
    } else {
        x << exponent
    }
}

/// gemmlowp's `RoundingHalfSum`: `(a + b) / 2`, rounded half away from zero.
#[inline(always)]
pub fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = a as i64 + b as i64;
    let sign: i64 = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i32
}

/// TFLite's `MultiplyByQuantizedMultiplierGreaterThanOne` (softmax input scaling):
/// `x · 2^left_shift` then the rounding doubling high multiply.
#[inline(always)]
pub fn multiply_by_quantized_multiplier_greater_than_one(
    x: i32,
    multiplier: i32,
    left_shift: i32,
) -> i32 {
    saturating_rounding_doubling_high_mul(x.wrapping_mul(1 << left_shift), multiplier)
}

/// The Q-format multiply of gemmlowp's `FixedPoint`: raw values multiply with
/// [`saturating_rounding_doubling_high_mul`]; integer bits add.
#[inline(always)]
fn fx_mul(a: i32, b: i32) -> i32 {
    saturating_rounding_doubling_high_mul(a, b)
}

/// gemmlowp's `exp_on_interval_between_negative_one_quarter_and_0_excl`: a Q0.31 input in
/// [−1/4, 0), Q0.31 output. A fourth-order Taylor expansion around −1/8.
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    // exp(−1/8) and 1/3 in Q0.31.
    const CONSTANT_TERM: i32 = 1_895_147_668;
    const CONSTANT_1_OVER_3: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28); // a + 1/8
    let x2 = fx_mul(x, x);
    let x3 = fx_mul(x2, x);
    let x4 = fx_mul(x2, x2);
    let x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2);
    let poly = saturating_rounding_multiply_by_pot(
        fx_mul(x4_over_4.wrapping_add(x3), CONSTANT_1_OVER_3).wrapping_add(x2),
        -1,
    );
    CONSTANT_TERM.wrapping_add(fx_mul(CONSTANT_TERM, x.wrapping_add(poly)))
}

/// gemmlowp's `exp_on_negative_values` for a Q5.26 input `a ≤ 0`: returns `exp(a)` in Q0.31.
/// The input is split into a remainder in [−1/4, 0) (polynomial) and a multiple of 1/4
/// handled by multiplying in `exp(−2^k)` constants (the "barrel shifter").
pub fn exp_on_negative_values_q5_26(a: i32) -> i32 {
    const INTEGER_BITS: i32 = 5;
    const FRACTIONAL_BITS: i32 = 31 - INTEGER_BITS;
    const ONE_QUARTER: i32 = 1 << (FRACTIONAL_BITS - 2);
    let mask = ONE_QUARTER - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask).wrapping_sub(ONE_QUARTER);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, INTEGER_BITS),
    );
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    // exp(−2^k) in Q0.31 for k = −2..=4, applied when bit (26 + k) of the remainder is set.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        if INTEGER_BITS > exponent && remainder & (1 << (FRACTIONAL_BITS + exponent)) != 0 {
            result = fx_mul(result, multiplier);
        }
    }
    if a == 0 {
        i32::MAX
    } else {
        result
    }
}

/// gemmlowp's `one_over_one_plus_x_for_x_in_0_1`: `1 / (1 + x)` for a Q0.31 `x` in [0, 1),
/// Q0.31 result, by three Newton–Raphson steps from the 48/17 − 32/17·d estimate.
fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    let half_denominator = rounding_half_sum(a, i32::MAX);
    // 48/17 and −32/17 in Q2.29.
    const C48_OVER_17: i32 = 1_515_870_810;
    const CNEG32_OVER_17: i32 = -1_010_580_540;
    const ONE_Q2_29: i32 = 1 << 29;
    let mut x = C48_OVER_17.wrapping_add(fx_mul(half_denominator, CNEG32_OVER_17));
    for _ in 0..3 {
        let half_denominator_times_x = fx_mul(half_denominator, x);
        let one_minus = ONE_Q2_29.wrapping_sub(half_denominator_times_x);
        // Q2.29 · Q2.29 is Q4.27; rescale back to Q2.29.
        x = x.wrapping_add(saturating_rounding_multiply_by_pot(fx_mul(x, one_minus), 2));
    }
    // x/2 reinterpreted as Q1.30, rescaled to Q0.31.
    saturating_rounding_multiply_by_pot(x, 1)
}

/// TFLite's `GetReciprocal`: for a positive fixed-point `x` with `x_integer_digits`
/// integer bits, returns `(scale, num_bits_over_unit)` such that
/// `1/x ≈ scale · 2^−(31 + num_bits_over_unit)` with `scale` in Q0.31.
pub fn get_reciprocal(x: i32, x_integer_digits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros() as i32;
    let num_bits_over_unit = x_integer_digits - headroom_plus_one;
    let shifted_sum_minus_one =
        ((x as u32).wrapping_shl(headroom_plus_one as u32)).wrapping_sub(1u32 << 31) as i32;
    (
        one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one),
        num_bits_over_unit,
    )
}

/// TFLite's `QuantizeMultiplierGreaterThanOne`: a real `≥ 1` as (Q31 multiplier, left shift).
pub fn quantize_multiplier_greater_than_one(real: f64) -> (i32, i32) {
    quantize_multiplier(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_mul_rounds_half_away_from_zero() {
        // 2^30 · 2^30 / 2^31 = 2^29 exactly.
        assert_eq!(
            saturating_rounding_doubling_high_mul(1 << 30, 1 << 30),
            1 << 29
        );
        // 3 · 2^30 / 2^31 = 1.5 → 2 ; −1.5 → −1 (gemmlowp's asymmetric tie);
        // −1.75 → −2.
        assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
        assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
        assert_eq!(saturating_rounding_doubling_high_mul(-7, 1 << 29), -2);
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
            i32::MAX
        );
    }

    #[test]
    fn divide_by_pot_rounds_half_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(4, 1), 2);
        assert_eq!(rounding_divide_by_pot(-7, 2), -2);
        assert_eq!(rounding_divide_by_pot(6, 2), 2);
        assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
        assert_eq!(rounding_divide_by_pot(123, 0), 123);
    }

    #[test]
    fn quantize_multiplier_round_trips() {
        let (m, s) = quantize_multiplier(0.25);
        assert_eq!((m, s), (1 << 30, -1));
        let (m, s) = quantize_multiplier(0.0039215689);
        let back = m as f64 * 2f64.powi(s - 31);
        assert!((back - 0.0039215689).abs() < 1e-9, "{back}");
        assert_eq!(multiply_by_quantized_multiplier(1000, m, s), 4);
    }

    #[test]
    fn quantize_multiplier_is_total() {
        // The halving loop this replaced never ended on an infinite scale (issue 19).
        assert_eq!(quantize_multiplier(f64::INFINITY), (0, 0));
        assert_eq!(quantize_multiplier(f64::NAN), (0, 0));
        assert_eq!(
            try_quantize_multiplier(f64::INFINITY),
            Err(MultiplierError::NotFinite(f64::INFINITY))
        );
        assert!(matches!(
            try_quantize_multiplier(f64::NAN),
            Err(MultiplierError::NotFinite(_))
        ));
        assert_eq!(
            try_quantize_multiplier(0.0),
            Err(MultiplierError::NotPositive(0.0))
        );
        assert_eq!(
            try_quantize_multiplier(-0.5),
            Err(MultiplierError::NotPositive(-0.5))
        );
        // Huge, tiny and subnormal values terminate with TFLite's answers.
        assert_eq!(quantize_multiplier(f64::MAX), (1 << 30, 1025));
        assert_eq!(quantize_multiplier(1e-300), (0, 0));
        assert_eq!(quantize_multiplier(f64::MIN_POSITIVE / 4.0), (0, 0));
        assert_eq!(quantize_multiplier(1.0), (1 << 30, 1));
        assert_eq!(quantize_multiplier(-0.25), (-(1 << 30), -1));
        // Same answers as the loop it replaced on ordinary scales.
        for real in [0.0039215689, 0.75, 3.5, 1.0 / 3.0, 1e-9, 1234.5] {
            let (m, s) = quantize_multiplier(real);
            let back = m as f64 * 2f64.powi(s - 31);
            assert!((back - real).abs() <= real * 1e-9, "{real}: {back}");
            assert!((1 << 30..=i32::MAX).contains(&m), "{real}: {m}");
        }
    }
}
