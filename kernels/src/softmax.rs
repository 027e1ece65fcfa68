//! Softmax, int8 in and int8 out, with TFLite's fixed-point arithmetic (the int8 path of
//! TFLite's reference `Softmax`): differences from the row maximum are scaled to Q5.26,
//! exponentiated with gemmlowp's `exp_on_negative_values`, summed in Q12.19, and divided
//! with `GetReciprocal`. The output is quantized with scale 1/256 and zero point −128, as
//! TFLite requires for int8 softmax.

use crate::quant::{
    exp_on_negative_values_q5_26, get_reciprocal,
    multiply_by_quantized_multiplier_greater_than_one, quantize_multiplier_greater_than_one,
    rounding_divide_by_pot,
};
use crate::window::mul;
use crate::KernelError;

/// Integer bits of the scaled differences (TFLite's `kScaledDiffIntegerBits`).
pub const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// Integer bits of the sum of exponentials (TFLite's `kAccumulationIntegerBits`).
const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// Most classes per row: beyond 511 equal logits the final `RoundingDivideByPOT` exponent
/// (`num_bits_over_unit + 23`) would exceed 31, which TFLite leaves undefined.
pub const MAX_DEPTH: usize = 256;

/// TFLite's softmax operator data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SoftmaxParams {
    /// Q31 multiplier of `beta · input_scale · 2^26`.
    pub input_multiplier: i32,
    /// Its left shift.
    pub input_left_shift: i32,
    /// Differences below this (in input units) contribute exp ≈ 0 and output −128.
    pub diff_min: i32,
}

impl SoftmaxParams {
    /// TFLite's `PreprocessSoftmaxScaling` and `CalculateInputRadius` for an input scale
    /// and `beta` (1.0 for a plain softmax).
    pub fn new(input_scale: f64, beta: f64) -> SoftmaxParams {
        let max_real = (i32::MAX) as f64;
        let real =
            (beta * input_scale * (1u64 << (31 - SCALED_DIFF_INTEGER_BITS)) as f64).min(max_real);
        let (input_multiplier, input_left_shift) = quantize_multiplier_greater_than_one(real);
        let max_input_rescaled = ((1i64 << SCALED_DIFF_INTEGER_BITS) - 1) as f64
            * (1i64 << (31 - SCALED_DIFF_INTEGER_BITS)) as f64
            / (1i64 << input_left_shift) as f64;
        // floor() by hand (no libm in no_std); the value is positive.
        let radius = max_input_rescaled as i64 as i32;
        SoftmaxParams {
            input_multiplier,
            input_left_shift,
            diff_min: -radius,
        }
    }
}

/// Shape: `rows` independent softmaxes over `depth` classes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SoftmaxShape {
    /// Independent rows.
    pub rows: usize,
    /// Classes per row.
    pub depth: usize,
}

impl SoftmaxShape {
    /// Elements of the input (and output).
    pub fn len(&self) -> usize {
        self.rows * self.depth
    }
    /// True when the shape has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Exponentials one call evaluates (reported in the MACs column).
    pub fn macs(&self) -> u64 {
        self.rows as u64 * self.depth as u64
    }
}

/// Scratch softmax needs: none.
pub fn softmax_scratch_size(_shape: &SoftmaxShape) -> usize {
    0
}

/// int8 softmax, TFLite's reference arithmetic.
#[inline(never)]
pub fn softmax(
    p: &SoftmaxParams,
    shape: &SoftmaxShape,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    if shape.rows == 0 || shape.depth == 0 || shape.depth > MAX_DEPTH {
        return Err(KernelError::BadShape);
    }
    if !(0..=30).contains(&p.input_left_shift) {
        return Err(KernelError::BadParams);
    }
    let n = mul(shape.rows, shape.depth)?;
    if input.len() < n || output.len() < n {
        return Err(KernelError::BufferTooSmall);
    }
    let scaled = |diff: i32| {
        multiply_by_quantized_multiplier_greater_than_one(
            diff,
            p.input_multiplier,
            p.input_left_shift,
        )
    };
    for (x, y) in input[..n]
        .chunks_exact(shape.depth)
        .zip(output[..n].chunks_exact_mut(shape.depth))
    {
        let max = x.iter().copied().max().unwrap_or(i8::MIN) as i32;
        let mut sum_of_exps = 0i32; // Q12.19
        for &v in x {
            let diff = v as i32 - max;
            if diff >= p.diff_min {
                let e = exp_on_negative_values_q5_26(scaled(diff));
                // Q0.31 → Q12.19.
                sum_of_exps =
                    sum_of_exps.wrapping_add(rounding_divide_by_pot(e, ACCUMULATION_INTEGER_BITS));
            }
        }
        let (shifted_scale, num_bits_over_unit) =
            get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
        for (&v, out) in x.iter().zip(y.iter_mut()) {
            let diff = v as i32 - max;
            *out = if diff >= p.diff_min {
                let e = exp_on_negative_values_q5_26(scaled(diff));
                let prod = crate::quant::saturating_rounding_doubling_high_mul(shifted_scale, e);
                let unsat = rounding_divide_by_pot(prod, num_bits_over_unit + 31 - 8);
                (unsat - 128).clamp(-128, 127) as i8
            } else {
                -128
            };
        }
    }
    Ok(())
}
