//! int8 transpose convolution (`TRANSPOSE_CONV`, Keras `Conv2DTranspose`) with TFLite's
//! per-channel semantics: NHWC input (batch 1), OHWI weights, an optional int32 bias,
//! per-output-channel requantization (`MultiplyByQuantizedMultiplier`), the activation
//! clamp.
//!
//! TFLite's reference kernel scatters: every input pixel adds `(x + offset)·w` into an
//! int32 buffer the size of the output at `in·stride − pad + k`. Here each output
//! element gathers the same products instead — the input pixels `iy = (oy + pad − ky) /
//! stride` where that division is exact — so no output-sized scratch buffer is needed
//! (the firmware has none to spare) and the sums are the same integers (wrapping
//! addition is associative and commutative), hence the same bytes.

use crate::conv::{ConvParams, PerChannel};
use crate::mac::dot_i8_2rows;
use crate::KernelError;

/// Geometry of a transpose convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TransposeConvShape {
    /// Input height, width, channels.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Input channels.
    pub in_c: usize,
    /// Output height (the op's `output_shape`).
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
    /// Output channels (filters).
    pub out_c: usize,
    /// Kernel height.
    pub k_h: usize,
    /// Kernel width.
    pub k_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Rows cut from the top of the full (scattered) output.
    pub pad_h: usize,
    /// Columns cut from the left.
    pub pad_w: usize,
}

impl TransposeConvShape {
    /// Elements of the input tensor.
    pub fn input_len(&self) -> usize {
        self.in_h * self.in_w * self.in_c
    }
    /// Elements of the weight tensor.
    pub fn weights_len(&self) -> usize {
        self.out_c * self.k_h * self.k_w * self.in_c
    }
    /// Elements of the output tensor.
    pub fn output_len(&self) -> usize {
        self.out_h * self.out_w * self.out_c
    }
    /// Multiply-accumulates actually done: every (output, tap) pair that lands on an
    /// input pixel, times the input channels.
    pub fn macs(&self) -> u64 {
        let taps = |out: usize, k: usize, s: usize, pad: usize, inp: usize| {
            (0..out)
                .map(|o| {
                    (0..k)
                        .filter(|&t| self.source(o, t, s, pad, inp).is_some())
                        .count()
                })
                .sum::<usize>() as u64
        };
        let th = taps(self.out_h, self.k_h, self.stride_h, self.pad_h, self.in_h);
        let tw = taps(self.out_w, self.k_w, self.stride_w, self.pad_w, self.in_w);
        th * tw * (self.in_c * self.out_c) as u64
    }

    /// The input row (or column) that output `o` reads through tap `t`, if any.
    #[inline(always)]
    fn source(&self, o: usize, t: usize, stride: usize, pad: usize, inp: usize) -> Option<usize> {
        let n = (o + pad).checked_sub(t)?;
        (n % stride == 0 && n / stride < inp).then_some(n / stride)
    }

    fn check(
        &self,
        input: &[i8],
        weights: &[i8],
        bias: &[i32],
        q: &PerChannel<'_>,
        output: &[i8],
    ) -> Result<(), KernelError> {
        let dims = [
            self.in_h,
            self.in_w,
            self.in_c,
            self.out_h,
            self.out_w,
            self.out_c,
            self.k_h,
            self.k_w,
            self.stride_h,
            self.stride_w,
        ];
        if dims.contains(&0) {
            return Err(KernelError::BadShape);
        }
        let n = self.out_c;
        if input.len() < self.input_len()
            || weights.len() < self.weights_len()
            || output.len() < self.output_len()
            || bias.len() < n
            || q.multipliers.len() < n
            || q.shifts.len() < n
        {
            return Err(KernelError::BufferTooSmall);
        }
        Ok(())
    }
}

/// Calls `f(tap, input index)` for every tap of output index `o` (one dimension) that
/// lands on an input element: the taps `t ≡ o + pad (mod stride)`, the input index
/// falling by one per tap. One division per output index, none per tap.
#[inline(always)]
fn taps_1d(
    o: usize,
    pad: usize,
    k: usize,
    stride: usize,
    inp: usize,
    mut f: impl FnMut(usize, usize),
) {
    let n = o + pad;
    let (mut t, mut i) = (n % stride, n / stride);
    while t < k {
        if i < inp {
            f(t, i);
        }
        if i == 0 {
            break;
        }
        t += stride;
        i -= 1;
    }
}

