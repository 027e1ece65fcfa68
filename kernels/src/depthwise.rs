//! Depthwise 2-D convolution, int8, TFLite semantics (`DepthwiseConvPerChannel`): NHWC
//! input (batch 1), weights `[1, k_h, k_w, in_c · depth_multiplier]`, output channel
//! `ic · depth_multiplier + m`, per-output-channel requantization.

use crate::conv::PerChannel;
use crate::mac;
use crate::requant::Requant;
use crate::window::{mul, tap_range, Window};
use crate::KernelError;

pub use crate::conv::ConvParams as DepthwiseParams;

/// Shape of a depthwise convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DepthwiseShape {
    /// Spatial geometry.
    pub window: Window,
    /// Input channels.
    pub in_c: usize,
    /// Output channels per input channel.
    pub depth_multiplier: usize,
}

impl DepthwiseShape {
    /// Output channels (`in_c · depth_multiplier`).
    pub fn out_c(&self) -> usize {
        self.in_c * self.depth_multiplier
    }
    /// Elements of the input tensor.
    pub fn input_len(&self) -> usize {
        self.window.in_h * self.window.in_w * self.in_c
    }
    /// Elements of the weight tensor.
    pub fn weights_len(&self) -> usize {
        self.window.taps() * self.out_c()
    }
    /// Elements of the output tensor.
    pub fn output_len(&self) -> usize {
        self.window.out_pixels() * self.out_c()
    }
    /// Multiply-accumulates one call performs.
    pub fn macs(&self) -> u64 {
        self.window.out_pixels() as u64 * self.out_c() as u64 * self.window.taps() as u64
    }

    fn check(
        &self,
        p: &DepthwiseParams,
        input: usize,
        weights: usize,
        bias: usize,
        q: &PerChannel<'_>,
        output: usize,
    ) -> Result<(), KernelError> {
        self.window.check()?;
        crate::check_input_offset(p.input_offset)?;
        if self.in_c == 0 || self.depth_multiplier == 0 {
            return Err(KernelError::BadShape);
        }
        let w = &self.window;
        let out_c = mul(self.in_c, self.depth_multiplier)?;
        let need_in = mul(mul(w.in_h, w.in_w)?, self.in_c)?;
        let need_w = mul(w.taps(), out_c)?;
        let need_out = mul(w.out_pixels(), out_c)?;
        if input < need_in
            || weights < need_w
            || bias < out_c
            || q.multipliers.len() < out_c
            || q.shifts.len() < out_c
            || output < need_out
        {
            return Err(KernelError::BufferTooSmall);
        }
        Ok(())
    }
}

/// Scratch the depthwise kernels need: none (both work in registers).
pub fn depthwise_scratch_size(_shape: &DepthwiseShape) -> usize {
    0
}

/// The reference: TFLite's `DepthwiseConvPerChannel` loop nest.
#[inline(never)]
pub fn depthwise_conv2d_reference(
    p: &DepthwiseParams,
    shape: &DepthwiseShape,
    q: &PerChannel<'_>,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(p, input.len(), weights.len(), bias.len(), q, output.len())?;
    let w = &shape.window;
    let (in_c, dm, out_c) = (shape.in_c, shape.depth_multiplier, shape.out_c());
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            for ic in 0..in_c {
                for m in 0..dm {
                    let oc = ic * dm + m;
                    let mut acc = 0i32;
                    for ky in 0..w.k_h {
                        let Some(iy) = w.in_y(oy, ky) else { continue };
                        for kx in 0..w.k_w {
                            let Some(ix) = w.in_x(ox, kx) else { continue };
                            let x = input[(iy * w.in_w + ix) * in_c + ic] as i32;
                            let f = weights[(ky * w.k_w + kx) * out_c + oc] as i32;
                            acc = acc.wrapping_add(f * (x + p.input_offset));
                        }
                    }
                    acc = acc.wrapping_add(bias[oc]);
                    output[(oy * w.out_w + ox) * out_c + oc] =
                        q.requant(oc, acc, p.output_offset, p.act_min, p.act_max);
                }
            }
        }
    }
    Ok(())
}

/// Channels whose accumulators the optimized kernel keeps on the stack at once (256 B).
const CHANNEL_BLOCK: usize = 64;

/// Taps whose unpacked weights the fast path keeps on the stack (up to 5×5 kernels).
const MAX_TAPS: usize = 25;

