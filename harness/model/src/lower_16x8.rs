//! 16x8 layers: int16 activations (zero point 0), int8 symmetric weights, int64 bias, as
//! TensorFlow's converter makes them in its 16x8 mode
//! (`EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8`). Quantization is
//! prepared as LiteRT's `Prepare` does for int16: the same multipliers as for int8 (per
//! channel in double, a per-tensor fully connected through the float product of the
//! scales), the clamp in the int16 range. Any other op that reads or writes an int16
//! tensor is refused by name.

use crate::ctx::Ctx;
use crate::ir::{Consts, ElemType, Node, Tensor};
use crate::lower::{conv_parts, need_inputs, node, options, per_channel, symmetric};
use crate::ImportError;
use tinybench_kernels::activation::{activation_range_i16, Activation};
use tinybench_kernels::case::{ConvShape, DepthwiseShape, FcShape};
use tinybench_kernels::graph::LayerOp;
use tinybench_kernels::graph_ops::{Add16, GraphOp, Params16, Softmax16};
use tinybench_kernels::quant::quantize_multiplier;
use tract_tflite::tflite;

/// The operators tinybench runs with int16 activations.
pub(crate) const OPS_16X8: &[&str] = &[
    "FULLY_CONNECTED",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "SOFTMAX",
    "ADD",
    "RESHAPE",
    "SQUEEZE",
    "EXPAND_DIMS",
];

/// An int16 activation tensor (zero point 0).
fn int16(ctx: &Ctx<'_>, id: i32) -> Result<Tensor, ImportError> {
    let t = ctx.activation_any(id)?;
    if t.elem != ElemType::Int16 {
        return Err(ctx.err(format!(
            "tensor '{}' is INT8 in a layer with int16 activations; tinybench runs 16x8 layers with int16 input and output",
            t.name
        )));
    }
    Ok(t)
}

/// LiteRT's 64-bit requantization takes shifts up to 7 (an output scale at most 128
/// times smaller than input scale × weight scale); the kernels refuse more, so the
/// import does, with the numbers.
fn check_shifts(ctx: &Ctx<'_>, shifts: &[i32], y: &Tensor) -> Result<(), ImportError> {
    match shifts.iter().find(|&&s| s > 7) {
        Some(s) => Err(ctx.err(format!(
            "requantization shift {s} is above 7, the largest LiteRT's 16x8 kernels take (the scale {} of output '{}' is too small for its inputs)",
            y.scale, y.name
        ))),
        None => Ok(()),
    }
}

fn params(act: Activation, y: &Tensor) -> Params16 {
    let (act_min, act_max) = activation_range_i16(act, y.scale as f64, y.zero_point);
    Params16 { act_min, act_max }
}

/// Lower an operator with an int16 input or output.
pub(crate) fn lower(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    outs: &[i32],
) -> Result<Vec<Node>, ImportError> {
    if !OPS_16X8.contains(&ctx.op_name.as_str()) {
        return Err(ctx.err(format!(
            "it reads or writes int16 tensors (16x8 quantization), and tinybench runs int16 activations on {} only",
            OPS_16X8.join(", ")
        )));
    }
    let [out] = outs[..] else {
        return Err(ctx.err(format!("{} outputs; one expected", outs.len())));
    };
    need_inputs(ctx, ins, 1..=3)?;
    let (x, y) = (int16(ctx, ins[0])?, int16(ctx, out)?);
    let node = match ctx.op_name.as_str() {
        "FULLY_CONNECTED" => fully_connected(ctx, op, ins, out, (&x, &y))?,
        "CONV_2D" | "DEPTHWISE_CONV_2D" => conv(ctx, op, ins, out, (&x, &y))?,
        "SOFTMAX" => softmax(ctx, op, ins, out, (&x, &y))?,
        "ADD" => add(ctx, op, ins, out, (&x, &y))?,
        _ => {
            if x.len() != y.len() || x.scale != y.scale {
                return Err(ctx.err("reshape must keep the element count and the quantization"));
            }
            node(ctx, LayerOp::Reshape, &ins[..1], out, Consts::default())
        }
    };
    Ok(vec![node])
}