/// Calls `f(input pixel, tap)` for every tap of output pixel (`oy`, `ox`) that lands
/// on an input pixel: the element offsets of the input row and of the tap in a filter.
#[inline(always)]
fn for_taps(s: &TransposeConvShape, oy: usize, ox: usize, mut f: impl FnMut(usize, usize)) {
    taps_1d(oy, s.pad_h, s.k_h, s.stride_h, s.in_h, |ky, iy| {
        taps_1d(ox, s.pad_w, s.k_w, s.stride_w, s.in_w, |kx, ix| {
            f((iy * s.in_w + ix) * s.in_c, (ky * s.k_w + kx) * s.in_c);
        });
    });
}

/// Transpose convolution, one output element at a time (the semantics).
#[allow(clippy::too_many_arguments)]
pub fn transpose_conv_reference(
    p: &ConvParams,
    s: TransposeConvShape,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    q: PerChannel<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    s.check(input, weights, bias, &q, output)?;
    crate::check_input_offset(p.input_offset)?;
    let filter = s.k_h * s.k_w * s.in_c;
    for oy in 0..s.out_h {
        for ox in 0..s.out_w {
            let base = (oy * s.out_w + ox) * s.out_c;
            for oc in 0..s.out_c {
                let w = &weights[oc * filter..(oc + 1) * filter];
                let mut acc = 0i32;
                for_taps(&s, oy, ox, |at, tap| {
                    for c in 0..s.in_c {
                        let x = input[at + c] as i32 + p.input_offset;
                        acc = acc.wrapping_add(x * w[tap + c] as i32);
                    }
                });
                acc = acc.wrapping_add(bias[oc]);
                output[base + oc] = q.requant(oc, acc, p.output_offset, p.act_min, p.act_max);
            }
        }
    }
    Ok(())
}

