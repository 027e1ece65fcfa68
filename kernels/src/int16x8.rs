//! 16x8 layers: int16 activations (zero point 0), int8 symmetric weights, int64 bias —
//! TFLite's 16x8 quantization mode (the converter's
//! `EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8`), which audio models use.
//!
//! Semantics of LiteRT's reference kernels for it (the int16 overloads of
//! `reference_integer_ops::FullyConnected`, `ConvPerChannel` and
//! `DepthwiseConvPerChannel`): no input or weight offsets (both zero points are 0), the
//! products summed in 64 bits, the int64 bias added, then requantized per output
//! channel and clamped to the int16 activation range. The requantization differs by op,
//! as measured against LiteRT (PyPI `ai-edge-litert` 2.3, BUILTIN_REF): the convolutions
//! use the 64-bit `MultiplyByQuantizedMultiplier` ([`multiply_by_quantized_multiplier_64`]:
//! the multiplier rounded to 16 bits, then one rounding), the fully-connected kernel the
//! full 31-bit multiplier with one rounding
//! ([`multiply_by_quantized_multiplier_single_rounding_64`]).
//!
//! Layout: activations are int16 little-endian in the arena's bytes (the `&[i8]`
//! slices every layer gets), read and written two bytes at a time, so a tensor may start
//! at any byte of an arena that itself has no alignment (the firmware carves it from a
//! pool after the layer table). The bias is int64 as two int32 words per channel, low
//! word first, because the constant blob is 4-byte aligned only. Weights, multipliers
//! and shifts are laid out as for int8 ([`crate::conv`], [`crate::depthwise`],
//! [`crate::fc`]). One implementation serves both kernel variants.

use crate::conv::ConvShape;
use crate::depthwise::DepthwiseShape;
use crate::fc::FcShape;
use crate::quant::{
    multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_64,
    multiply_by_quantized_multiplier_single_rounding_64, quantize_multiplier,
};
use crate::window::mul;
use crate::KernelError;

/// The output clamp of a 16x8 layer (its fused activation in the int16 range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Params16 {
    /// Lower activation clamp.
    pub act_min: i16,
    /// Upper activation clamp.
    pub act_max: i16,
}

/// The constants and tensors of one 16x8 layer.
pub struct Operands16<'a> {
    /// int16 input, little-endian bytes.
    pub input: &'a [i8],
    /// int8 weights.
    pub weights: &'a [i8],
    /// int64 bias: two words per output channel, low word first.
    pub bias: &'a [i32],
    /// Q31 multipliers, one per output channel.
    pub multipliers: &'a [i32],
    /// Shifts (positive: left), one per output channel, in −31..=7.
    pub shifts: &'a [i32],
    /// int16 output, little-endian bytes.
    pub output: &'a mut [i8],
}

/// Element `i` of an int16 tensor stored as little-endian bytes.
#[inline(always)]
pub fn get16(bytes: &[i8], i: usize) -> i16 {
    i16::from_le_bytes([bytes[2 * i] as u8, bytes[2 * i + 1] as u8])
}

/// Store `v` as element `i` of an int16 tensor stored as little-endian bytes.
#[inline(always)]
pub fn put16(bytes: &mut [i8], i: usize, v: i16) {
    let [lo, hi] = v.to_le_bytes();
    bytes[2 * i] = lo as i8;
    bytes[2 * i + 1] = hi as i8;
}

