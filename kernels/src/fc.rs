//! Fully connected (dense) layer, int8, TFLite semantics.

use crate::quant::multiply_by_quantized_multiplier_single_rounding;

/// The reference loop's per-output requantization, out of line: inlined, its 64-bit
/// arithmetic made LLVM compile the reference MAC loop around it worse (measured on the
/// M4: fc_256x64 129,730 instructions inlined, 114,355 out of line). The optimized loop
/// inlines it (out of line it cost ad01 10 % more there).
#[inline(never)]
fn requantize(acc: i32, multiplier: i32, shift: i32) -> i32 {
    multiply_by_quantized_multiplier_single_rounding(acc, multiplier, shift)
}
use crate::KernelError;

/// Quantization parameters of one fully-connected layer, in TFLite's kernel form:
/// offsets are the *negated* input/weight zero points and the output zero point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FcParams {
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `-weights_zero_point` (0 for TFLite int8 weights, kept general).
    pub weights_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 requantization multiplier.
    pub output_multiplier: i32,
    /// Requantization shift (positive: left).
    pub output_shift: i32,
    /// Lower activation clamp (e.g. the output zero point for ReLU).
    pub act_min: i8,
    /// Upper activation clamp.
    pub act_max: i8,
}

/// Shape of a fully-connected layer: `input` is `batches × in_features`, `weights` is
/// `out_features × in_features` (row-major, as TFLite stores them), `output` is
/// `batches × out_features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FcShape {
    /// Rows of the input.
    pub batches: usize,
    /// Input depth (accumulation length).
    pub in_features: usize,
    /// Output depth.
    pub out_features: usize,
}

impl FcShape {
    /// Multiply-accumulates one call performs.
    pub fn macs(&self) -> u64 {
        self.batches as u64 * self.in_features as u64 * self.out_features as u64
    }

    fn check(
        &self,
        input: usize,
        weights: usize,
        bias: usize,
        output: usize,
    ) -> Result<(), KernelError> {
        if self.batches == 0 || self.in_features == 0 || self.out_features == 0 {
            return Err(KernelError::BadShape);
        }
        let need_in = self
            .batches
            .checked_mul(self.in_features)
            .ok_or(KernelError::BadShape)?;
        let need_w = self
            .out_features
            .checked_mul(self.in_features)
            .ok_or(KernelError::BadShape)?;
        let need_out = self
            .batches
            .checked_mul(self.out_features)
            .ok_or(KernelError::BadShape)?;
        if input < need_in || weights < need_w || bias < self.out_features || output < need_out {
            return Err(KernelError::BufferTooSmall);
        }
        Ok(())
    }
}

/// int8 fully connected: `out = clamp(requant(bias + Σ (x + in_off)(w + w_off)) + out_off)`.
///
/// The accumulation is 32-bit and wraps exactly as TFLite's reference kernel would
/// overflow; suites keep `in_features` small enough that it never does.
#[inline(never)]
pub fn fully_connected(
    p: &FcParams,
    shape: FcShape,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(input.len(), weights.len(), bias.len(), output.len())?;
    crate::check_input_offset(p.input_offset)?;
    let n = shape.in_features;
    for (x_row, y_row) in input
        .chunks_exact(n)
        .zip(output.chunks_exact_mut(shape.out_features))
        .take(shape.batches)
    {
        for ((w_row, &b), y) in weights.chunks_exact(n).zip(bias).zip(y_row.iter_mut()) {
            let mut acc = b;
            for (&x, &w) in x_row.iter().zip(w_row) {
                acc = acc.wrapping_add((x as i32 + p.input_offset) * (w as i32 + p.weights_offset));
            }
            let v =
                requantize(acc, p.output_multiplier, p.output_shift).wrapping_add(p.output_offset);
            *y = v.clamp(p.act_min as i32, p.act_max as i32) as i8;
        }
    }
    Ok(())
}

/// Scratch the fully-connected kernels need: none.
pub fn fully_connected_scratch_size(_shape: &FcShape) -> usize {
    0
}

