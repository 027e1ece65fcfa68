//! int8 `HARD_SWISH` (`x · relu6(x + 3) / 6`, MobileNetV3's activation) with the exact
//! integer arithmetic of TFLite's reference kernel: 16-bit fixed point, the input first
//! moved to a "high-resolution" scale (`input_scale / 128`), a "relu-ish" factor in
//! [0, 1] from the input rescaled so that real 3.0 is 32768, and the product of the two
//! rounded toward zero before the final rounding shift.
//!
//! Written here from that arithmetic (TFLite's `reference_ops::HardSwish` and its
//! `HardSwishPrepare`), not copied. [`hard_swish_reference`] runs it on every element;
//! the graph's optimized variant is a 256-entry table of [`HardSwishParams::apply`]
//! ([`crate::copy::lookup`]), which is the same function by construction.

use crate::quant::{quantize_multiplier, rounding_divide_by_pot};
use crate::KernelError;

/// The prepared quantization of one `HARD_SWISH`: zero points and two 16-bit fixed-point
/// multipliers with their power-of-two exponents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HardSwishParams {
    /// Input zero point.
    pub input_zero_point: i32,
    /// Output zero point.
    pub output_zero_point: i32,
    /// Q15 multiplier from the high-resolution input scale to the relu-ish scale (3/32768).
    pub reluish_multiplier: i16,
    /// Its exponent (a left shift when positive).
    pub reluish_exponent: i32,
    /// Q15 multiplier from the high-resolution input scale to the output scale.
    pub output_multiplier: i16,
    /// Its exponent (never positive).
    pub output_exponent: i32,
}

/// TFLite's `DownScaleInt32ToInt16Multiplier`: a Q31 multiplier rounded to Q15,
/// saturating at `i16::MAX`.
fn down_scale_to_i16(m: i32) -> i16 {
    const ROUND: i32 = 1 << 15;
    if m >= i32::MAX - ROUND {
        return i16::MAX;
    }
    ((m + ROUND) >> 16) as i16
}

/// gemmlowp's 16-bit `SaturatingRoundingDoublingHighMul`: `a·b / 2^15` rounded to
/// nearest (ties as gemmlowp: the nudge then truncation toward zero).
fn rounding_doubling_high_mul_i16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    let ab = a as i32 * b as i32;
    let nudge = if ab >= 0 { 1 << 14 } else { 1 - (1 << 14) };
    ((ab + nudge) / (1 << 15)) as i16
}

/// The same product truncated toward zero (`SaturatingDoublingHighMul`, ARM's SQDMULH):
/// TFLite uses it for the final product to cancel the rounding bias of the others.
fn doubling_high_mul_i16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((a as i32 * b as i32) / (1 << 15)) as i16
}

/// `v · 2^amount`, saturated to int16 (`amount` ≥ 0; anything past 31 saturates as 31
/// does, and 64 bits hold `i16 · 2^31`).
fn saturating_left_shift_i16(v: i16, amount: i32) -> i16 {
    let r = (v as i64) << amount.clamp(0, 31);
    r.clamp(i16::MIN as i64, i16::MAX as i64) as i16
}

impl HardSwishParams {
    /// TFLite's `HardSwishPrepare` for int8: the scale ratios are computed in single
    /// precision, as TFLite does, then split by `QuantizeMultiplier` and rounded to
    /// 16 bits. `None` when an output exponent would be positive (TFLite refuses that
    /// model: the output scale is below input scale / 128) or a scale is not a finite
    /// positive number.
    pub fn new(
        (input_scale, input_zero_point): (f32, i32),
        (output_scale, output_zero_point): (f32, i32),
    ) -> Option<HardSwishParams> {
        let ok = |s: f32| s.is_finite() && s > 0.0;
        if !ok(input_scale) || !ok(output_scale) {
            return None;
        }
        let hires_input_scale = (1.0f32 / 128.0) * input_scale;
        let reluish_scale = 3.0f32 / 32768.0;
        let (om, oe) = quantize_multiplier((hires_input_scale / output_scale) as f64);
        let (rm, re) = quantize_multiplier((hires_input_scale / reluish_scale) as f64);
        if oe > 0 || om == 0 || rm == 0 {
            return None;
        }
        Some(HardSwishParams {
            input_zero_point,
            output_zero_point,
            reluish_multiplier: down_scale_to_i16(rm),
            reluish_exponent: re,
            output_multiplier: down_scale_to_i16(om),
            output_exponent: oe,
        })
    }

