//! Known answers of the 16x8 kernels (int16 activations, int8 weights, int64 bias),
//! worked by hand from LiteRT's reference semantics: products summed in 64 bits, the
//! bias added, the 64-bit `MultiplyByQuantizedMultiplier` (multiplier rounded to Q15,
//! one rounding half up), the clamp. The ties (x.5) are where that rounding differs from
//! the int8 kernels' two-step rounding (half away from zero).

use tinybench_kernels::case::{ConvShape, DepthwiseShape, FcShape};
use tinybench_kernels::int16x8::{add_16x8, Add16};
use tinybench_kernels::int16x8::{
    conv2d_16x8, depthwise_conv2d_16x8, fully_connected_16x8, get16, lut_lookup, put16, Operands16,
    Params16, LUT_LEN,
};
use tinybench_kernels::quant::multiply_by_quantized_multiplier_64;
use tinybench_kernels::window::{Padding, Window};
use tinybench_kernels::KernelError;

const HALF: i32 = 1 << 30; // Q31 0.5; Q15 after the reduction: 16384, still exactly 0.5.
const FULL: Params16 = Params16 {
    act_min: i16::MIN,
    act_max: i16::MAX,
};

fn bytes(v: &[i16]) -> Vec<i8> {
    let mut b = vec![0i8; 2 * v.len()];
    for (i, &x) in v.iter().enumerate() {
        put16(&mut b, i, x);
    }
    b
}

fn values(b: &[i8]) -> Vec<i16> {
    (0..b.len() / 2).map(|i| get16(b, i)).collect()
}

/// int64 biases as the blob holds them: low word, high word.
fn bias(v: &[i64]) -> Vec<i32> {
    v.iter()
        .flat_map(|&b| [b as u32 as i32, (b >> 32) as i32])
        .collect()
}

#[test]
fn the_64_bit_multiply_rounds_the_multiplier_to_q15_then_once_half_up() {
    // 0.5: −35001 · 0.5 = −17500.5, + 0.5 → −17500 (two-step rounding gives −17501).
    assert_eq!(multiply_by_quantized_multiplier_64(-35001, HALF, 0), -17500);
    assert_eq!(multiply_by_quantized_multiplier_64(35001, HALF, 0), 17501);
    // m = 1518500250 (≈ 0.70711): Q15 (m + 2^15) >> 16 = 23170. With shift −3:
    // (123456789 · 23170 + 2^17) >> 18 = 2860493932202 >> 18 = 10911918 (the exact
    // product, 10912141.6, shows the multiplier lost its low 16 bits).
    assert_eq!(
        multiply_by_quantized_multiplier_64(123_456_789, 1_518_500_250, -3),
        10_911_918
    );
    // A multiplier at or above 0x7FFF0000 saturates to 0x7FFF: 2^20 · 32767 / 2^15.
    assert_eq!(
        multiply_by_quantized_multiplier_64(1 << 20, i32::MAX, 0),
        32767 << 5
    );
}

fn fc(p: &Params16, shifts: &[i32]) -> Vec<i16> {
    // x = [1000, −2000, 30000]; rows [3, 4, −1] and [−5, 127, 2].
    let x = bytes(&[1000, -2000, 30000]);
    let w = [3i8, 4, -1, -5, 127, 2];
    // Channel 0: 3000 − 8000 − 30000 = −35000, bias −1 → −35001; · 0.5 → −17500.
    // Channel 1: −5000 − 254000 + 60000 = −199000, bias 3·10^9 (beyond int32) →
    // 2999801000; · 0.5 · 2^−18 = 2999801000 / 2^19 = 5721.67 → 5722.
    let b = bias(&[-1, 3_000_000_000]);
    let mut y = vec![0i8; 4];
    let shape = FcShape {
        batches: 1,
        in_features: 3,
        out_features: 2,
    };
    let o = Operands16 {
        input: &x,
        weights: &w,
        bias: &b,
        multipliers: &[HALF, HALF],
        shifts,
        output: &mut y,
    };
    fully_connected_16x8(p, &shape, o).unwrap();
    values(&y)
}

