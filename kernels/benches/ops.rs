//! Host benches of every case of a suite (default `suites/kernels.toml`), with the same
//! seeded inputs and the same variants the firmware runs. The suite file is read here (not
//! copied) so host and device measure the same cases; the harness validates suites
//! properly (`tinybench baseline` loads the suite before it runs this bench), this reader
//! only maps the fields onto the kernels' own constructors and panics on anything else
//! (a bench is a developer tool, not user input).
//!
//! Bench ids equal the device's case names: `<case>` for a case without variants,
//! `<case>/reference` and `<case>/optimized` (criterion group `<case>`, function
//! `<variant>`) when the suite asks for variants. Seeds follow the suite's rule: the
//! case's `seed`, else `defaults.seed` (1) plus the case's index.
//!
//! Environment:
//! - `TINYBENCH_BENCH_SUITE`: path to the suite TOML (default `suites/kernels.toml`).
//! - `TINYBENCH_BENCH_QUICK=1`: criterion's shortest settings (10 samples, 10 ms warm-up,
//!   20 ms measurement) — for tests; the numbers are then rough.
//!
//! `cargo bench -p tinybench-kernels --bench ops` — numbers are ns, host wall-clock
//! (criterion), not device counts.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;
use tinybench_kernels::activation::{activation_range, Activation};
use tinybench_kernels::case::{self, *};
use tinybench_kernels::quant::quantize_multiplier;
use toml::Value;

fn int(c: &Value, k: &str) -> i64 {
    c.get(k)
        .and_then(Value::as_integer)
        .unwrap_or_else(|| panic!("{k}"))
}
fn real(c: &Value, k: &str) -> f64 {
    c.get(k)
        .and_then(Value::as_float)
        .unwrap_or_else(|| panic!("{k}"))
}
fn pair(c: &Value, k: &str) -> (usize, usize) {
    match c.get(k).and_then(Value::as_array) {
        Some(a) => (
            a[0].as_integer().unwrap() as usize,
            a[1].as_integer().unwrap() as usize,
        ),
        None => (1, 1),
    }
}
fn act(c: &Value, zp: i32) -> (i8, i8) {
    let a = match c.get("activation").and_then(Value::as_str) {
        Some("relu") => Activation::Relu,
        Some("relu6") => Activation::Relu6,
        _ => Activation::None,
    };
    activation_range(
        a,
        c.get("output_scale")
            .and_then(Value::as_float)
            .unwrap_or(1.0),
        zp,
    )
}
fn window(c: &Value) -> (Window, usize) {
    let i = c["input"].as_array().unwrap();
    let d = |n: usize| i[n].as_integer().unwrap() as usize;
    let pad = if c["padding"].as_str() == Some("same") {
        Padding::Same
    } else {
        Padding::Valid
    };
    let w = Window::new(
        (d(0), d(1)),
        pair(c, "kernel_size"),
        pair(c, "stride"),
        pair(c, "dilation"),
        pad,
    )
    .expect("suite window");
    (w, d(2))
}

/// The variants listed at `v` (`None`: the key is absent).
fn variant_list(v: Option<&Value>) -> Option<Vec<Variant>> {
    let list = v?.as_array().expect("variants is a list");
    Some(
        list.iter()
            .map(|x| match x.as_str() {
                Some("optimized") => Variant::Optimized,
                Some("reference") => Variant::Reference,
                other => panic!("unknown variant {other:?}"),
            })
            .collect(),
    )
}

/// One bench: its id (the device's case name), seed, op and variant.
struct Bench {
    group: String,
    variant: Option<Variant>,
    seed: u32,
    op: Op,
}