    /// HARD_SWISH of one int8 value.
    pub fn apply(&self, x: i8) -> i8 {
        // |x − zero point| ≤ 255, so ·128 fits 16 bits.
        let hires = ((x as i32 - self.input_zero_point) * 128) as i16;
        let preshift_out = rounding_doubling_high_mul_i16(hires, self.output_multiplier);
        // The input on the relu-ish scale (real 3.0 ↔ 32768), saturated to [−1, 1) in
        // Q15. A left shift saturates one bit early so the last bit decides.
        let mut reluish = hires;
        if self.reluish_exponent > 0 {
            reluish = saturating_left_shift_i16(reluish, self.reluish_exponent - 1);
        }
        reluish = rounding_doubling_high_mul_i16(reluish, self.reluish_multiplier);
        if self.reluish_exponent > 0 {
            reluish = saturating_left_shift_i16(reluish, 1);
        }
        if self.reluish_exponent < 0 {
            let e = (-self.reluish_exponent).min(31);
            reluish = rounding_divide_by_pot(reluish as i32, e) as i16;
        }
        // [−1, 1] → [0, 1] in Q15.
        let factor = ((reluish as i32 + (1 << 15)) >> 1) as i16;
        let product = doubling_high_mul_i16(factor, preshift_out);
        let e = (-self.output_exponent).min(31);
        let out = rounding_divide_by_pot(product as i32, e) + self.output_zero_point;
        out.clamp(-128, 127) as i8
    }
}

/// HARD_SWISH over `input` into `output` (its first `input.len()` elements).
pub fn hard_swish_reference(
    p: &HardSwishParams,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    if input.is_empty() {
        return Err(KernelError::BadShape);
    }
    let out = output
        .get_mut(..input.len())
        .ok_or(KernelError::BufferTooSmall)?;
    for (y, &x) in out.iter_mut().zip(input) {
        *y = p.apply(x);
    }
    Ok(())
}

/// The 256-entry table of `p` (entry `i` is the output for input `i − 128`): the
/// optimized variant's [`crate::copy::lookup`] table.
pub fn hard_swish_table(p: &HardSwishParams) -> [i8; 256] {
    core::array::from_fn(|i| p.apply((i as i32 - 128) as i8))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The float function, for comparing at a scale where rounding is small.
    fn real(x: f32) -> f32 {
        x * (x + 3.0).clamp(0.0, 6.0) / 6.0
    }

    #[test]
    fn follows_the_float_function_within_one_step() {
        // Input −8..8 in steps of 1/16, output −0.5..12 in steps of ~1/20.
        let p = HardSwishParams::new((1.0 / 16.0, 0), (0.05, -118)).unwrap();
        for q in -128..=127i32 {
            let want = real(q as f32 / 16.0) / 0.05 - 118.0;
            let got = p.apply(q as i8) as f32;
            assert!(
                (got - want.clamp(-128.0, 127.0)).abs() <= 1.0,
                "x = {q}: {got} vs {want}"
            );
        }
        // Below −3 the output is exactly zero (its zero point); above +3 it is x.
        assert_eq!(p.apply(-60), -118);
        assert_eq!(p.apply(64), (4.0f32 / 0.05 - 118.0).round() as i8);
        // A small input scale: the relu-ish factor is a right shift (negative exponent).
        let p = HardSwishParams::new((0.002, 3), (0.001, -20)).unwrap();
        assert!(p.reluish_exponent < 0);
        for q in -128..=127i32 {
            let want = real((q - 3) as f32 * 0.002) / 0.001 - 20.0;
            let got = p.apply(q as i8) as f32;
            let want = want.clamp(-128.0, 127.0);
            assert!((got - want).abs() <= 1.0, "x = {q}: {got} vs {want}");
        }
    }

    #[test]
    fn known_values() {
        // Scale 0.1 in and out, zero points 0: 0 → 0, 1.0 → 1·4/6 = 0.667 → 7 (6.67),
        // −1.0 → −1·2/6 = −0.333 → −3, 5.0 → 5.0, −5.0 → 0.
        let p = HardSwishParams::new((0.1, 0), (0.1, 0)).unwrap();
        let got: Vec<i8> = [0i8, 10, -10, 50, -50]
            .iter()
            .map(|&x| p.apply(x))
            .collect();
        assert_eq!(got, [0, 7, -3, 50, 0]);
    }

    #[test]
    fn table_equals_the_kernel_and_bad_scales_are_refused() {
        let p = HardSwishParams::new((0.2, 5), (0.03, -100)).unwrap();
        let x: [i8; 256] = core::array::from_fn(|i| (i as i32 - 128) as i8);
        let mut y = [0i8; 256];
        hard_swish_reference(&p, &x, &mut y).unwrap();
        assert_eq!(y, hard_swish_table(&p));
        assert_eq!(HardSwishParams::new((0.1, 0), (f32::NAN, 0)), None);
        // Output scale below input scale / 128: a positive output exponent.
        assert_eq!(HardSwishParams::new((1.0, 0), (0.001, 0)), None);
        let mut short = [0i8; 2];
        assert_eq!(
            hard_swish_reference(&p, &x[..3], &mut short),
            Err(KernelError::BufferTooSmall)
        );
    }
}
