//! 2-D convolution, int8, TFLite semantics (`ConvPerChannel`): NHWC input (batch 1),
//! OHWI weights, int32 bias, per-output-channel requantization, padding/stride/dilation
//! from a [`Window`].

use crate::gemm;
use crate::quant::multiply_by_quantized_multiplier;
use crate::requant::Requant;
use crate::window::{mul, Window};
use crate::KernelError;

/// Quantization parameters shared by every output channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

/// Scratch the optimized conv2d needs, in bytes: one packed block of
/// [`gemm::PIX`] receptive fields, four bytes per element (the larger of its two layouts),
/// plus four bytes to align it to a word. The reference needs none.
pub fn conv2d_scratch_size(shape: &ConvShape) -> usize {
    gemm::block_words(shape.window.taps() * shape.in_c) * 4 + 4
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

/// Pack the receptive fields of output pixels `pix0..pix0 + PIX` (the last pixel repeated
/// past the end) into the block.
fn pack_block(shape: &ConvShape, input: &[i8], pix0: usize, pk: &mut gemm::Packer<'_>) {
    let w = &shape.window;
    let in_c = shape.in_c;
    let last = w.out_pixels() - 1;
    for p in 0..gemm::PIX {
        let pix = (pix0 + p).min(last);
        let (oy, ox) = (pix / w.out_w, pix % w.out_w);
        let mut e = 0;
        for ky in 0..w.k_h {
            let iy = w.in_y(oy, ky);
            for kx in 0..w.k_w {
                match (iy, w.in_x(ox, kx)) {
                    (Some(iy), Some(ix)) => {
                        pk.put_run(p, e, &input[(iy * w.in_w + ix) * in_c..][..in_c])
                    }
                    _ => pk.put_zeros(p, e, in_c),
                }
                e += in_c;
            }
        }
    }
}

/// Longest patch the staged packing ([`pack_block_staged`]) handles: first layers
/// (DS-CNN 10×4×1 = 40, MobileNet and ResNet 3×3×3 = 27) fit.
const STAGE: usize = 64;

/// Whether a layer packs through the byte staging buffer: channel counts that are not
/// a multiple of four (first layers: 1–3 channels) make [`gemm::Packer::put_run`] pack
/// element by element, with a read-modify-write of half a word each (vww_conv1 spent
/// about 9.5 instructions a MAC, most of them packing, for only 8 output channels).
fn staged(shape: &ConvShape) -> bool {
    !shape.in_c.is_multiple_of(4) && shape.window.taps() * shape.in_c <= STAGE
}

/// One output pixel's receptive field as bytes, in patch order; taps outside the input
/// hold `fill` (`−input_offset`, which packs to 0, TFLite's padding).
fn stage_pixel(shape: &ConvShape, input: &[i8], (oy, ox): (usize, usize), fill: i8, st: &mut [i8]) {
    let w = &shape.window;
    let in_c = shape.in_c;
    let row = w.k_w * in_c;
    for (ky, dst) in st.chunks_exact_mut(row).take(w.k_h).enumerate() {
        let Some(iy) = w.in_y(oy, ky) else {
            dst.fill(fill);
            continue;
        };
        let base = iy * w.in_w;
        // A kernel row wholly inside the input, without dilation, is one contiguous run.
        if w.dil_w == 1 {
            if let (Some(x0), Some(_)) = (w.in_x(ox, 0), w.in_x(ox, w.k_w - 1)) {
                dst.copy_from_slice(&input[(base + x0) * in_c..][..row]);
                continue;
            }
        }
        for (kx, d) in dst.chunks_exact_mut(in_c).enumerate() {
            match w.in_x(ox, kx) {
                Some(ix) => d.copy_from_slice(&input[(base + ix) * in_c..][..in_c]),
                None => d.fill(fill),
            }
        }
    }
}

/// [`pack_block`] for [`staged`] layers: each pixel's patch is first copied into a byte
/// buffer (whole kernel rows at a time), then packed four elements per word load
/// (`SXTAB16` on DSP cores); only the patch's last `patch % 4` elements go one by one.
fn pack_block_staged(shape: &ConvShape, input: &[i8], pix0: usize, pk: &mut gemm::Packer<'_>) {
    let w = &shape.window;
    let patch = w.taps() * shape.in_c;
    let last = w.out_pixels() - 1;
    let fill = (-pk.offset()) as i8;
    let full = patch - patch % 4;
    let mut st = [0i8; STAGE];
    let st = &mut st[..patch];
    for p in 0..gemm::PIX {
        let pix = (pix0 + p).min(last);
        stage_pixel(shape, input, (pix / w.out_w, pix % w.out_w), fill, st);
        pk.put_run(p, 0, &st[..full]);
        pk.put_run(p, full, &st[full..]);
    }
}

/// The optimized conv2d: output pixels in blocks of four, each block's receptive fields
/// packed once into scratch as int16 pairs with the input offset added (int32 on cores
/// without `SMLAD`), then per output channel one pass over the patch computing the four
/// pixels together ([`gemm`]: one weight word, unpacked once, feeds eight `SMLAD`s on
/// DSP cores), requantized with the folded two-step rounding ([`crate::requant`]).
/// Produces exactly [`conv2d_reference`]'s bytes; a layer whose requantization has no
/// fast form (a multiplier ≤ 2^30 or a shift ≥ 0) runs the reference.
/// `scratch` must hold [`conv2d_scratch_size`] bytes.
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
    if scratch.len() * 2 < conv2d_scratch_size(shape) {
        return Err(KernelError::BufferTooSmall);
    }
    let out_c = shape.out_c;
    if !Requant::fast_for(q.multipliers, q.shifts, out_c) {
        return conv2d_reference(p, shape, q, input, weights, bias, output);
    }
    let patch = shape.window.taps() * shape.in_c;
    let (_, words, _) = bytemuck::pod_align_to_mut::<i16, u32>(scratch);
    let words = words
        .get_mut(..gemm::block_words(patch))
        .ok_or(KernelError::BufferTooSmall)?;
    let pixels = shape.window.out_pixels();
    let weights = &weights[..out_c * patch];
    let quant = (&q.multipliers[..out_c], &q.shifts[..out_c]);
    let clamp = (p.output_offset, p.act_min as i32, p.act_max as i32);
    let full_range = (p.act_min, p.act_max) == (i8::MIN, i8::MAX);
    let stage = staged(shape);
    let mut pix = 0;
    while pix < pixels {
        let mut pk = gemm::Packer::new(words, patch, p.input_offset);
        if stage {
            pack_block_staged(shape, input, pix, &mut pk);
        } else {
            pack_block(shape, input, pix, &mut pk);
        }
        let valid = gemm::PIX.min(pixels - pix);
        let out = &mut output[pix * out_c..(pix + valid) * out_c];
        let bias = &bias[..out_c];
        if full_range {
            gemm::run_block::<true>(words, patch, weights, bias, quant, clamp, out, valid);
        } else {
            gemm::run_block::<false>(words, patch, weights, bias, quant, clamp, out, valid);
        }
        pix += gemm::PIX;
    }
    Ok(())
}
