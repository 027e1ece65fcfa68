//! Elementwise add and mul of two int8 tensors of the same shape, with requantization,
//! TFLite semantics (the int8 `AddElementwise` / `MulElementwise` reference loops).

use crate::quant::{multiply_by_quantized_multiplier, quantize_multiplier};
use crate::KernelError;

/// TFLite's add parameters: both inputs are brought to a common scale (twice the larger
/// input scale) with `2^left_shift` headroom, summed, and requantized to the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AddParams {
    /// `-input1_zero_point`.
    pub input1_offset: i32,
    /// `-input2_zero_point`.
    pub input2_offset: i32,
    /// Headroom shift applied to both inputs (TFLite uses 20 for int8).
    pub left_shift: i32,
    /// Q31 multiplier of `input1_scale / (2 · max_input_scale)`.
    pub input1_multiplier: i32,
    /// Its shift (≤ 0).
    pub input1_shift: i32,
    /// Q31 multiplier of `input2_scale / (2 · max_input_scale)`.
    pub input2_multiplier: i32,
    /// Its shift (≤ 0).
    pub input2_shift: i32,
    /// Q31 multiplier of `2 · max_input_scale / (2^left_shift · output_scale)`.
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Lower activation clamp.
    pub act_min: i8,
    /// Upper activation clamp.
    pub act_max: i8,
}

impl AddParams {
    /// TFLite's `PrepareGeneralSubOp`/add preparation from real scales and zero points.
    pub fn new(
        (input1_scale, input1_zero_point): (f64, i32),
        (input2_scale, input2_zero_point): (f64, i32),
        (output_scale, output_zero_point): (f64, i32),
        (act_min, act_max): (i8, i8),
    ) -> AddParams {
        let left_shift = 20;
        let twice_max = 2.0 * input1_scale.max(input2_scale);
        let (input1_multiplier, input1_shift) = quantize_multiplier(input1_scale / twice_max);
        let (input2_multiplier, input2_shift) = quantize_multiplier(input2_scale / twice_max);
        let (output_multiplier, output_shift) =
            quantize_multiplier(twice_max / ((1i64 << left_shift) as f64 * output_scale));
        AddParams {
            input1_offset: -input1_zero_point,
            input2_offset: -input2_zero_point,
            left_shift,
            input1_multiplier,
            input1_shift,
            input2_multiplier,
            input2_shift,
            output_multiplier,
            output_shift,
            output_offset: output_zero_point,
            act_min,
            act_max,
        }
    }
}

/// TFLite's mul parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MulParams {
    /// `-input1_zero_point`.
    pub input1_offset: i32,
    /// `-input2_zero_point`.
    pub input2_offset: i32,
    /// Q31 multiplier of `input1_scale · input2_scale / output_scale`.
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Lower activation clamp.
    pub act_min: i8,
    /// Upper activation clamp.
    pub act_max: i8,
}

fn check(a: usize, b: usize, out: usize, n: usize) -> Result<(), KernelError> {
    if n == 0 {
        return Err(KernelError::BadShape);
    }
    if a < n || b < n || out < n {
        return Err(KernelError::BufferTooSmall);
    }
    Ok(())
}

/// What [`add`] (and the optimized add) refuse: short buffers, `n = 0`, offsets that are
/// not negated int8 zero points, and a preparation TFLite would not make.
pub(crate) fn check_add(
    p: &AddParams,
    n: usize,
    a: &[i8],
    b: &[i8],
    output: &[i8],
) -> Result<(), KernelError> {
    check(a.len(), b.len(), output.len(), n)?;
    crate::check_input_offset(p.input1_offset)?;
    crate::check_input_offset(p.input2_offset)?;
    // Inputs are shifted up by `left_shift` into i32; 255 · 2^left_shift must fit and the
    // input multipliers must only scale down, as TFLite requires.
    if !(0..=22).contains(&p.left_shift) || p.input1_shift > 0 || p.input2_shift > 0 {
        return Err(KernelError::BadParams);
    }
    Ok(())
}

/// What [`mul`] (and the optimized mul) refuse.
pub(crate) fn check_mul(
    p: &MulParams,
    n: usize,
    a: &[i8],
    b: &[i8],
    output: &[i8],
) -> Result<(), KernelError> {
    check(a.len(), b.len(), output.len(), n)?;
    crate::check_input_offset(p.input1_offset)?;
    crate::check_input_offset(p.input2_offset)
}

/// Elementwise int8 add of `n` elements.
#[inline(never)]
pub fn add(
    p: &AddParams,
    n: usize,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    check_add(p, n, a, b, output)?;
    for ((&x1, &x2), y) in a[..n].iter().zip(&b[..n]).zip(&mut output[..n]) {
        let v1 = (x1 as i32 + p.input1_offset) << p.left_shift;
        let v2 = (x2 as i32 + p.input2_offset) << p.left_shift;
        let s1 = multiply_by_quantized_multiplier(v1, p.input1_multiplier, p.input1_shift);
        let s2 = multiply_by_quantized_multiplier(v2, p.input2_multiplier, p.input2_shift);
        let raw = multiply_by_quantized_multiplier(
            s1.wrapping_add(s2),
            p.output_multiplier,
            p.output_shift,
        )
        .wrapping_add(p.output_offset);
        *y = raw.clamp(p.act_min as i32, p.act_max as i32) as i8;
    }
    Ok(())
}

/// Elementwise int8 mul of `n` elements.
#[inline(never)]
pub fn mul(
    p: &MulParams,
    n: usize,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    check_mul(p, n, a, b, output)?;
    for ((&x1, &x2), y) in a[..n].iter().zip(&b[..n]).zip(&mut output[..n]) {
        let prod = (x1 as i32 + p.input1_offset) * (x2 as i32 + p.input2_offset);
        let raw = multiply_by_quantized_multiplier(prod, p.output_multiplier, p.output_shift)
            .wrapping_add(p.output_offset);
        *y = raw.clamp(p.act_min as i32, p.act_max as i32) as i8;
    }
    Ok(())
}