/// The optimized depthwise conv2d. For a depth multiplier of 1, kernels of up to
/// [`MAX_TAPS`] taps and requantization with the fast form ([`crate::requant`]):
/// channels four at a time as the outer loop, that group's weights unpacked once onto
/// the stack, then every output pixel with its four accumulators in registers over the
/// pixel's valid tap range (on DSP cores one word load and `SXTAB16` give the four
/// channels' `x + offset`, `SMLABB`/`SMLATT` multiply them). Other layers take the
/// general path. Exactly [`depthwise_conv2d_reference`]'s bytes.
#[inline(never)]
pub fn depthwise_conv2d_optimized(
    p: &DepthwiseParams,
    shape: &DepthwiseShape,
    q: &PerChannel<'_>,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(p, input.len(), weights.len(), bias.len(), q, output.len())?;
    if shape.depth_multiplier != 1
        || shape.window.taps() > MAX_TAPS
        || !Requant::fast_for(q.multipliers, q.shifts, shape.out_c())
    {
        return depthwise_general(p, shape, q, input, weights, bias, output);
    }
    let c = shape.in_c;
    let c4 = c - c % 4;
    for cb in (0..c4).step_by(4) {
        // Without an activation clamp the requantization's clamp is LLVM's `SSAT`.
        if (p.act_min, p.act_max) == (i8::MIN, i8::MAX) {
            channel_group::<true>(p, shape, q, input, weights, bias, output, cb);
        } else {
            channel_group::<false>(p, shape, q, input, weights, bias, output, cb);
        }
    }
    let w = &shape.window;
    for oy in 0..w.out_h {
        let (ky0, ky1) = tap_range(oy, w.stride_h, w.dil_h, w.pad_top, w.k_h, w.in_h);
        for ox in 0..w.out_w {
            let (kx0, kx1) = tap_range(ox, w.stride_w, w.dil_w, w.pad_left, w.k_w, w.in_w);
            let base = (oy * w.out_w + ox) * c;
            for ch in c4..c {
                output[base + ch] = one_channel(
                    p,
                    shape,
                    q,
                    input,
                    weights,
                    bias,
                    (oy * w.stride_h, ox * w.stride_w),
                    (ky0, ky1, kx0, kx1),
                    ch,
                    ch,
                );
            }
        }
    }
    Ok(())
}

/// Unpacked weights of one group of four channels, per tap.
#[cfg(tinybench_dsp)]
type GroupWeights = [[u32; 2]; MAX_TAPS];
#[cfg(not(tinybench_dsp))]
type GroupWeights = [[i32; 4]; MAX_TAPS];

/// Channels `cb..cb + 4` of every output pixel (depth multiplier 1, fast requantization).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn channel_group<const FULL_RANGE: bool>(
    p: &DepthwiseParams,
    shape: &DepthwiseShape,
    q: &PerChannel<'_>,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
    cb: usize,
) {
    let w = &shape.window;
    let c = shape.in_c;
    #[cfg(tinybench_dsp)]
    let mut gw: GroupWeights = [[0; 2]; MAX_TAPS];
    #[cfg(not(tinybench_dsp))]
    let mut gw: GroupWeights = [[0; 4]; MAX_TAPS];
    for (t, g) in gw.iter_mut().enumerate().take(w.taps()) {
        let f = &weights[t * c + cb..][..4];
        #[cfg(tinybench_dsp)]
        {
            let v = mac::dsp::word8_ldr(f);
            *g = [mac::dsp::sxtb16(v), mac::dsp::sxtb16_ror8(v)];
        }
        #[cfg(not(tinybench_dsp))]
        {
            *g = [f[0] as i32, f[1] as i32, f[2] as i32, f[3] as i32];
        }
    }
    let rq: [Requant; 4] =
        core::array::from_fn(|k| Requant::new(q.multipliers[cb + k], q.shifts[cb + k]));
    let b: [i32; 4] = bias[cb..cb + 4].try_into().expect("four channels");
    // A window with every tap inside the input starts from `bias + offset·Σ w` and then
    // needs no offset per tap (wrapping sums: the same bits in any order).
    let folded: [i32; 4] = core::array::from_fn(|k| {
        let sum = (0..w.taps()).fold(0i32, |s, t| s.wrapping_add(weights[t * c + cb + k] as i32));
        b[k].wrapping_add(p.input_offset.wrapping_mul(sum))
    });
    let full3 = w.k_h == 3 && w.k_w == 3 && w.dil_h == 1 && w.dil_w == 1;
    let rs = w.in_w * c;
    let (lo, hi) = if FULL_RANGE {
        (-128, 127)
    } else {
        (p.act_min as i32, p.act_max as i32)
    };
    let off = p.output_offset;
    for oy in 0..w.out_h {
        let (ky0, ky1) = tap_range(oy, w.stride_h, w.dil_h, w.pad_top, w.k_h, w.in_h);
        let row_full = full3 && ky0 == 0 && ky1 == 3;
        for ox in 0..w.out_w {
            let x0 = ox * w.stride_w;
            let a = if row_full && x0 >= w.pad_left && x0 + 2 < w.in_w + w.pad_left {
                let iy = oy * w.stride_h - w.pad_top;
                let mut a = folded;
                full_3x3(
                    &mut a,
                    &input[iy * rs + (x0 - w.pad_left) * c + cb..],
                    c,
                    rs,
                    &gw,
                );
                a
            } else {
                let xr = tap_range(ox, w.stride_w, w.dil_w, w.pad_left, w.k_w, w.in_w);
                window_taps(p, shape, input, &gw, b, (oy, ox), (ky0, ky1), xr, cb)
            };
            let out = &mut output[(oy * w.out_w + ox) * c + cb..][..4];
            for k in 0..4 {
                out[k] = rq[k].requantize(a[k], off, lo, hi);
            }
        }
    }
}

