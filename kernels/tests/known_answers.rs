//! Known-answer vectors, each derived by hand from the TFLite quantization spec
//! (`real = scale · (q − zero_point)`) and the reference kernel formulas; the working is
//! in the comments. Small on purpose: every number can be checked with pencil and paper.

use tinybench_kernels::case::*;
use tinybench_kernels::conv::{conv2d_optimized, conv2d_reference, conv2d_scratch_size};
use tinybench_kernels::depthwise::{depthwise_conv2d_optimized, depthwise_conv2d_reference};
use tinybench_kernels::elementwise::{add, mul};
use tinybench_kernels::pool::{avg_pool, max_pool};
use tinybench_kernels::quant::{exp_on_negative_values_q5_26, quantize_multiplier};
use tinybench_kernels::softmax::softmax;

const HALF: i32 = 1 << 30; // Q31 multiplier 0.5 · 2^shift … with shift 0: scale 0.5

fn conv_both(
    p: &ConvParams,
    s: &ConvShape,
    q: &PerChannel<'_>,
    x: &[i8],
    w: &[i8],
    b: &[i32],
) -> Vec<i8> {
    let mut r = vec![0; s.output_len()];
    conv2d_reference(p, s, q, x, w, b, &mut r).unwrap();
    let mut o = vec![0; s.output_len()];
    let mut scratch = vec![0i16; conv2d_scratch_size(s) / 2];
    conv2d_optimized(p, s, q, x, w, b, &mut o, &mut scratch).unwrap();
    assert_eq!(r, o, "optimized differs from reference");
    r
}

#[test]
fn conv2d_valid_two_channels() {
    // Input 3×3×1, zero point 1 → x + offset = [[0,1,2],[3,4,5],[6,7,8]].
    let x = [1i8, 2, 3, 4, 5, 6, 7, 8, 9];
    // Filter 0 = [[2,0],[0,−1]]: out = 2·v(y,x) − v(y+1,x+1) = −4, −3, −1, 0; + bias 10 →
    // 6, 7, 9, 10; · 0.5 (multiplier 2^30, shift 0) → 3, 3.5→4, 4.5→5, 5; + zero point 2 →
    // 5, 6, 7, 7.
    // Filter 1 = [[1,1],[1,1]]: window sums 8, 12, 20, 24; + 10 → 18, 22, 30, 34; · 0.25
    // (2^30, shift −1) → 4.5→5, 5.5→6, 7.5→8, 8.5→9; + 2 → 7, 8, 10, 11.
    let w = [2i8, 0, 0, -1, 1, 1, 1, 1];
    let b = [10, 10];
    let q = PerChannel {
        multipliers: &[HALF, HALF],
        shifts: &[0, -1],
    };
    let s = ConvShape {
        window: Window::new((3, 3), (2, 2), (1, 1), (1, 1), Padding::Valid).unwrap(),
        in_c: 1,
        out_c: 2,
    };
    let p = ConvParams {
        input_offset: -1,
        output_offset: 2,
        act_min: -128,
        act_max: 127,
    };
    assert_eq!(
        conv_both(&p, &s, &q, &x, &w, &b),
        [5, 7, 6, 8, 7, 10, 7, 11]
    );
}