impl Operands16<'_> {
    /// Every buffer at least as long as the layer needs, every shift in LiteRT's range.
    fn check(
        &self,
        input: usize,
        weights: usize,
        out_c: usize,
        output: usize,
    ) -> Result<(), KernelError> {
        if input == 0 || weights == 0 || out_c == 0 || output == 0 {
            return Err(KernelError::BadShape);
        }
        if self.input.len() < mul(input, 2)?
            || self.weights.len() < weights
            || self.bias.len() < mul(out_c, 2)?
            || self.multipliers.len() < out_c
            || self.shifts.len() < out_c
            || self.output.len() < mul(output, 2)?
        {
            return Err(KernelError::BufferTooSmall);
        }
        if self.shifts[..out_c].iter().any(|s| !(-31..=7).contains(s)) {
            return Err(KernelError::BadParams);
        }
        Ok(())
    }

    /// The int64 bias of channel `c`.
    #[inline(always)]
    fn bias64(&self, c: usize) -> i64 {
        ((self.bias[2 * c + 1] as i64) << 32) | (self.bias[2 * c] as u32 as i64)
    }

    /// Bias, requantization (`fc`: the fully-connected kernel's form) and clamp of
    /// channel `c`'s accumulator; stored as element `at` of the output.
    #[inline(always)]
    fn store(&mut self, p: &Params16, at: usize, c: usize, acc: i64, fc: bool) {
        let acc = acc.wrapping_add(self.bias64(c));
        let (m, s) = (self.multipliers[c], self.shifts[c]);
        let v = if fc {
            multiply_by_quantized_multiplier_single_rounding_64(acc, m, s)
        } else {
            multiply_by_quantized_multiplier_64(acc, m, s)
        };
        put16(
            self.output,
            at,
            v.clamp(p.act_min as i32, p.act_max as i32) as i16,
        );
    }
}

/// Fully connected, 16x8 (per-channel multipliers; a per-tensor layer repeats its one).
#[inline(never)]
pub fn fully_connected_16x8(
    p: &Params16,
    shape: &FcShape,
    mut o: Operands16<'_>,
) -> Result<(), KernelError> {
    let (n_in, n_out) = (shape.in_features, shape.out_features);
    o.check(
        mul(shape.batches, n_in)?,
        mul(n_in, n_out)?,
        n_out,
        mul(shape.batches, n_out)?,
    )?;
    for b in 0..shape.batches {
        for c in 0..n_out {
            let mut acc = 0i64;
            for d in 0..n_in {
                let x = get16(o.input, b * n_in + d) as i64;
                acc += x * o.weights[c * n_in + d] as i64;
            }
            o.store(p, b * n_out + c, c, acc, true);
        }
    }
    Ok(())
}

/// 2-D convolution, 16x8: NHWC input (batch 1), OHWI weights.
#[inline(never)]
pub fn conv2d_16x8(
    p: &Params16,
    shape: &ConvShape,
    mut o: Operands16<'_>,
) -> Result<(), KernelError> {
    shape.window.check()?;
    let w = &shape.window;
    // Sizes multiplied with overflow checks (a 32-bit target must not wrap them).
    o.check(
        mul(mul(w.in_h, w.in_w)?, shape.in_c)?,
        mul(mul(shape.out_c, w.taps())?, shape.in_c)?,
        shape.out_c,
        mul(w.out_pixels(), shape.out_c)?,
    )?;
    let (in_c, out_c) = (shape.in_c, shape.out_c);
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            for oc in 0..out_c {
                let mut acc = 0i64;
                for ky in 0..w.k_h {
                    let Some(iy) = w.in_y(oy, ky) else { continue };
                    for kx in 0..w.k_w {
                        let Some(ix) = w.in_x(ox, kx) else { continue };
                        for ic in 0..in_c {
                            let x = get16(o.input, (iy * w.in_w + ix) * in_c + ic) as i64;
                            let f = o.weights[((oc * w.k_h + ky) * w.k_w + kx) * in_c + ic];
                            acc += x * f as i64;
                        }
                    }
                }
                o.store(p, (oy * w.out_w + ox) * out_c + oc, oc, acc, false);
            }
        }
    }
    Ok(())
}

/// Depthwise 2-D convolution, 16x8: NHWC input (batch 1), 1HWO weights.
#[inline(never)]
pub fn depthwise_conv2d_16x8(
    p: &Params16,
    shape: &DepthwiseShape,
    mut o: Operands16<'_>,
) -> Result<(), KernelError> {
    shape.window.check()?;
    let w = &shape.window;
    let out_c = mul(shape.in_c, shape.depth_multiplier)?;
    o.check(
        mul(mul(w.in_h, w.in_w)?, shape.in_c)?,
        mul(w.taps(), out_c)?,
        out_c,
        mul(w.out_pixels(), out_c)?,
    )?;
    let (in_c, dm) = (shape.in_c, shape.depth_multiplier);
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            for ic in 0..in_c {
                for m in 0..dm {
                    let oc = ic * dm + m;
                    let mut acc = 0i64;
                    for ky in 0..w.k_h {
                        let Some(iy) = w.in_y(oy, ky) else { continue };
                        for kx in 0..w.k_w {
                            let Some(ix) = w.in_x(ox, kx) else { continue };
                            let x = get16(o.input, (iy * w.in_w + ix) * in_c + ic) as i64;
                            acc += x * o.weights[(ky * w.k_w + kx) * out_c + oc] as i64;
                        }
                    }
                    o.store(p, (oy * w.out_w + ox) * out_c + oc, oc, acc, false);
                }
            }
        }
    }
    Ok(())
}