/// The reference kernel under the name the other ops use (`fully_connected` is the same
/// function, kept for existing callers).
pub use fully_connected as fully_connected_reference;

/// The optimized fully connected: two output rows per pass sharing each input load, four
/// inputs per step ([`crate::mac`]: `SXTAB16` adds the input offset to two inputs at once
/// and `SMLAD` does two MACs per instruction on DSP cores). Exactly
/// [`fully_connected`]'s bytes. A non-zero `weights_offset` (never produced by TFLite's
/// int8 scheme) falls back to the reference loop.
#[inline(never)]
pub fn fully_connected_optimized(
    p: &FcParams,
    shape: FcShape,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(input.len(), weights.len(), bias.len(), output.len())?;
    crate::check_input_offset(p.input_offset)?;
    if p.weights_offset != 0 {
        return fully_connected(p, shape, input, weights, bias, output);
    }
    let (lo, hi) = (p.act_min as i32, p.act_max as i32);
    let (m, s, off) = (p.output_multiplier, p.output_shift, p.output_offset);
    let finish = move |v: i32| v.wrapping_add(off).clamp(lo, hi) as i8;
    match crate::fc_dot::FcRequant::new(m, s) {
        Some(q) => fc_rows(p.input_offset, shape, input, weights, bias, output, |acc| {
            finish(q.apply(acc))
        }),
        None => fc_rows(p.input_offset, shape, input, weights, bias, output, |acc| {
            finish(multiply_by_quantized_multiplier_single_rounding(acc, m, s))
        }),
    }
    Ok(())
}

/// The optimized loop: two weight rows per pass ([`crate::fc_dot::dot_2rows`]), each
/// output `requant(acc + bias)` (the requantization, offset and clamp).
#[inline(always)]
fn fc_rows(
    offset: i32,
    shape: FcShape,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
    requant: impl Fn(i32) -> i8,
) {
    let (n, out_f) = (shape.in_features, shape.out_features);
    let weights = &weights[..out_f * n];
    let bias = &bias[..out_f];
    for (x_row, y_row) in input
        .chunks_exact(n)
        .zip(output.chunks_exact_mut(out_f))
        .take(shape.batches)
    {
        let mut pairs = weights.chunks_exact(2 * n);
        let mut ys = y_row.chunks_exact_mut(2);
        let mut bs = bias.chunks_exact(2);
        for ((pair, y), b) in (&mut pairs).zip(&mut ys).zip(&mut bs) {
            let (w0, w1) = pair.split_at(n);
            let a = crate::fc_dot::dot_2rows(x_row, offset, w0, w1);
            y[0] = requant(a[0].wrapping_add(b[0]));
            y[1] = requant(a[1].wrapping_add(b[1]));
        }
        let last = pairs.remainder();
        if let (Some(y), Some(&b)) = (ys.into_remainder().first_mut(), bs.remainder().first()) {
            let a = crate::fc_dot::dot_2rows(x_row, offset, last, last);
            *y = requant(a[0].wrapping_add(b));
        }
    }
}

/// Seed the inputs of a benchmark case: input, then weights, then bias (±`BIAS_RANGE`),
/// all from one generator. Host and firmware both call this, so a seed names the whole
/// case's data.
pub fn fill_case(
    seed: u32,
    shape: FcShape,
    input: &mut [i8],
    weights: &mut [i8],
    bias: &mut [i32],
) {
    let mut rng = crate::rng::Rng::new(seed);
    let n_in = (shape.batches * shape.in_features).min(input.len());
    let n_w = (shape.out_features * shape.in_features).min(weights.len());
    let n_b = shape.out_features.min(bias.len());
    rng.fill_i8(&mut input[..n_in]);
    rng.fill_i8(&mut weights[..n_w]);
    rng.fill_i32(&mut bias[..n_b], BIAS_RANGE);
}

/// Range of the generated biases: large enough to matter next to the products, small
/// enough that no suite case overflows the 32-bit accumulator.
pub const BIAS_RANGE: u32 = 1 << 14;