#[test]
fn conv2d_same_padding_stride_and_clamp() {
    // Same input and filter 0, SAME padding: 3×3 output, total padding 1 → all after
    // (bottom/right), padded taps contribute 0. Stride 1.
    // Row 2: 2·v(2,x) only (row 3 is padding): 12, 14, 16 → +10 → 22, 24, 26 → ·0.5 →
    // 11, 12, 13 → +2 → 13, 14, 15. Column 2 of rows 0/1: 2·2=4, 2·5=10 → 14, 20 → 7, 10
    // → 9, 12. Clamp at 12 caps 13, 14, 15.
    let x = [1i8, 2, 3, 4, 5, 6, 7, 8, 9];
    let w = [2i8, 0, 0, -1];
    let q = PerChannel {
        multipliers: &[HALF],
        shifts: &[0],
    };
    let s = ConvShape {
        window: Window::new((3, 3), (2, 2), (1, 1), (1, 1), Padding::Same).unwrap(),
        in_c: 1,
        out_c: 1,
    };
    let p = ConvParams {
        input_offset: -1,
        output_offset: 2,
        act_min: -128,
        act_max: 12,
    };
    assert_eq!(
        conv_both(&p, &s, &q, &x, &w, &[10]),
        [5, 6, 9, 7, 7, 12, 12, 12, 12]
    );
    // Stride 2, dilation 2, VALID on a 5×5 input v(r, c) = r² + c (zero point 0): the
    // dilated 2×2 kernel spans 3, so the output is (5 − 3)/2 + 1 = 2 per axis. Filter
    // [[0,0],[0,1]] picks tap (1,1) = v(2·oy + 2, 2·ox + 2): 6, 8, 18, 20; + bias 7 → 13,
    // 15, 25, 27; · 0.5 → 6.5→7, 7.5→8, 12.5→13, 13.5→14.
    let x: Vec<i8> = (0..25).map(|i| ((i / 5) * (i / 5) + i % 5) as i8).collect();
    let s = ConvShape {
        window: Window::new((5, 5), (2, 2), (2, 2), (2, 2), Padding::Valid).unwrap(),
        in_c: 1,
        out_c: 1,
    };
    let p = ConvParams {
        input_offset: 0,
        output_offset: 0,
        act_min: -128,
        act_max: 127,
    };
    assert_eq!(
        conv_both(&p, &s, &q, &x, &[0, 0, 0, 1], &[7]),
        [7, 8, 13, 14]
    );
}

#[test]
fn depthwise_multiplier_two() {
    // 2×2 input, 2 channels (zero point 0): ch0 = 1,2,3,4; ch1 = −1,−2,−3,−4. 2×2 VALID
    // kernel, depth multiplier 2 → output channels (ic, m) = 0:(0,0) 1:(0,1) 2:(1,0) 3:(1,1).
    // Weights per tap [oc0, oc1, oc2, oc3]: oc0 all 1 → 10; oc1 = 1,0,0,−1 → 1 − 4 = −3;
    // oc2 all 1 → −10; oc3 = 0,1,1,0 → −2 − 3 = −5. Scale 1 (2^30, shift 1), clamp at −8.
    let x = [1i8, -1, 2, -2, 3, -3, 4, -4];
    let w = [1i8, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, -1, 1, 0];
    let q = PerChannel {
        multipliers: &[HALF; 4],
        shifts: &[1; 4],
    };
    let s = DepthwiseShape {
        window: Window::new((2, 2), (2, 2), (1, 1), (1, 1), Padding::Valid).unwrap(),
        in_c: 2,
        depth_multiplier: 2,
    };
    let p = ConvParams {
        input_offset: 0,
        output_offset: 0,
        act_min: -8,
        act_max: 127,
    };
    let (mut r, mut o) = ([0i8; 4], [0i8; 4]);
    depthwise_conv2d_reference(&p, &s, &q, &x, &w, &[0; 4], &mut r).unwrap();
    depthwise_conv2d_optimized(&p, &s, &q, &x, &w, &[0; 4], &mut o).unwrap();
    assert_eq!(r, [10, -3, -8, -5]);
    assert_eq!(o, r);
}