/// ADD of two int16 tensors of the same shape with general scales: LiteRT's int16
/// `AddElementwise` (its `pot_scale_int16 = false` path): both inputs shifted up by
/// [`Add16::LEFT_SHIFT`], each brought to twice the larger input scale, summed, then
/// requantized to the output; every step gemmlowp's two-step rounding, as for int8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Add16 {
    /// Elements.
    pub len: u32,
    /// Q31 multiplier of `input1_scale / (2 · max_input_scale)`.
    pub input1_multiplier: i32,
    /// Its shift (≤ 0).
    pub input1_shift: i32,
    /// Q31 multiplier of `input2_scale / (2 · max_input_scale)`.
    pub input2_multiplier: i32,
    /// Its shift (≤ 0).
    pub input2_shift: i32,
    /// Q31 multiplier of `2 · max_input_scale / (2^15 · output_scale)`.
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
    /// Lower activation clamp.
    pub act_min: i16,
    /// Upper activation clamp.
    pub act_max: i16,
}

impl Add16 {
    /// The headroom shift of int16 inputs (LiteRT: 15; 20 for int8).
    pub const LEFT_SHIFT: i32 = 15;

    /// LiteRT's preparation from the real scales (zero points are 0) and the clamp.
    pub fn new(len: u32, scales: (f64, f64), output_scale: f64, act: (i16, i16)) -> Add16 {
        let twice_max = 2.0 * scales.0.max(scales.1);
        let (input1_multiplier, input1_shift) = quantize_multiplier(scales.0 / twice_max);
        let (input2_multiplier, input2_shift) = quantize_multiplier(scales.1 / twice_max);
        let (output_multiplier, output_shift) =
            quantize_multiplier(twice_max / ((1i64 << Self::LEFT_SHIFT) as f64 * output_scale));
        Add16 {
            len,
            input1_multiplier,
            input1_shift,
            input2_multiplier,
            input2_shift,
            output_multiplier,
            output_shift,
            act_min: act.0,
            act_max: act.1,
        }
    }
}

/// [`Add16`] of `a` and `b` (int16, little-endian bytes) into `output`.
#[inline(never)]
pub fn add_16x8(p: &Add16, a: &[i8], b: &[i8], output: &mut [i8]) -> Result<(), KernelError> {
    let n = p.len as usize;
    if n == 0 {
        return Err(KernelError::BadShape);
    }
    if a.len() < 2 * n || b.len() < 2 * n || output.len() < 2 * n {
        return Err(KernelError::BufferTooSmall);
    }
    let shifts = [p.input1_shift, p.input2_shift, p.output_shift];
    if shifts.iter().any(|s| !(-31..=0).contains(s)) {
        return Err(KernelError::BadParams);
    }
    for i in 0..n {
        // |x| · 2^15 ≤ 2^30: no overflow before the multipliers.
        let x1 = (get16(a, i) as i32) << Add16::LEFT_SHIFT;
        let x2 = (get16(b, i) as i32) << Add16::LEFT_SHIFT;
        let s1 = multiply_by_quantized_multiplier(x1, p.input1_multiplier, p.input1_shift);
        let s2 = multiply_by_quantized_multiplier(x2, p.input2_multiplier, p.input2_shift);
        let sum = s1.wrapping_add(s2);
        let y = multiply_by_quantized_multiplier(sum, p.output_multiplier, p.output_shift);
        put16(
            output,
            i,
            y.clamp(p.act_min as i32, p.act_max as i32) as i16,
        );
    }
    Ok(())
}

/// Entries of each of the int16 softmax's two tables: 512 intervals and their end.
pub const LUT_LEN: usize = 513;

