//! Host benches of every op at the shapes of `suites/kernels.toml`, both variants of the
//! hot ops. The suite file is read here (not copied) so host and device measure the same
//! cases; the harness validates suites properly, this reader only maps the fields the
//! kernels suite uses onto the kernels' own constructors and panics on anything else
//! (a bench is a developer tool, not user input).
//!
//! `cargo bench -p tinybench-kernels` — numbers are host wall-clock time (criterion's),
//! not device counts.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
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

/// The suite's cases as ops.
fn suite_ops() -> Vec<(String, Op)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../suites/kernels.toml");
    let text = std::fs::read_to_string(path).expect("suites/kernels.toml");
    let suite: Value = toml::from_str(&text).expect("suite TOML");
    let mut out = Vec::new();
    for c in suite["case"].as_array().unwrap() {
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
        out.push((name, op));
    }
    out
}

fn ops(c: &mut Criterion) {
    for (name, op) in suite_ops() {
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
        case::fill(1, &op, &mut ws);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(op.macs()));
        let variants: &[Variant] = if op.has_optimized() {
            &[Variant::Reference, Variant::Optimized]
        } else {
            &[Variant::Reference]
        };
        for &v in variants {
            g.bench_with_input(BenchmarkId::new(op.name(), v.name()), &op, |bench, op| {
                bench.iter(|| case::run(black_box(op), v, &mut ws).expect("suite case runs"))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, ops);
criterion_main!(benches);