/// The accumulators of one pixel's four channels `cb..cb + 4` over the valid taps
/// `ky0..ky1` × `kx0..kx1`, with the input offset added per tap, starting from `b`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn window_taps(
    p: &DepthwiseParams,
    shape: &DepthwiseShape,
    input: &[i8],
    gw: &GroupWeights,
    b: [i32; 4],
    (oy, ox): (usize, usize),
    (ky0, ky1): (usize, usize),
    (kx0, kx1): (usize, usize),
    cb: usize,
) -> [i32; 4] {
    let w = &shape.window;
    let c = shape.in_c;
    let mut a = b;
    for ky in ky0..ky1 {
        let iy = oy * w.stride_h + ky * w.dil_h - w.pad_top;
        let row = &input[iy * w.in_w * c + cb..];
        let taps = &gw[ky * w.k_w..];
        #[cfg(tinybench_dsp)]
        if kx1 - kx0 == 3 && w.dil_w == 1 {
            let ix = ox * w.stride_w + kx0 - w.pad_left;
            let off = mac::dup16(p.input_offset);
            mac::dsp::dw_taps3(&row[ix * c..], c, off, &taps[kx0..], &mut a);
            continue;
        }
        #[cfg(tinybench_dsp)]
        if kx1 - kx0 == 2 && w.dil_w == 1 {
            let ix = ox * w.stride_w + kx0 - w.pad_left;
            let off = mac::dup16(p.input_offset);
            mac::dsp::dw_taps2(&row[ix * c..], c, off, &taps[kx0..], &mut a);
            continue;
        }
        for (kx, t) in taps.iter().enumerate().take(kx1).skip(kx0) {
            let ix = ox * w.stride_w + kx * w.dil_w - w.pad_left;
            mac4(&mut a, &row[ix * c..][..4], p.input_offset, t);
        }
    }
    a
}

/// A whole 3×3 window of four channels (tap `(ky, kx)` at `x[ky·rs + kx·c..]`), no input
/// offset (the caller folded it into `a`).
#[cfg(tinybench_dsp)]
#[inline(always)]
fn full_3x3(a: &mut [i32; 4], x: &[i8], c: usize, rs: usize, gw: &GroupWeights) {
    mac::dsp::dw_3x3(x, c, rs, gw, a);
}

/// A whole 3×3 window of four channels (tap `(ky, kx)` at `x[ky·rs + kx·c..]`), no input
/// offset (the caller folded it into `a`).
#[cfg(not(tinybench_dsp))]
#[inline(always)]
fn full_3x3(a: &mut [i32; 4], x: &[i8], c: usize, rs: usize, gw: &GroupWeights) {
    let x = &x[..2 * rs + 2 * c + 4];
    for ky in 0..3 {
        for kx in 0..3 {
            let (xs, t) = (&x[ky * rs + kx * c..][..4], &gw[ky * 3 + kx]);
            for k in 0..4 {
                a[k] = a[k].wrapping_add((xs[k] as i32).wrapping_mul(t[k]));
            }
        }
    }
}

/// `a[k] += (x[k] + offset) · w[k]` for four channels.
#[cfg(tinybench_dsp)]
#[inline(always)]
fn mac4(a: &mut [i32; 4], x: &[i8], offset: i32, w: &[u32; 2]) {
    use mac::dsp;
    let off = mac::dup16(offset);
    let xv = dsp::word8_ldr(x);
    let (xa, xb) = (dsp::sxtab16(off, xv), dsp::sxtab16_ror8(off, xv));
    a[0] = dsp::smlabb(xa, w[0], a[0]);
    a[2] = dsp::smlatt(xa, w[0], a[2]);
    a[1] = dsp::smlabb(xb, w[1], a[1]);
    a[3] = dsp::smlatt(xb, w[1], a[3]);
}

