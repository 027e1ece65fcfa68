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

/// Split a real multiplier into TFLite's (Q31 multiplier, shift) pair, as TFLite's
/// `QuantizeMultiplier` does. Used by suites that give the scale as a real number.
pub fn quantize_multiplier(real: f64) -> (i32, i32) {
    if real == 0.0 {
        return (0, 0);
    }
    // frexp by hand (no libm in no_std): real = q · 2^shift with q in [0.5, 1).
    let mut q = real;
    let mut shift = 0i32;
    while q.abs() >= 1.0 {
        q /= 2.0;
        shift += 1;
    }
    while q.abs() < 0.5 {
        q *= 2.0;
        shift -= 1;
    }
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

fn round_half_away(v: f64) -> i64 {
    if v >= 0.0 {
        (v + 0.5) as i64
    } else {
        (v - 0.5) as i64
    }
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
}
