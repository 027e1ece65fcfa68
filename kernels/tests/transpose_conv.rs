//! The optimized transpose convolution (two output channels per inner product, SMLAD on
//! DSP cores) against the reference one, byte for byte, on random shapes, strides,
//! paddings, zero points, per-channel multipliers and shifts; the host runs the portable
//! inner product, the corpus's conv autoencoder the DSP one on sim-cortex-m4.

use proptest::prelude::*;
use tinybench_kernels::case::{ConvParams, PerChannel};
use tinybench_kernels::rng::Rng;
use tinybench_kernels::transpose_conv::{
    transpose_conv_optimized, transpose_conv_reference, TransposeConvShape,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn optimized_equals_reference(
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
        prop_assert_eq!(a, b);
    }
}