/// LiteRT's interpolating int16 table lookup: `lut` holds a function at 513 points
/// evenly over the int16 range; the top 9 bits of `value` pick the interval, the low 7
/// interpolate, rounded (`(slope · offset + 64) >> 7`). The slope is an int16 difference,
/// wrapping as LiteRT's does.
#[inline(always)]
pub fn lut_lookup(value: i16, lut: &[i8]) -> i16 {
    let index = (256 + (value >> 7) as i32) as usize;
    let offset = (value & 0x7f) as i32;
    let base = get16(lut, index);
    let slope = get16(lut, index + 1).wrapping_sub(base) as i32;
    base.wrapping_add(((slope * offset + 64) >> 7) as i16)
}

/// The shape and input scaling of an int16 softmax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Softmax16 {
    /// Rows (everything but the last dimension).
    pub rows: u32,
    /// Classes (the last dimension).
    pub depth: u32,
    /// Q31 multiplier of `input_scale · beta / (10 / 65535)`: maps an input difference to
    /// the exp table's input, where −65535 is −10.
    pub multiplier: i32,
    /// Its shift.
    pub shift: i32,
}

/// Softmax with int16 input and output (output scale 1/32768, zero point 0): LiteRT's
/// `SoftmaxInt16`. `luts` holds two int16 tables of [`LUT_LEN`] entries, little-endian:
/// `exp` over [−10, 0] and `1 / (1 + x)` over [0, 1], both in Q0.15 (made by the host,
/// as LiteRT's `Prepare` makes them with `std::exp`). Per row: the exponentials of the
/// differences to the row's maximum from the first table, their sum's reciprocal from
/// the second, normalized so the sum's top bit sets the scale; each exponential times
/// the reciprocal, rounded, clamped to 0..=32767.
#[inline(never)]
pub fn softmax_16x8(
    p: &Softmax16,
    input: &[i8],
    luts: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let (rows, depth) = (p.rows as usize, p.depth as usize);
    let n = mul(rows, depth)?;
    if n == 0 {
        return Err(KernelError::BadShape);
    }
    if !(-31..=30).contains(&p.shift) {
        return Err(KernelError::BadParams);
    }
    if input.len() < 2 * n || output.len() < 2 * n || luts.len() < 4 * LUT_LEN {
        return Err(KernelError::BufferTooSmall);
    }
    let (exp_lut, recip_lut) = luts.split_at(2 * LUT_LEN);
    for r in 0..rows {
        let row = r * depth;
        let max = (0..depth).map(|c| get16(input, row + c)).max().unwrap_or(0) as i32;
        // The exponentials go into the output first (LiteRT does the same), summed.
        let mut sum: i32 = 0;
        for c in 0..depth {
            let diff = get16(input, row + c) as i32 - max;
            let scaled = multiply_by_quantized_multiplier(diff, p.multiplier, p.shift);
            let centred = scaled.wrapping_add(32767).clamp(-32768, 32767) as i16;
            let e = lut_lookup(centred, exp_lut);
            put16(output, row + c, e);
            sum = sum.wrapping_add(e as i32);
        }
        // 1 / sum: the sum's leading zeros set its scale, the table gives 1 / (1 + x)
        // with x the normalized sum − 1, recentred from [0, 65535] to the int16 range.
        let headroom_plus_one = (sum as u32).leading_zeros().clamp(1, 31);
        let shifted = ((((sum as i64) << (headroom_plus_one - 1)) + (1 << 13)) >> 14) as i32;
        let centred = shifted
            .wrapping_sub((1 << 15) + (1 << 16))
            .clamp(-32768, 32767) as i16;
        let recip = lut_lookup(centred, recip_lut) as i64;
        let right_shift = (31 - headroom_plus_one).max(1);
        let round = 1i64 << (right_shift - 1);
        for c in 0..depth {
            let e = get16(output, row + c) as i64;
            let v = ((e * recip + round) >> right_shift) as i32;
            put16(output, row + c, v.clamp(0, 32767) as i16);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int16_elements_are_little_endian_bytes() {
        let mut b = [0i8; 4];
        put16(&mut b, 1, -2);
        assert_eq!(b, [0, 0, -2, -1]);
        assert_eq!(get16(&b, 1), -2);
        put16(&mut b, 0, 0x1234);
        assert_eq!(b[..2], [0x34, 0x12]);
    }
}
