//! Every optimized kernel against its reference, byte for byte, on random shapes, zero
//! points, per-channel multipliers, shifts, paddings, strides and dilations — plus the
//! edge cases named in the issue (1×1, odd channel counts, zero points −128/127, shift
//! extremes). On the host the optimized path is the portable one; the DSP path is checked
//! the same way on the emulated Cortex-M4 by the harness's kernels-suite test.

use proptest::prelude::*;
use tinybench_kernels::case::{self, *};
use tinybench_kernels::KernelError;

/// Buffers sized exactly as the op says (so an out-of-bounds access would panic).
struct Bufs {
    input: Vec<i8>,
    weights: Vec<i8>,
    bias: Vec<i32>,
    mult: Vec<i32>,
    shift: Vec<i32>,
    output: Vec<i8>,
    scratch: Vec<i16>,
}

impl Bufs {
    fn new(op: &Op) -> Bufs {
        let s = op.sizes();
        Bufs {
            input: vec![0; s.input],
            weights: vec![0; s.weights],
            bias: vec![0; s.bias],
            mult: vec![0; s.channels],
            shift: vec![0; s.channels],
            output: vec![0x55; s.output],
            scratch: vec![0; s.scratch],
        }
    }
    fn ws(&mut self) -> Workspace<'_> {
        Workspace {
            input: &mut self.input,
            weights: &mut self.weights,
            bias: &mut self.bias,
            multipliers: &mut self.mult,
            shifts: &mut self.shift,
            output: &mut self.output,
            scratch: &mut self.scratch,
        }
    }
}

/// Output of `variant` on the seeded case, with the per-channel shifts overridden by
/// `shifts` (cycled) so extremes get exercised.
fn output(op: &Op, seed: u32, variant: Variant, shifts: &[i32]) -> Result<Vec<i8>, KernelError> {
    let mut b = Bufs::new(op);
    case::fill(seed, op, &mut b.ws());
    for (s, v) in b.shift.iter_mut().zip(shifts.iter().cycle()) {
        *s = *v;
    }
    case::run(op, variant, &mut b.ws())?;
    Ok(b.output)
}

fn assert_same(op: &Op, seed: u32, shifts: &[i32]) -> Result<(), TestCaseError> {
    let r = output(op, seed, Variant::Reference, shifts);
    let o = output(op, seed, Variant::Optimized, shifts);
    prop_assert_eq!(&r, &o, "op {:?}", op);
    prop_assert!(r.is_ok(), "kernel refused a valid case: {:?}", r);
    Ok(())
}

fn act() -> impl Strategy<Value = (i8, i8)> {
    prop_oneof![
        Just((-128i8, 127i8)),
        (any::<i8>(), any::<i8>()).prop_map(|(a, b)| (a.min(b), a.max(b))),
    ]
}

fn zp() -> impl Strategy<Value = i32> {
    prop_oneof![Just(-128), Just(127), Just(0), -128i32..=127]
}

fn shifts() -> impl Strategy<Value = Vec<i32>> {
    // −31 (the smallest TFLite produces) up to a few left shifts. Half the cases have
    // right shifts only, the form the optimized conv/depthwise requantize fast (a layer
    // with any other channel runs the reference), so both paths are exercised.
    prop_oneof![
        proptest::collection::vec(prop_oneof![Just(-31), Just(-1), -31i32..=-1], 1..5),
        proptest::collection::vec(prop_oneof![Just(-31), Just(0), Just(10), -31i32..=10], 1..5),
    ]
}