/// The suite's cases as benches, expanded over variants exactly as the harness does.
fn suite_benches() -> Vec<Bench> {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../suites/kernels.toml").to_string();
    let path = std::env::var("TINYBENCH_BENCH_SUITE").unwrap_or(default);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let suite: Value = toml::from_str(&text).expect("suite TOML");
    let defaults = suite.get("defaults");
    let d_seed = defaults
        .and_then(|d| d.get("seed"))
        .and_then(Value::as_integer)
        .unwrap_or(1) as u32;
    let d_variants = variant_list(defaults.and_then(|d| d.get("variants")));
    let mut benches = Vec::new();
    for (i, c) in suite["case"].as_array().unwrap().iter().enumerate() {
        let name = c["name"].as_str().unwrap().to_string();
        let zp = |k: &str| int(c, k) as i32;
        let op = match c["kernel"].as_str().unwrap() {
            "fully_connected" => {
                let (m, s) = quantize_multiplier(real(c, "requant_scale"));
                let (lo, hi) = act(c, zp("output_zero_point"));
                Op::FullyConnected {
                    shape: FcShape {
                        batches: int(c, "batches") as usize,
                        in_features: int(c, "in_features") as usize,
                        out_features: int(c, "out_features") as usize,
                    },
                    params: FcParams {
                        input_offset: -zp("input_zero_point"),
                        weights_offset: 0,
                        output_offset: zp("output_zero_point"),
                        output_multiplier: m,
                        output_shift: s,
                        act_min: lo,
                        act_max: hi,
                    },
                }
            }
            k @ ("conv2d" | "depthwise_conv2d") => {
                let (window, in_c) = window(c);
                let (_, shift) = quantize_multiplier(real(c, "requant_scale"));
                let (act_min, act_max) = act(c, zp("output_zero_point"));
                let params = ConvParams {
                    input_offset: -zp("input_zero_point"),
                    output_offset: zp("output_zero_point"),
                    act_min,
                    act_max,
                };
                if k == "conv2d" {
                    let out_c = int(c, "out_channels") as usize;
                    Op::Conv2d {
                        shape: ConvShape {
                            window,
                            in_c,
                            out_c,
                        },
                        params,
                        output_shift: shift,
                    }
                } else {
                    let dm = c
                        .get("depth_multiplier")
                        .and_then(Value::as_integer)
                        .unwrap_or(1) as usize;
                    Op::DepthwiseConv2d {
                        shape: DepthwiseShape {
                            window,
                            in_c,
                            depth_multiplier: dm,
                        },
                        params,
                        output_shift: shift,
                    }
                }
            }
            k @ ("avg_pool" | "max_pool") => {
                let (window, channels) = window(c);
                let shape = PoolShape { window, channels };
                let params = PoolParams {
                    act_min: -128,
                    act_max: 127,
                };
                if k == "avg_pool" {
                    Op::AvgPool { shape, params }
                } else {
                    Op::MaxPool { shape, params }
                }
            }
            "softmax" => Op::Softmax {
                shape: SoftmaxShape {
                    rows: 1,
                    depth: int(c, "depth") as usize,
                },
                params: SoftmaxParams::new(real(c, "input_scale"), 1.0),
            },
            k @ ("add" | "mul") => {
                let len = int(c, "elements") as usize;
                let (s1, s2, so) = (
                    real(c, "input_scale"),
                    real(c, "input2_scale"),
                    real(c, "output_scale"),
                );
                let (z1, z2, zo) = (
                    zp("input_zero_point"),
                    zp("input2_zero_point"),
                    zp("output_zero_point"),
                );
                let (lo, hi) = act(c, zo);
                if k == "add" {
                    Op::Add {
                        len,
                        params: AddParams::new((s1, z1), (s2, z2), (so, zo), (lo, hi)),
                    }
                } else {
                    let (m, s) = quantize_multiplier(s1 * s2 / so);
                    Op::Mul {
                        len,
                        params: MulParams {
                            input1_offset: -z1,
                            input2_offset: -z2,
                            output_multiplier: m,
                            output_shift: s,
                            output_offset: zo,
                            act_min: lo,
                            act_max: hi,
                        },
                    }
                }
            }
            other => panic!("kernel {other} not known to the bench"),
        };
        let seed = c
            .get("seed")
            .and_then(Value::as_integer)
            .map_or(d_seed.wrapping_add(i as u32), |s| s as u32);
        let variants = match variant_list(c.get("variants")) {
            Some(v) => Some(v),
            None => d_variants.as_ref().map(|d| {
                d.iter()
                    .copied()
                    .filter(|v| *v == Variant::Reference || op.has_optimized())
                    .collect()
            }),
        };
        match variants {
            Some(list) if !list.is_empty() => {
                for v in list {
                    benches.push(Bench {
                        group: name.clone(),
                        variant: Some(v),
                        seed,
                        op,
                    });
                }
            }
            _ => benches.push(Bench {
                group: name.clone(),
                variant: None,
                seed,
                op,
            }),
        }
    }
    benches
}

fn ops(c: &mut Criterion) {
    for bench in suite_benches() {
        let op = bench.op;
        let s = op.sizes();
        let (mut x, mut w, mut b, mut m, mut sh, mut y, mut scratch) = (
            vec![0i8; s.input],
            vec![0i8; s.weights],
            vec![0i32; s.bias],
            vec![0i32; s.channels],
            vec![0i32; s.channels],
            vec![0i8; s.output],
            vec![0i16; s.scratch],
        );
        let mut ws = Workspace {
            input: &mut x,
            weights: &mut w,
            bias: &mut b,
            multipliers: &mut m,
            shifts: &mut sh,
            output: &mut y,
            scratch: &mut scratch,
        };
        case::fill(bench.seed, &op, &mut ws);
        let v = bench.variant.unwrap_or(Variant::Reference);
        let mut routine = |b: &mut criterion::Bencher| {
            b.iter(|| case::run(black_box(&op), v, &mut ws).expect("suite case runs"))
        };
        match bench.variant {
            Some(v) => {
                let mut g = c.benchmark_group(bench.group);
                g.bench_function(v.name(), &mut routine);
                g.finish();
            }
            None => {
                c.bench_function(&bench.group, &mut routine);
            }
        }
    }
}

/// Criterion's configuration: its defaults, or the shortest settings under
/// `TINYBENCH_BENCH_QUICK=1`.
fn config() -> Criterion {
    let c = Criterion::default();
    if std::env::var("TINYBENCH_BENCH_QUICK").is_ok_and(|v| v == "1") {
        c.sample_size(10)
            .warm_up_time(Duration::from_millis(10))
            .measurement_time(Duration::from_millis(20))
            .without_plots()
    } else {
        c
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = ops
}
criterion_main!(benches);