#[test]
fn fully_connected_sums_in_64_bits_with_an_int64_bias() {
    assert_eq!(fc(&FULL, &[0, -18]), [-17500, 5722]);
    // Fused RELU: the int16 range from real 0 (zero point 0) up.
    let relu = Params16 {
        act_min: 0,
        act_max: i16::MAX,
    };
    assert_eq!(fc(&relu, &[0, -18]), [0, 5722]);
}

#[test]
fn fully_connected_keeps_the_whole_multiplier_unlike_the_convolutions() {
    // 12345 · 100 = 1234500, multiplier 1518500250 (≈ 0.70711), shift −5:
    // (1234500 · 1518500250 + 2^35) >> 36 = 27279 (exactly 27278.85). The convolutions'
    // Q15 multiplier 23170 would give (1234500 · 23170 + 2^19) >> 20 = 27278.
    let x = bytes(&[12345]);
    let b = bias(&[0]);
    let mut y = vec![0i8; 2];
    let shape = FcShape {
        batches: 1,
        in_features: 1,
        out_features: 1,
    };
    let o = Operands16 {
        input: &x,
        weights: &[100],
        bias: &b,
        multipliers: &[1_518_500_250],
        shifts: &[-5],
        output: &mut y,
    };
    fully_connected_16x8(&FULL, &shape, o).unwrap();
    assert_eq!(values(&y), [27279]);
    assert_eq!(
        multiply_by_quantized_multiplier_64(1_234_500, 1_518_500_250, -5),
        27278
    );
}

#[test]
fn a_shift_outside_litert_range_is_refused() {
    let x = bytes(&[1]);
    let b = bias(&[0]);
    let mut y = vec![0i8; 2];
    let shape = FcShape {
        batches: 1,
        in_features: 1,
        out_features: 1,
    };
    let o = Operands16 {
        input: &x,
        weights: &[1],
        bias: &b,
        multipliers: &[HALF],
        shifts: &[8],
        output: &mut y,
    };
    assert_eq!(
        fully_connected_16x8(&FULL, &shape, o),
        Err(KernelError::BadParams)
    );
}

#[test]
fn conv2d_saturates_to_int16() {
    // Input 1×4×1 [100, −200, 300, 32767], one filter 1×2 [2, −3], VALID → 1×3:
    // 200 + 600 = 800 → 400; −400 − 900 = −1300 → −650; 600 − 98301 = −97701 →
    // −48850.5 → −48850 → clamped to −32768.
    let window = Window::new((1, 4), (1, 2), (1, 1), (1, 1), Padding::Valid).unwrap();
    let shape = ConvShape {
        window,
        in_c: 1,
        out_c: 1,
    };
    let x = bytes(&[100, -200, 300, 32767]);
    let b = bias(&[0]);
    let mut y = vec![0i8; 6];
    let o = Operands16 {
        input: &x,
        weights: &[2, -3],
        bias: &b,
        multipliers: &[HALF],
        shifts: &[0],
        output: &mut y,
    };
    conv2d_16x8(&FULL, &shape, o).unwrap();
    assert_eq!(values(&y), [400, -650, -32768]);
}

#[test]
fn depthwise_rounds_ties_up() {
    // Input 1×2×2: pixel 0 (10, −20), pixel 1 (30, 40); filter 1×2 per channel, 1HWO:
    // tap 0 (1, 2), tap 1 (3, −1). Channel 0: 10 + 90 = 100, bias 5 → 105 · 0.5 = 52.5
    // → 53; channel 1: −40 − 40 = −80, bias −5 → −85 · 0.5 = −42.5 → −42.
    let window = Window::new((1, 2), (1, 2), (1, 1), (1, 1), Padding::Valid).unwrap();
    let shape = DepthwiseShape {
        window,
        in_c: 2,
        depth_multiplier: 1,
    };
    let x = bytes(&[10, -20, 30, 40]);
    let b = bias(&[5, -5]);
    let mut y = vec![0i8; 4];
    let o = Operands16 {
        input: &x,
        weights: &[1, 2, 3, -1],
        bias: &b,
        multipliers: &[HALF, HALF],
        shifts: &[0, 0],
        output: &mut y,
    };
    depthwise_conv2d_16x8(&FULL, &shape, o).unwrap();
    assert_eq!(values(&y), [53, -42]);
}