/// `a[k] += (x[k] + offset) · w[k]` for four channels.
#[cfg(not(tinybench_dsp))]
#[inline(always)]
fn mac4(a: &mut [i32; 4], x: &[i8], offset: i32, w: &[i32; 4]) {
    for k in 0..4 {
        a[k] = a[k].wrapping_add((x[k] as i32 + offset).wrapping_mul(w[k]));
    }
}

/// The general optimized path (any depth multiplier, any requantization): per output
/// pixel the valid tap ranges are computed once, channels go four at a time with
/// accumulators for blocks of [`CHANNEL_BLOCK`] channels on the stack.
#[inline(never)]
fn depthwise_general(
    p: &DepthwiseParams,
    shape: &DepthwiseShape,
    q: &PerChannel<'_>,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let w = &shape.window;
    let (in_c, dm, out_c) = (shape.in_c, shape.depth_multiplier, shape.out_c());
    for oy in 0..w.out_h {
        let (ky0, ky1) = tap_range(oy, w.stride_h, w.dil_h, w.pad_top, w.k_h, w.in_h);
        for ox in 0..w.out_w {
            let (kx0, kx1) = tap_range(ox, w.stride_w, w.dil_w, w.pad_left, w.k_w, w.in_w);
            let out = &mut output[(oy * w.out_w + ox) * out_c..][..out_c];
            let iy0 = oy * w.stride_h;
            let ix0 = ox * w.stride_w;
            let channel = |ic: usize, oc: usize| {
                one_channel(
                    p,
                    shape,
                    q,
                    input,
                    weights,
                    bias,
                    (iy0, ix0),
                    (ky0, ky1, kx0, kx1),
                    ic,
                    oc,
                )
            };
            if dm == 1 {
                // Channels in blocks whose accumulators live on the stack; per tap, one
                // contiguous run of input and weights, four channels per step.
                let mut cb = 0;
                while cb < out_c {
                    let n = CHANNEL_BLOCK.min(out_c - cb);
                    let n4 = n - n % 4;
                    let mut acc = [0i32; CHANNEL_BLOCK];
                    for ky in ky0..ky1 {
                        let iy = iy0 + ky * w.dil_h - w.pad_top;
                        for kx in kx0..kx1 {
                            let ix = ix0 + kx * w.dil_w - w.pad_left;
                            let x = &input[(iy * w.in_w + ix) * in_c + cb..][..n];
                            let f = &weights[(ky * w.k_w + kx) * out_c + cb..][..n];
                            for ((a, xs), fs) in acc[..n4]
                                .chunks_exact_mut(4)
                                .zip(x.chunks_exact(4))
                                .zip(f.chunks_exact(4))
                            {
                                let a: &mut [i32; 4] = a.try_into().expect("chunks of four");
                                mac::mac4_lanes(a, xs, p.input_offset, fs);
                            }
                            for i in n4..n {
                                acc[i] = acc[i]
                                    .wrapping_add((x[i] as i32 + p.input_offset) * f[i] as i32);
                            }
                        }
                    }
                    for (k, (o, a)) in out[cb..cb + n].iter_mut().zip(acc).enumerate() {
                        let c = cb + k;
                        *o = q.requant(
                            c,
                            a.wrapping_add(bias[c]),
                            p.output_offset,
                            p.act_min,
                            p.act_max,
                        );
                    }
                    cb += n;
                }
            } else {
                for (oc, o) in out.iter_mut().enumerate() {
                    *o = channel(oc / dm, oc);
                }
            }
        }
    }
    Ok(())
}

/// One output channel over a precomputed tap range (tails and depth multiplier > 1).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn one_channel(
    p: &DepthwiseParams,
    shape: &DepthwiseShape,
    q: &PerChannel<'_>,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    (iy0, ix0): (usize, usize),
    (ky0, ky1, kx0, kx1): (usize, usize, usize, usize),
    ic: usize,
    oc: usize,
) -> i8 {
    let w = &shape.window;
    let (in_c, out_c) = (shape.in_c, shape.out_c());
    let mut acc = 0i32;
    for ky in ky0..ky1 {
        let iy = iy0 + ky * w.dil_h - w.pad_top;
        for kx in kx0..kx1 {
            let ix = ix0 + kx * w.dil_w - w.pad_left;
            let x = input[(iy * w.in_w + ix) * in_c + ic] as i32;
            let f = weights[(ky * w.k_w + kx) * out_c + oc] as i32;
            acc = acc.wrapping_add(f * (x + p.input_offset));
        }
    }
    q.requant(
        oc,
        acc.wrapping_add(bias[oc]),
        p.output_offset,
        p.act_min,
        p.act_max,
    )
}