/// The same sums two output channels at a time through the crate's inner product
/// ([`crate::mac`]: SMLAD on cores with the DSP extension).
#[allow(clippy::too_many_arguments)]
pub fn transpose_conv_optimized(
    p: &ConvParams,
    s: TransposeConvShape,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    q: PerChannel<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    s.check(input, weights, bias, &q, output)?;
    crate::check_input_offset(p.input_offset)?;
    let filter = s.k_h * s.k_w * s.in_c;
    for oy in 0..s.out_h {
        for ox in 0..s.out_w {
            let base = (oy * s.out_w + ox) * s.out_c;
            let mut oc = 0;
            while oc < s.out_c {
                // An odd last channel pairs with itself; its second sum is dropped.
                let oc1 = (oc + 1).min(s.out_c - 1);
                let (w0, w1) = (&weights[oc * filter..], &weights[oc1 * filter..]);
                let mut acc = [0i32; 2];
                for_taps(&s, oy, ox, |at, tap| {
                    let x = &input[at..at + s.in_c];
                    let d = dot_i8_2rows(x, p.input_offset, &w0[tap..], &w1[tap..]);
                    acc[0] = acc[0].wrapping_add(d[0]);
                    acc[1] = acc[1].wrapping_add(d[1]);
                });
                for (k, &a) in acc.iter().enumerate().take(oc1 + 1 - oc) {
                    let c = oc + k;
                    let v = a.wrapping_add(bias[c]);
                    output[base + c] = q.requant(c, v, p.output_offset, p.act_min, p.act_max);
                }
                oc += 2;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(
        in_hw: usize,
        k: usize,
        stride: usize,
        pad: usize,
        out_hw: usize,
    ) -> TransposeConvShape {
        TransposeConvShape {
            in_h: in_hw,
            in_w: in_hw,
            in_c: 1,
            out_h: out_hw,
            out_w: out_hw,
            out_c: 1,
            k_h: k,
            k_w: k,
            stride_h: stride,
            stride_w: stride,
            pad_h: pad,
            pad_w: pad,
        }
    }

    /// The scatter form of TFLite's reference, written out for the test: int32 sums only.
    fn scatter(s: &TransposeConvShape, x: &[i8], w: &[i8], off: i32) -> Vec<i32> {
        let mut acc = vec![0i32; s.output_len()];
        for iy in 0..s.in_h {
            for ix in 0..s.in_w {
                for ic in 0..s.in_c {
                    for ky in 0..s.k_h {
                        for kx in 0..s.k_w {
                            let oy = (iy * s.stride_h + ky) as isize - s.pad_h as isize;
                            let ox = (ix * s.stride_w + kx) as isize - s.pad_w as isize;
                            if oy < 0 || ox < 0 || oy >= s.out_h as isize || ox >= s.out_w as isize
                            {
                                continue;
                            }
                            for oc in 0..s.out_c {
                                let xv = x[(iy * s.in_w + ix) * s.in_c + ic] as i32 + off;
                                let wv = w[((oc * s.k_h + ky) * s.k_w + kx) * s.in_c + ic] as i32;
                                acc[(oy as usize * s.out_w + ox as usize) * s.out_c + oc] +=
                                    xv * wv;
                            }
                        }
                    }
                }
            }
        }
        acc
    }

    #[test]
    fn gather_equals_scatter_and_both_variants_agree() {
        // Identity requantization (multiplier 2^30, shift 1 = ×1), wide clamp.
        let p = ConvParams {
            input_offset: 3,
            output_offset: 0,
            act_min: -128,
            act_max: 127,
        };
        for (s, stride, pad) in [(3, 2, 0), (3, 2, 1), (2, 3, 1), (1, 1, 0)] {
            let mut sh = shape(3, s, stride, pad, (3 - 1) * stride + s - 2 * pad);
            sh.in_c = 3;
            sh.out_c = 3;
            let x: Vec<i8> = (0..sh.input_len())
                .map(|i| (i as i32 % 7 - 3) as i8)
                .collect();
            let w: Vec<i8> = (0..sh.weights_len())
                .map(|i| (i as i32 % 5 - 2) as i8)
                .collect();
            let (m, sft) = ([1 << 30; 3], [1; 3]);
            let q = PerChannel {
                multipliers: &m,
                shifts: &sft,
            };
            let (mut a, mut b) = (vec![0i8; sh.output_len()], vec![0i8; sh.output_len()]);
            transpose_conv_reference(&p, sh, &x, &w, &[0; 3], q, &mut a).unwrap();
            transpose_conv_optimized(&p, sh, &x, &w, &[0; 3], q, &mut b).unwrap();
            let want: Vec<i8> = scatter(&sh, &x, &w, 3)
                .iter()
                .map(|&v| v.clamp(-128, 127) as i8)
                .collect();
            assert_eq!(a, want, "kernel {s} stride {stride} pad {pad}");
            assert_eq!(b, want, "optimized, kernel {s} stride {stride} pad {pad}");
        }
    }

    #[test]
    fn a_stride_2_kernel_2_upsample_copies_each_pixel_into_its_block() {
        // 2x2 input, 2x2 kernel of ones, stride 2: every input pixel fills its own block.
        let sh = shape(2, 2, 2, 0, 4);
        assert_eq!(sh.macs(), 16);
        let p = ConvParams {
            input_offset: 0,
            output_offset: 0,
            act_min: -128,
            act_max: 127,
        };
        let q = PerChannel {
            multipliers: &[1 << 30],
            shifts: &[1],
        };
        let mut y = [0i8; 16];
        transpose_conv_reference(&p, sh, &[1, 2, 3, 4], &[1; 4], &[10], q, &mut y).unwrap();
        assert_eq!(
            y,
            [11, 11, 12, 12, 11, 11, 12, 12, 13, 13, 14, 14, 13, 13, 14, 14]
        );
        let mut short = [0i8; 15];
        assert_eq!(
            transpose_conv_reference(&p, sh, &[1, 2, 3, 4], &[1; 4], &[10], q, &mut short),
            Err(KernelError::BufferTooSmall)
        );
    }
}