#[test]
fn pooling_rounds_and_clips_to_the_input() {
    let all = PoolParams {
        act_min: -128,
        act_max: 127,
    };
    let s = PoolShape {
        window: Window::new((2, 2), (2, 2), (1, 1), (1, 1), Padding::Valid).unwrap(),
        channels: 2,
    };
    // ch0: 1,2,3,5 → 11/4 = 2.75 → 3; ch1: −1,−2,−3,−5 → −2.75 → −3.
    let x = [1i8, -1, 2, -2, 3, -3, 5, -5];
    let mut y = [0i8; 2];
    avg_pool(&all, &s, &x, &mut y).unwrap();
    assert_eq!(y, [3, -3]);
    max_pool(&all, &s, &x, &mut y).unwrap();
    assert_eq!(y, [5, -1]);
    // 1×2 windows, ties: (1+2)/2 = 1.5 → 2, (−1−2)/2 = −1.5 → −2 (half away from zero).
    let s = PoolShape {
        window: Window::new((1, 2), (1, 2), (1, 1), (1, 1), Padding::Valid).unwrap(),
        channels: 2,
    };
    avg_pool(&all, &s, &[1, -1, 2, -2], &mut y).unwrap();
    assert_eq!(y, [2, -2]);
    // SAME 3×3 input, 2×2 window, stride 2: output 2×2, padding after; output (1,1) sees
    // only x(2,2) = 9, output (0,1) sees 3 and 6 → 4.5 → 5. Clamp at 8.
    let s = PoolShape {
        window: Window::new((3, 3), (2, 2), (2, 2), (1, 1), Padding::Same).unwrap(),
        channels: 1,
    };
    let x = [1i8, 2, 3, 4, 5, 6, 7, 8, 9];
    let mut y = [0i8; 4];
    avg_pool(
        &PoolParams {
            act_min: -128,
            act_max: 8,
        },
        &s,
        &x,
        &mut y,
    )
    .unwrap();
    assert_eq!(y, [3, 5, 8, 8]);
}

#[test]
fn softmax_known_rows() {
    // Four equal logits: each probability 1/4; output scale 1/256, zero point −128 →
    // 64 − 128 = −64.
    let p = SoftmaxParams::new(0.1, 1.0);
    let mut y = [0i8; 4];
    softmax(
        &p,
        &SoftmaxShape { rows: 1, depth: 4 },
        &[5, 5, 5, 5],
        &mut y,
    )
    .unwrap();
    assert_eq!(y, [-64; 4]);
    // Input scale 1: 127 vs −128 differ by 255 ≫ the input radius (diff_min = −15), so the
    // small one is exactly −128 and the large one saturates at 127 (probability 1 → 256).
    let p = SoftmaxParams::new(1.0, 1.0);
    assert_eq!(p.diff_min, -15);
    let mut y = [0i8; 2];
    softmax(
        &p,
        &SoftmaxShape { rows: 1, depth: 2 },
        &[127, -128],
        &mut y,
    )
    .unwrap();
    assert_eq!(y, [127, -128]);
    // exp(0) is one (saturated Q0.31); exp(−1) ≈ 0.36788 · 2^31 (Q5.26 input −2^26).
    assert_eq!(exp_on_negative_values_q5_26(0), i32::MAX);
    let e1 = exp_on_negative_values_q5_26(-(1 << 26)) as f64 / 2f64.powi(31);
    assert!((e1 - (-1f64).exp()).abs() < 1e-6, "{e1}");
}

#[test]
fn add_and_mul_requantize() {
    // add: scales 1.0 (zp 0) and 0.5 (zp −10), output 0.25 (zp 5): 3 → 3.0; 0 → 5.0;
    // sum 8.0 → 32 + 5 = 37. Second pair: −4 → −4.0, −20 → −5.0; −9.0 → −36 + 5 = −31.
    let p = AddParams::new((1.0, 0), (0.5, -10), (0.25, 5), (-128, 127));
    let mut y = [0i8; 2];
    add(&p, 2, &[3, -4], &[0, -20], &mut y).unwrap();
    assert_eq!(y, [37, -31]);
    // mul: 0.5 · 0.25 / 0.125 = 1.0 → (2^30, 1). 4·0.5 = 2.0 times −8·0.25 = −2.0 → −4.0
    // → −32 + 3 = −29; 100 · 0.5 · 100 · 0.25 = 1250 → clamps to 127.
    let (m, s) = quantize_multiplier(1.0);
    assert_eq!((m, s), (1 << 30, 1));
    let p = MulParams {
        input1_offset: 0,
        input2_offset: 0,
        output_multiplier: m,
        output_shift: s,
        output_offset: 3,
        act_min: -128,
        act_max: 127,
    };
    mul(&p, 2, &[4, 100], &[-8, 100], &mut y).unwrap();
    assert_eq!(y, [-29, 127]);
}
