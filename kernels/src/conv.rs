//! 2-D convolution, int8, TFLite semantics (`ConvPerChannel`): NHWC input (batch 1),
//! OHWI weights, int32 bias, per-output-channel requantization, padding/stride/dilation
//! from a [`Window`].

use crate::mac;
use crate::quant::multiply_by_quantized_multiplier;
use crate::window::{mul, Window};
use crate::KernelError;

/// Quantization parameters shared by every output channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvParams {
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Lower activation clamp.
    pub act_min: i8,
    /// Upper activation clamp.
    pub act_max: i8,
}

/// Shape of a convolution: the window over the input, input and output channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    /// Spatial geometry.
    pub window: Window,
    /// Input channels.
    pub in_c: usize,
    /// Output channels (filters).
    pub out_c: usize,
}

/// The per-output-channel requantization: `multipliers[c]`, `shifts[c]` (TFLite's
/// `output_multiplier` / `output_shift` arrays).
#[derive(Debug, Clone, Copy)]
pub struct PerChannel<'a> {
    /// Q31 multipliers, one per output channel.
    pub multipliers: &'a [i32],
    /// Shifts (positive: left), one per output channel.
    pub shifts: &'a [i32],
}

impl PerChannel<'_> {
    #[inline(always)]
    pub(crate) fn requant(&self, c: usize, acc: i32, offset: i32, lo: i8, hi: i8) -> i8 {
        multiply_by_quantized_multiplier(acc, self.multipliers[c], self.shifts[c])
            .wrapping_add(offset)
            .clamp(lo as i32, hi as i32) as i8
    }
}

impl ConvShape {
    /// Elements of the input tensor.
    pub fn input_len(&self) -> usize {
        self.window.in_h * self.window.in_w * self.in_c
    }
    /// Elements of the weight tensor.
    pub fn weights_len(&self) -> usize {
        self.out_c * self.window.taps() * self.in_c
    }
    /// Elements of the output tensor.
    pub fn output_len(&self) -> usize {
        self.window.out_pixels() * self.out_c
    }
    /// Multiply-accumulates one call performs (padding taps included, as is customary).
    pub fn macs(&self) -> u64 {
        self.window.out_pixels() as u64
            * self.out_c as u64
            * self.window.taps() as u64
            * self.in_c as u64
    }

    fn check(
        &self,
        input: usize,
        weights: usize,
        bias: usize,
        q: &PerChannel<'_>,
        output: usize,
        input_offset: i32,
    ) -> Result<(), KernelError> {
        self.window.check()?;
        crate::check_input_offset(input_offset)?;
        if self.in_c == 0 || self.out_c == 0 {
            return Err(KernelError::BadShape);
        }
        let w = &self.window;
        let need_in = mul(mul(w.in_h, w.in_w)?, self.in_c)?;
        let need_w = mul(mul(self.out_c, w.taps())?, self.in_c)?;
        let need_out = mul(w.out_pixels(), self.out_c)?;
        if input < need_in
            || weights < need_w
            || bias < self.out_c
            || q.multipliers.len() < self.out_c
            || q.shifts.len() < self.out_c
            || output < need_out
        {
            return Err(KernelError::BufferTooSmall);
        }
        Ok(())
    }
}

/// Scratch the optimized conv2d needs, in bytes: two int16 im2col columns
/// (`2 · k_h · k_w · in_c · 2`). The reference needs none.
pub fn conv2d_scratch_size(shape: &ConvShape) -> usize {
    2 * shape.window.taps() * shape.in_c * core::mem::size_of::<i16>()
}

/// The reference: TFLite's `ConvPerChannel` loop nest, written for clarity.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn conv2d_reference(
    p: &ConvParams,
    shape: &ConvShape,
    q: &PerChannel<'_>,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(
        input.len(),
        weights.len(),
        bias.len(),
        q,
        output.len(),
        p.input_offset,
    )?;
    let w = &shape.window;
    let (in_c, out_c) = (shape.in_c, shape.out_c);
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            for oc in 0..out_c {
                let mut acc = 0i32;
                for ky in 0..w.k_h {
                    let Some(iy) = w.in_y(oy, ky) else { continue };
                    for kx in 0..w.k_w {
                        let Some(ix) = w.in_x(ox, kx) else { continue };
                        for ic in 0..in_c {
                            let x = input[(iy * w.in_w + ix) * in_c + ic] as i32;
                            let f = weights[((oc * w.k_h + ky) * w.k_w + kx) * in_c + ic] as i32;
                            acc = acc.wrapping_add(f * (x + p.input_offset));
                        }
                    }
                }
                acc = acc.wrapping_add(bias[oc]);
                output[(oy * w.out_w + ox) * out_c + oc] =
                    q.requant(oc, acc, p.output_offset, p.act_min, p.act_max);
            }
        }
    }
    Ok(())
}

