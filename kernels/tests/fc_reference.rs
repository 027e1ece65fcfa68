//! The fully-connected kernel against a reference written independently here: plain
//! index arithmetic, 128-bit intermediates, and LiteRT's single-rounding requantization
//! spelled out with floor division instead of the crate's shifts.

use proptest::prelude::*;
use tinybench_kernels::fc::{fully_connected, FcParams, FcShape};
use tinybench_kernels::rng::Rng;

/// LiteRT's fully-connected requantization (see `quant::multiply_by_quantized_multiplier_single_rounding`):
/// `acc · mult / 2^(31 − shift)` rounded once, ties toward +∞, via floor division on i128.
fn requant(acc: i32, mult: i32, shift: i32) -> i32 {
    let p = acc as i128 * mult as i128;
    let d = 1i128 << (31 - shift);
    (p + d / 2).div_euclid(d) as i32
}

fn reference(p: &FcParams, s: FcShape, x: &[i8], w: &[i8], b: &[i32]) -> Vec<i8> {
    let mut y = vec![0i8; s.batches * s.out_features];
    for n in 0..s.batches {
        for o in 0..s.out_features {
            let mut acc: i64 = b[o] as i64;
            for i in 0..s.in_features {
                let xv = x[n * s.in_features + i] as i64 + p.input_offset as i64;
                let wv = w[o * s.in_features + i] as i64 + p.weights_offset as i64;
                acc += xv * wv;
            }
            let v = requant(acc as i32, p.output_multiplier, p.output_shift) as i64
                + p.output_offset as i64;
            y[n * s.out_features + o] = v.clamp(p.act_min as i64, p.act_max as i64) as i8;
        }
    }
    y
}

fn case(seed: u32, s: FcShape, p: FcParams) -> (Vec<i8>, Vec<i8>) {
    let mut rng = Rng::new(seed);
    let mut x = vec![0i8; s.batches * s.in_features];
    let mut w = vec![0i8; s.out_features * s.in_features];
    let mut b = vec![0i32; s.out_features];
    rng.fill_i8(&mut x);
    rng.fill_i8(&mut w);
    rng.fill_i32(&mut b, 10_000);
    let mut y = vec![0i8; s.batches * s.out_features];
    fully_connected(&p, s, &x, &w, &b, &mut y).unwrap();
    (y, reference(&p, s, &x, &w, &b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn matches_reference(
        seed in any::<u32>(),
        batches in 1usize..4, inp in 1usize..80, out in 1usize..40,
        in_zp in -128i32..=127, out_zp in -128i32..=127,
        mult in (1i32 << 30)..i32::MAX, shift in -12i32..=2,
        relu in any::<bool>(),
    ) {
        let p = FcParams {
            input_offset: -in_zp, weights_offset: 0, output_offset: out_zp,
            output_multiplier: mult, output_shift: shift,
            act_min: if relu { out_zp as i8 } else { -128 }, act_max: 127,
        };
        let (got, want) = case(seed, FcShape { batches, in_features: inp, out_features: out }, p);
        prop_assert_eq!(got, want);
    }
}

#[test]
fn rejects_short_buffers_and_zero_shapes() {
    let p = FcParams {
        input_offset: 0,
        weights_offset: 0,
        output_offset: 0,
        output_multiplier: 1 << 30,
        output_shift: 0,
        act_min: -128,
        act_max: 127,
    };
    let s = FcShape {
        batches: 1,
        in_features: 4,
        out_features: 2,
    };
    let mut y = [0i8; 2];
    assert!(fully_connected(&p, s, &[0; 3], &[0; 8], &[0; 2], &mut y).is_err());
    assert!(fully_connected(&p, s, &[0; 4], &[0; 8], &[0; 1], &mut y).is_err());
    let zero = FcShape {
        batches: 1,
        in_features: 0,
        out_features: 2,
    };
    assert!(fully_connected(&p, zero, &[], &[], &[0; 2], &mut y).is_err());
    assert!(fully_connected(&p, s, &[0; 4], &[0; 8], &[0; 2], &mut y).is_ok());
}

#[test]
fn saturates_and_clamps() {
    // All-max inputs with a large multiplier saturate at the activation bound.
    let p = FcParams {
        input_offset: 0,
        weights_offset: 0,
        output_offset: 0,
        output_multiplier: i32::MAX,
        output_shift: 0,
        act_min: -128,
        act_max: 100,
    };
    let s = FcShape {
        batches: 1,
        in_features: 16,
        out_features: 1,
    };
    let mut y = [0i8; 1];
    fully_connected(&p, s, &[127; 16], &[127; 16], &[0], &mut y).unwrap();
    assert_eq!(y[0], 100);
    fully_connected(&p, s, &[127; 16], &[-128; 16], &[0], &mut y).unwrap();
    assert_eq!(y[0], -128);
}