fn fully_connected(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    out: i32,
    (x, y): (&Tensor, &Tensor),
) -> Result<Node, ImportError> {
    need_inputs(ctx, ins, 2..=3)?;
    let o = options(ctx, op.builtin_options_as_fully_connected_options())?;
    if o.weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT {
        return Err(ctx.err("shuffled fully-connected weights are not supported"));
    }
    let (w, wshape, wscales, wzps) = ctx.weights(ins[1])?;
    symmetric(ctx, &wzps)?;
    let [out_f, in_f] = wshape[..] else {
        return Err(ctx.err(format!("weights have shape {wshape:?}, expected [out, in]")));
    };
    if wscales.len() != 1 && wscales.len() != out_f {
        return Err(ctx.err(format!(
            "{} weight scales for {out_f} output features",
            wscales.len()
        )));
    }
    if in_f == 0 || x.len() % in_f != 0 || y.len() != x.len() / in_f * out_f {
        return Err(ctx.err(format!(
            "input '{}' {:?} and output '{}' {:?} do not fit weights [{out_f}, {in_f}]",
            x.name, x.shape, y.name, y.shape
        )));
    }
    let (multipliers, shifts) = if wscales.len() == 1 {
        // Per tensor: `GetQuantizedConvolutionMultipler`, the scales' product in float.
        let (m, s) = quantize_multiplier((x.scale * wscales[0]) as f64 / y.scale as f64);
        (vec![m; out_f], vec![s; out_f])
    } else {
        per_channel(x, &wscales, y, out_f)
    };
    check_shifts(ctx, &shifts, y)?;
    let shape = FcShape {
        batches: x.len() / in_f,
        in_features: in_f,
        out_features: out_f,
    };
    let params = params(ctx.activation_fn(o.fused_activation_function())?, y);
    let consts = Consts {
        weights: w,
        bias: ctx.bias64(ins.get(2).copied(), out_f)?,
        multipliers,
        shifts,
    };
    let op = GraphOp::Fc16x8 { shape, params };
    Ok(node(ctx, LayerOp::Graph(op), &ins[..1], out, consts))
}

fn conv(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    out: i32,
    (x, y): (&Tensor, &Tensor),
) -> Result<Node, ImportError> {
    need_inputs(ctx, ins, 2..=3)?;
    let c = conv_parts(ctx, op, ins, x, y)?;
    let params = params(c.act, y);
    let (multipliers, shifts) = per_channel(x, &c.scales, y, c.out_c);
    check_shifts(ctx, &shifts, y)?;
    let op = if c.depthwise {
        let shape = DepthwiseShape {
            window: c.window,
            in_c: c.in_c,
            depth_multiplier: c.out_c / c.in_c,
        };
        GraphOp::Depthwise16x8 { shape, params }
    } else {
        let shape = ConvShape {
            window: c.window,
            in_c: c.in_c,
            out_c: c.out_c,
        };
        GraphOp::Conv16x8 { shape, params }
    };
    let consts = Consts {
        weights: c.weights,
        bias: ctx.bias64(ins.get(2).copied(), c.out_c)?,
        multipliers,
        shifts,
    };
    Ok(node(ctx, LayerOp::Graph(op), &ins[..1], out, consts))
}

/// LiteRT's `gen_lut` for an int16 → int16 table over `[min, max]` with outputs in
/// [−1, 1] (Q0.15): 512 intervals plus the end point; each sample is biased by half the
/// error the interpolation makes at its interval's midpoint. Computed in double with
/// Rust's `exp` (glibc's on Linux, as LiteRT's), here on the host; the kernels only look
/// the tables up.
fn lut(f: impl Fn(f64) -> f64, min: f64, max: f64) -> Vec<i16> {
    const STEPS: usize = 512;
    let step = (max - min) / STEPS as f64;
    let scale = 65536.0 / 2.0; // the int16 range over the output range [−1, 1]
    let q = |v: f64| (v * scale).round();
    let clamp = |v: f64| v.clamp(-32768.0, 32767.0) as i16;
    let mut t: Vec<i16> = (0..STEPS)
        .map(|i| {
            let x = min + i as f64 * step;
            let (val, mid, next) = (f(x), f(x + step / 2.0), f(min + (i + 1) as f64 * step));
            let interpolated = ((next * scale + q(val)) / 2.0).round();
            let bias = ((interpolated - q(mid)) / 2.0).round();
            clamp(q(val) - bias)
        })
        .collect();
    t.push(clamp(q(f(max))));
    t
}