/// Write output pixel `pix`'s receptive field into `col` as int16 with the input offset
/// added; padding taps become 0 (the zero point plus its negation).
fn im2col(shape: &ConvShape, input_offset: i32, input: &[i8], pix: usize, col: &mut [i16]) {
    let w = &shape.window;
    let in_c = shape.in_c;
    let (oy, ox) = (pix / w.out_w, pix % w.out_w);
    let mut k = 0;
    for ky in 0..w.k_h {
        let iy = w.in_y(oy, ky);
        for kx in 0..w.k_w {
            let dst = &mut col[k..k + in_c];
            match (iy, w.in_x(ox, kx)) {
                (Some(iy), Some(ix)) => {
                    let src = &input[(iy * w.in_w + ix) * in_c..][..in_c];
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = (s as i32 + input_offset) as i16;
                    }
                }
                _ => dst.fill(0),
            }
            k += in_c;
        }
    }
    mac::im2col_finish(&mut col[..k]);
}

/// The optimized conv2d, CMSIS-NN's scheme: im2col two output pixels into int16 columns
/// (offset added once per element, not once per filter), then a 2×2 block — two pixels ×
/// two filters — of inner products ([`crate::mac`]: `SMLAD` on DSP cores). Produces
/// exactly [`conv2d_reference`]'s bytes. `scratch` must hold [`conv2d_scratch_size`] bytes.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn conv2d_optimized(
    p: &ConvParams,
    shape: &ConvShape,
    q: &PerChannel<'_>,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
    scratch: &mut [i16],
) -> Result<(), KernelError> {
    shape.check(
        input.len(),
        weights.len(),
        bias.len(),
        q,
        output.len(),
        p.input_offset,
    )?;
    let patch = shape.window.taps() * shape.in_c;
    if scratch.len() * 2 < conv2d_scratch_size(shape) {
        return Err(KernelError::BufferTooSmall);
    }
    let (col0, rest) = scratch.split_at_mut(patch);
    let col1 = &mut rest[..patch];
    let out_c = shape.out_c;
    let pixels = shape.window.out_pixels();
    let weights = &weights[..out_c * patch];
    let store = |out: &mut [i8], pix: usize, oc: usize, acc: i32| {
        out[pix * out_c + oc] = q.requant(
            oc,
            acc.wrapping_add(bias[oc]),
            p.output_offset,
            p.act_min,
            p.act_max,
        );
    };
    let mut pix = 0;
    while pix + 2 <= pixels {
        im2col(shape, p.input_offset, input, pix, col0);
        im2col(shape, p.input_offset, input, pix + 1, col1);
        let mut rows = weights.chunks_exact(2 * patch);
        let mut oc = 0;
        for pair in &mut rows {
            let (w0, w1) = pair.split_at(patch);
            let a = mac::dot_2x2(col0, col1, w0, w1);
            store(output, pix, oc, a[0]);
            store(output, pix, oc + 1, a[1]);
            store(output, pix + 1, oc, a[2]);
            store(output, pix + 1, oc + 1, a[3]);
            oc += 2;
        }
        let last = rows.remainder();
        if !last.is_empty() {
            store(output, pix, oc, mac::dot_1x1(col0, last));
            store(output, pix + 1, oc, mac::dot_1x1(col1, last));
        }
        pix += 2;
    }
    if pix < pixels {
        im2col(shape, p.input_offset, input, pix, col0);
        for (oc, w) in weights.chunks_exact(patch).enumerate() {
            store(output, pix, oc, mac::dot_1x1(col0, w));
        }
    }
    Ok(())
}