fn window() -> impl Strategy<Value = Window> {
    (
        1usize..9,
        1usize..9,
        1usize..4,
        1usize..4,
        1usize..4,
        1usize..4,
        1usize..3,
        1usize..3,
        any::<bool>(),
    )
        .prop_filter_map(
            "window does not fit",
            |(h, w, kh, kw, sh, sw, dh, dw, same)| {
                let pad = if same { Padding::Same } else { Padding::Valid };
                Window::new((h, w), (kh, kw), (sh, sw), (dh, dw), pad).ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn conv2d(w in window(), in_c in 1usize..10, out_c in 1usize..10, in_zp in zp(), out_zp in zp(),
              (lo, hi) in act(), seed in any::<u32>(), sh in shifts()) {
        let op = Op::Conv2d {
            shape: ConvShape { window: w, in_c, out_c },
            params: ConvParams { input_offset: -in_zp, output_offset: out_zp, act_min: lo, act_max: hi },
            output_shift: 0,
        };
        assert_same(&op, seed, &sh)?;
    }

    #[test]
    fn depthwise(w in window(), in_c in 1usize..12, dm in prop_oneof![Just(1usize), 1usize..4],
                 in_zp in zp(), out_zp in zp(), (lo, hi) in act(), seed in any::<u32>(), sh in shifts()) {
        let op = Op::DepthwiseConv2d {
            shape: DepthwiseShape { window: w, in_c, depth_multiplier: dm },
            params: ConvParams { input_offset: -in_zp, output_offset: out_zp, act_min: lo, act_max: hi },
            output_shift: 0,
        };
        assert_same(&op, seed, &sh)?;
    }

    #[test]
    fn fully_connected(batches in 1usize..4, inf in 1usize..70, outf in 1usize..20, in_zp in zp(),
                       out_zp in zp(), (lo, hi) in act(), m in (1i32 << 30)..i32::MAX,
                       s in prop_oneof![Just(-31), Just(10), -31i32..=10], seed in any::<u32>()) {
        let op = Op::FullyConnected {
            shape: FcShape { batches, in_features: inf, out_features: outf },
            params: FcParams { input_offset: -in_zp, weights_offset: 0, output_offset: out_zp,
                               output_multiplier: m, output_shift: s, act_min: lo, act_max: hi },
        };
        assert_same(&op, seed, &[0])?;
    }
}

/// The named edge cases, deterministically: 1×1 everything, odd channel counts,
/// extreme zero points and shifts, dilation with SAME padding.
#[test]
fn edge_cases() {
    let one = Window::new((1, 1), (1, 1), (1, 1), (1, 1), Padding::Valid).unwrap();
    let odd = Window::new((7, 5), (3, 3), (2, 1), (1, 2), Padding::Same).unwrap();
    for w in [one, odd] {
        for (in_c, out_c) in [(1, 1), (3, 5), (7, 1), (1, 7), (13, 9)] {
            for (in_zp, out_zp) in [(-128, 127), (127, -128), (0, 0)] {
                for shifts in [[-31, 10], [0, -1], [10, -31], [-31, -1], [-7, -12]] {
                    let params = ConvParams {
                        input_offset: -in_zp,
                        output_offset: out_zp,
                        act_min: -128,
                        act_max: 127,
                    };
                    let conv = Op::Conv2d {
                        shape: ConvShape {
                            window: w,
                            in_c,
                            out_c,
                        },
                        params,
                        output_shift: 0,
                    };
                    let dw = Op::DepthwiseConv2d {
                        shape: DepthwiseShape {
                            window: w,
                            in_c,
                            depth_multiplier: out_c % 3 + 1,
                        },
                        params,
                        output_shift: 0,
                    };
                    for op in [conv, dw] {
                        let r = output(&op, 7, Variant::Reference, &shifts).unwrap();
                        let o = output(&op, 7, Variant::Optimized, &shifts).unwrap();
                        assert_eq!(r, o, "{op:?} shifts {shifts:?}");
                    }
                }
            }
        }
    }
}

/// Both variants refuse the same bad arguments the same way.
#[test]
fn variants_refuse_alike() {
    let w = Window::new((4, 4), (3, 3), (1, 1), (1, 1), Padding::Same).unwrap();
    let op = Op::Conv2d {
        shape: ConvShape {
            window: w,
            in_c: 3,
            out_c: 2,
        },
        params: ConvParams {
            input_offset: 200,
            output_offset: 0,
            act_min: -128,
            act_max: 127,
        },
        output_shift: 0,
    };
    for v in [Variant::Reference, Variant::Optimized] {
        assert_eq!(output(&op, 1, v, &[0]), Err(KernelError::BadParams));
    }
    // Scratch one element short: only the optimized variant needs it, and says so.
    let op = Op::Conv2d {
        shape: ConvShape {
            window: w,
            in_c: 3,
            out_c: 2,
        },
        params: ConvParams {
            input_offset: 0,
            output_offset: 0,
            act_min: -128,
            act_max: 127,
        },
        output_shift: 0,
    };
    let mut b = Bufs::new(&op);
    b.scratch.pop();
    assert_eq!(
        case::run(&op, Variant::Optimized, &mut b.ws()),
        Err(KernelError::BufferTooSmall)
    );
    assert_eq!(case::run(&op, Variant::Reference, &mut b.ws()), Ok(()));
}

/// Depthwise with more channels than the optimized kernel's 64-channel accumulator
/// block, and a count that is not a multiple of four (block boundary and tail).
#[test]
fn depthwise_beyond_one_channel_block() {
    let w = Window::new((5, 4), (3, 3), (1, 2), (1, 1), Padding::Same).unwrap();
    for in_c in [63, 64, 65, 130, 135] {
        let op = Op::DepthwiseConv2d {
            shape: DepthwiseShape {
                window: w,
                in_c,
                depth_multiplier: 1,
            },
            params: ConvParams {
                input_offset: 128,
                output_offset: -128,
                act_min: -128,
                act_max: 127,
            },
            output_shift: 0,
        };
        let r = output(&op, 11, Variant::Reference, &[-7, -3]).unwrap();
        let o = output(&op, 11, Variant::Optimized, &[-7, -3]).unwrap();
        assert_eq!(r, o, "in_c {in_c}");
    }
}

/// SAME/VALID windows of `k_h × k_w` (dilation 1) over inputs of up to `max_in` a side.
fn dense_window(k_h: usize, k_w: usize, max_in: usize) -> impl Strategy<Value = Window> {
    (
        1usize..max_in,
        1usize..max_in,
        1usize..4,
        1usize..4,
        any::<bool>(),
    )
        .prop_filter_map("window does not fit", move |(h, w, sh, sw, same)| {
            let pad = if same { Padding::Same } else { Padding::Valid };
            Window::new((h, w), (k_h, k_w), (sh, sw), (1, 1), pad).ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The 3×3 depthwise fast path (whole windows with the input offset folded into the
    /// bias, edge pixels per tap), on ragged channel counts and every stride/padding.
    #[test]
    fn depthwise_3x3(w in dense_window(3, 3, 10), in_c in 1usize..20, in_zp in zp(),
                     out_zp in zp(), (lo, hi) in act(), seed in any::<u32>(),
                     sh in proptest::collection::vec(-31i32..=-1, 1..5)) {
        let op = Op::DepthwiseConv2d {
            shape: DepthwiseShape { window: w, in_c, depth_multiplier: 1 },
            params: ConvParams { input_offset: -in_zp, output_offset: out_zp, act_min: lo, act_max: hi },
            output_shift: 0,
        };
        assert_same(&op, seed, &sh)?;
    }

    /// Average and max pooling: windows clipped at SAME edges, ragged channel counts.
    #[test]
    fn pooling(k in (1usize..6, 1usize..6), w_in in 1usize..12, channels in 1usize..20,
               (lo, hi) in act(), seed in any::<u32>(), same in any::<bool>(),
               stride in (1usize..4, 1usize..4), avg in any::<bool>()) {
        let pad = if same { Padding::Same } else { Padding::Valid };
        let Ok(window) = Window::new((w_in, w_in + 1), k, stride, (1, 1), pad) else {
            return Ok(());
        };
        let (shape, params) = (PoolShape { window, channels }, PoolParams { act_min: lo, act_max: hi });
        let op = if avg { Op::AvgPool { shape, params } } else { Op::MaxPool { shape, params } };
        assert_same(&op, seed, &[0])?;
    }
}

/// Pooling windows of more than 256 taps (the DSP average's int16 pair sums would
/// overflow; it must take the int32 path) and a global pool, as in the models.
#[test]
fn pooling_large_windows() {
    for (h, w, k, channels) in [
        (25, 5, (25, 5), 64),
        (17, 16, (17, 16), 9),
        (20, 20, (20, 20), 6),
    ] {
        let window = Window::new((h, w), k, (1, 1), (1, 1), Padding::Valid).unwrap();
        let shape = PoolShape { window, channels };
        let params = PoolParams {
            act_min: -128,
            act_max: 127,
        };
        for op in [Op::AvgPool { shape, params }, Op::MaxPool { shape, params }] {
            for seed in [1, 2, 3] {
                let r = output(&op, seed, Variant::Reference, &[0]).unwrap();
                let o = output(&op, seed, Variant::Optimized, &[0]).unwrap();
                assert_eq!(r, o, "{op:?} seed {seed}");
            }
        }
    }
}

/// Constant extreme inputs: sums of −128 or 127 over 255–400 taps, at and beyond what
/// int16 pair sums hold.
#[test]
fn average_pool_extreme_sums() {
    use tinybench_kernels::{pool::avg_pool, pool_opt::avg_pool_optimized};
    for (h, w) in [(15, 17), (16, 16), (16, 17), (20, 20)] {
        let window = Window::new((h, w), (h, w), (1, 1), (1, 1), Padding::Valid).unwrap();
        let shape = PoolShape {
            window,
            channels: 8,
        };
        let p = PoolParams {
            act_min: -128,
            act_max: 127,
        };
        for v in [-128i8, 127] {
            let input = vec![v; h * w * 8];
            let (mut r, mut o) = (vec![0i8; 8], vec![1i8; 8]);
            avg_pool(&p, &shape, &input, &mut r).unwrap();
            avg_pool_optimized(&p, &shape, &input, &mut o).unwrap();
            assert_eq!((r.clone(), o), (vec![v; 8], r), "{h}x{w} of {v}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Same-shape add and mul: lengths on both sides of the add's table threshold, scales
    /// that make either input the larger (the add's multipliers of exactly 2^30), output
    /// multipliers with and without the folded form, every zero point and clamp.
    #[test]
    fn add_and_mul(len in prop_oneof![1usize..40, 250usize..700], zps in (zp(), zp(), zp()),
                   scales in (0.001f64..0.2, 0.001f64..0.2, 0.001f64..0.4), (lo, hi) in act(),
                   raw in ((1i32 << 29)..i32::MAX, -31i32..=4), seed in any::<u32>()) {
        let (z1, z2, zo) = zps;
        let (s1, s2, so) = scales;
        let add = AddParams::new((s1, z1), (s2, z2), (so, zo), (lo, hi));
        let (m, s) = tinybench_kernels::quant::quantize_multiplier(s1 * s2 / so);
        let mul = MulParams { input1_offset: -z1, input2_offset: -z2, output_multiplier: m,
                              output_shift: s, output_offset: zo, act_min: lo, act_max: hi };
        let raw_mul = MulParams { output_multiplier: raw.0, output_shift: raw.1, ..mul };
        // The output scale equal to the larger input's: an output multiplier of exactly
        // 2^30, which has no folded form (residual adds).
        let add_pow2 = AddParams::new((s1, z1), (s2, z2), (s1.max(s2), zo), (lo, hi));
        for op in [Op::Add { len, params: add }, Op::Add { len, params: add_pow2 },
                   Op::Mul { len, params: mul }, Op::Mul { len, params: raw_mul }] {
            assert_same(&op, seed, &[0])?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// First layers (1–3 input channels, and other counts that are not a multiple of
    /// four): the staged packing, patches on both sides of its 64-element limit and
    /// shorter than one word, windows clipped at every edge, dilation.
    #[test]
    fn first_layer_conv(k in prop_oneof![Just((3usize, 3usize)), Just((10, 4)), Just((1, 1)),
                                         Just((5, 5)), Just((2, 1))],
                        hw in (1usize..20, 1usize..14), stride in (1usize..3, 1usize..3),
                        dil in prop_oneof![Just((1usize, 1usize)), Just((2, 1)), Just((1, 2))],
                        same in any::<bool>(), in_c in prop_oneof![1usize..4, 5usize..8],
                        out_c in 1usize..12, in_zp in zp(), out_zp in zp(), (lo, hi) in act(),
                        seed in any::<u32>(), sh in proptest::collection::vec(-31i32..=-1, 1..4)) {
        let pad = if same { Padding::Same } else { Padding::Valid };
        let Ok(window) = Window::new(hw, k, stride, dil, pad) else { return Ok(()); };
        let op = Op::Conv2d {
            shape: ConvShape { window, in_c, out_c },
            params: ConvParams { input_offset: -in_zp, output_offset: out_zp, act_min: lo, act_max: hi },
            output_shift: 0,
        };
        assert_same(&op, seed, &sh)?;
    }
}