/// SOFTMAX of int16 activations: output scale 1/32768 and zero point 0 (LiteRT refuses
/// others); the exp and reciprocal tables as the layer's weights.
fn softmax(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    out: i32,
    (x, y): (&Tensor, &Tensor),
) -> Result<Node, ImportError> {
    need_inputs(ctx, ins, 1..=1)?;
    let want = 1.0 / 32768.0;
    if (y.scale - want).abs() > 0.001 * want {
        return Err(ctx.err(format!(
            "int16 softmax output must have scale 1/32768, '{}' has {}",
            y.name, y.scale
        )));
    }
    let o = options(ctx, op.builtin_options_as_softmax_options())?;
    let depth = x.shape.last().copied().unwrap_or(0);
    if depth == 0 || x.len() != y.len() {
        return Err(ctx.err(format!("softmax of {:?} into {:?}", x.shape, y.shape)));
    }
    let u = |v: usize| u32::try_from(v).map_err(|_| ctx.err("tensor too large"));
    // `input->params.scale * params->beta` is a float product, then divided in double.
    let (multiplier, shift) = quantize_multiplier((x.scale * o.beta()) as f64 / (10.0 / 65535.0));
    let p = Softmax16 {
        rows: u(x.len() / depth)?,
        depth: u(depth)?,
        multiplier,
        shift,
    };
    let tables = lut(f64::exp, -10.0, 0.0)
        .into_iter()
        .chain(lut(|v| 1.0 / (1.0 + v), 0.0, 1.0))
        .flat_map(|v| v.to_le_bytes().map(|b| b as i8))
        .collect();
    let consts = Consts {
        weights: tables,
        ..Consts::default()
    };
    Ok(node(
        ctx,
        LayerOp::Graph(GraphOp::Softmax16x8(p)),
        &ins[..1],
        out,
        consts,
    ))
}

/// LiteRT's `CheckedLog2`: a scale within 0.001 of a power of two in log2.
fn power_of_two(scale: f32) -> bool {
    let l = scale.ln() * (1.0 / 2f32.ln());
    (l - l.round()).abs() < 1e-3
}

/// ADD of two int16 tensors of the output's shape, with LiteRT's general scales (the
/// converter's 16x8 ADD); broadcasting and the power-of-two path are refused.
fn add(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    out: i32,
    (a, y): (&Tensor, &Tensor),
) -> Result<Node, ImportError> {
    need_inputs(ctx, ins, 2..=2)?;
    let b = int16(ctx, ins[1])?;
    if a.shape != y.shape || b.shape != y.shape {
        return Err(ctx.err(format!(
            "int16 ADD of {:?} and {:?} into {:?}: tinybench runs int16 ADD without broadcasting only",
            a.shape, b.shape, y.shape
        )));
    }
    let o = options(ctx, op.builtin_options_as_add_options())?;
    if o.pot_scale_int16() && [a.scale, b.scale, y.scale].into_iter().all(power_of_two) {
        return Err(ctx.err(
            "int16 ADD with power-of-two scales (LiteRT's pot_scale_int16 path) is not supported",
        ));
    }
    let act = activation_range_i16(
        ctx.activation_fn(o.fused_activation_function())?,
        y.scale as f64,
        y.zero_point,
    );
    let len = u32::try_from(y.len()).map_err(|_| ctx.err("tensor too large"))?;
    let p = Add16::new(len, (a.scale as f64, b.scale as f64), y.scale as f64, act);
    if p.output_shift > 0 {
        return Err(ctx.err(format!(
            "the output scale {} of '{}' is too small for an int16 ADD of its inputs (LiteRT needs a rescale below 1)",
            y.scale, y.name
        )));
    }
    Ok(node(
        ctx,
        LayerOp::Graph(GraphOp::Add16x8(p)),
        ins,
        out,
        Consts::default(),
    ))
}