#[test]
fn short_buffers_are_refused_not_read() {
    let window = Window::new((1, 2), (1, 2), (1, 1), (1, 1), Padding::Valid).unwrap();
    let shape = DepthwiseShape {
        window,
        in_c: 2,
        depth_multiplier: 1,
    };
    let x = bytes(&[10, -20, 30]); // one int16 short
    let b = bias(&[5, -5]);
    let mut y = vec![0i8; 4];
    let o = Operands16 {
        input: &x,
        weights: &[1, 2, 3, -1],
        bias: &b,
        multipliers: &[HALF, HALF],
        shifts: &[0, 0],
        output: &mut y,
    };
    assert_eq!(
        depthwise_conv2d_16x8(&FULL, &shape, o),
        Err(KernelError::BufferTooSmall)
    );
}

#[test]
fn the_int16_table_lookup_interpolates_between_its_513_points() {
    // The identity on 128-wide intervals: lut[i] = (i − 256) · 128, the last point
    // 32767 (32768 does not fit). Index = 256 + (v >> 7), offset = v & 127, value =
    // lut[i] + ((lut[i + 1] − lut[i]) · offset + 64) >> 7.
    let table: Vec<i16> = (0..LUT_LEN as i32)
        .map(|i| ((i - 256) * 128).min(32767) as i16)
        .collect();
    let lut = bytes(&table);
    for v in [-32768i16, -129, -1, 0, 1, 200, 32639] {
        assert_eq!(lut_lookup(v, &lut), v, "{v}");
    }
    // The last interval's slope is 127: 32767 → 32640 + (127 · 127 + 64) >> 7 = 32766.
    assert_eq!(lut_lookup(32767, &lut), 32766);
    // Halfway rounds up: slope 1 (a table of 0, 1, 2, … over the intervals), offset 64
    // → (64 + 64) >> 7 = 1; offset 63 → 0.
    let slow: Vec<i16> = (0..LUT_LEN as i16).collect();
    let lut = bytes(&slow);
    assert_eq!(lut_lookup(64, &lut), 256 + 1);
    assert_eq!(lut_lookup(63, &lut), 256);
}

#[test]
fn add_rescales_both_inputs_and_rounds_half_away_from_zero() {
    // Scales 1 and 1 into 2: twice the larger input scale is 2, so each input is halved
    // (multiplier 2^30, shift 0) after the 2^15 headroom, and the sum is scaled by
    // 2 / (2^15 · 2) = 2^−15 (2^30, shift −14). 1000 + 3000 → 2000; 1 + 2: 16384 + 32768
    // = 49152 → 49152 · 0.5 / 2^14 = 1.5 → 2 (half away from zero), and −1.5 → −2.
    let p = Add16::new(3, (1.0, 1.0), 2.0, (i16::MIN, i16::MAX));
    assert_eq!(
        (
            p.input1_multiplier,
            p.input1_shift,
            p.output_multiplier,
            p.output_shift
        ),
        (1 << 30, 0, 1 << 30, -14)
    );
    let (a, b) = (bytes(&[1000, 1, -1]), bytes(&[3000, 2, -2]));
    let mut y = vec![0i8; 6];
    add_16x8(&p, &a, &b, &mut y).unwrap();
    assert_eq!(values(&y), [2000, 2, -2]);
    // A fused RELU clamps at real 0.
    let relu = Add16::new(3, (1.0, 1.0), 2.0, (0, i16::MAX));
    add_16x8(&relu, &a, &b, &mut y).unwrap();
    assert_eq!(values(&y), [2000, 2, 0]);
}
