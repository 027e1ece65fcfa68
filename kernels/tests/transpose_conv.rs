//! The reference transpose convolution (gathering) against TFLite's scatter formulation
//! written out here, and the optimized one (two output channels per inner product, SMLAD
//! on DSP cores) against the reference, byte for byte, on random shapes, strides,
//! paddings, zero points, per-channel multipliers and shifts; the host runs the portable
//! inner product, the corpus's conv autoencoder the DSP one on sim-cortex-m4.

use proptest::prelude::*;
use tinybench_kernels::case::{ConvParams, PerChannel};
use tinybench_kernels::quant::multiply_by_quantized_multiplier;
use tinybench_kernels::rng::Rng;
use tinybench_kernels::transpose_conv::{
    transpose_conv_optimized, transpose_conv_reference, TransposeConvShape,
};

/// TFLite's reference order: every input pixel scatters `(x + offset)·w` into an int32
/// buffer the size of the output, then bias, requantization, clamp.
fn scatter(
    s: &TransposeConvShape,
    x: &[i8],
    w: &[i8],
    bias: &[i32],
    q: &PerChannel<'_>,
    p: &ConvParams,
) -> Vec<i8> {
    let mut acc = vec![0i32; s.output_len()];
    for iy in 0..s.in_h {
        for ix in 0..s.in_w {
            for ic in 0..s.in_c {
                for ky in 0..s.k_h {
                    for kx in 0..s.k_w {
                        let oy = (iy * s.stride_h + ky) as isize - s.pad_h as isize;
                        let ox = (ix * s.stride_w + kx) as isize - s.pad_w as isize;
                        if oy < 0 || ox < 0 || oy >= s.out_h as isize || ox >= s.out_w as isize {
                            continue;
                        }
                        for oc in 0..s.out_c {
                            let xv = x[(iy * s.in_w + ix) * s.in_c + ic] as i32 + p.input_offset;
                            let wv = w[((oc * s.k_h + ky) * s.k_w + kx) * s.in_c + ic] as i32;
                            acc[(oy as usize * s.out_w + ox as usize) * s.out_c + oc] += xv * wv;
                        }
                    }
                }
            }
        }
    }
    acc.iter()
        .enumerate()
        .map(|(i, &a)| {
            let c = i % s.out_c;
            let v = multiply_by_quantized_multiplier(a + bias[c], q.multipliers[c], q.shifts[c]);
            (v + p.output_offset).clamp(p.act_min as i32, p.act_max as i32) as i8
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn reference_equals_scatter_and_optimized_equals_reference(
        (in_h, in_w, in_c, out_c) in (1usize..5, 1usize..5, 1usize..10, 1usize..7),
        (k_h, k_w, stride_h, stride_w) in (1usize..4, 1usize..4, 1usize..4, 1usize..4),
        (pad_h, pad_w, extra_h, extra_w) in (0usize..2, 0usize..2, 0usize..3, 0usize..3),
        (seed, zp_in, zp_out, shift) in (any::<u32>(), -128i32..=127, -128i32..=127, -12i32..=2),
    ) {
        let out = |i: usize, k: usize, s: usize, pad: usize, extra: usize| {
            ((i - 1) * s + k + extra).saturating_sub(2 * pad).max(1)
        };
        let s = TransposeConvShape {
            in_h, in_w, in_c,
            out_h: out(in_h, k_h, stride_h, pad_h, extra_h),
            out_w: out(in_w, k_w, stride_w, pad_w, extra_w),
            out_c, k_h, k_w, stride_h, stride_w, pad_h, pad_w,
        };
        let mut rng = Rng::new(seed);
        let mut x = vec![0i8; s.input_len()];
        let mut w = vec![0i8; s.weights_len()];
        rng.fill_i8(&mut x);
        rng.fill_i8(&mut w);
        let bias: Vec<i32> = (0..out_c).map(|c| c as i32 * 97 - 200).collect();
        let mult: Vec<i32> = (0..out_c).map(|c| (1 << 30) + c as i32 * 12_345_678).collect();
        let shifts: Vec<i32> = (0..out_c).map(|c| shift - (c as i32 % 3)).collect();
        let q = PerChannel { multipliers: &mult, shifts: &shifts };
        let p = ConvParams { input_offset: -zp_in, output_offset: zp_out, act_min: -100, act_max: 120 };
        let (mut a, mut b) = (vec![0i8; s.output_len()], vec![1i8; s.output_len()]);
        transpose_conv_reference(&p, s, &x, &w, &bias, q, &mut a).unwrap();
        transpose_conv_optimized(&p, s, &x, &w, &bias, q, &mut b).unwrap();
        prop_assert_eq!(&a, &scatter(&s, &x, &w, &bias, &q, &p));
        prop_assert_eq!(a, b);
    }
}
