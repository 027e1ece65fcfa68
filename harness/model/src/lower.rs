//! One TFLite operator → one kernel op: shapes checked against the kernel's layout and
//! quantization prepared as TFLite's own kernels prepare it (`Prepare` of each op), so the
//! firmware reproduces the reference interpreter's bytes.

pub(crate) use crate::ctx::nhwc;
use crate::ctx::Ctx;
use crate::ir::{Consts, Node, Tensor};
use crate::ImportError;
use tinybench_kernels::activation::{activation_range, Activation};
use tinybench_kernels::binary::BinaryKind;
use tinybench_kernels::case::{
    AddParams, ConvParams, ConvShape, DepthwiseShape, FcParams, FcShape, MulParams, Op, PoolParams,
    PoolShape, SoftmaxParams, SoftmaxShape,
};
use tinybench_kernels::graph::LayerOp;
use tinybench_kernels::graph_ops::GraphOp;
use tinybench_kernels::quant::quantize_multiplier;
use tinybench_kernels::softmax::MAX_DEPTH;
use tract_tflite::tflite;

fn clamp(act: Activation, out: &Tensor) -> (i8, i8) {
    activation_range(act, out.scale as f64, out.zero_point)
}

/// Per-channel requantization as TFLite's `PopulateConvolutionQuantizationParams`:
/// `input_scale · filter_scale[c] / output_scale` in double, then `QuantizeMultiplier`.
/// A channel whose multiplier underflows (TFLite's (0, 0): every output is the output
/// offset) is stored as (0, −1), which requantizes exactly the same (to 0) and has the
/// optimized kernels' fast form (kernels `requant.rs`); with (0, 0) one dead filter sent
/// its whole layer to the reference kernel.
pub(crate) fn per_channel(
    input: &Tensor,
    filter_scales: &[f32],
    out: &Tensor,
    channels: usize,
) -> (Vec<i32>, Vec<i32>) {
    (0..channels)
        .map(|c| {
            let fs = filter_scales[if filter_scales.len() == 1 { 0 } else { c }] as f64;
            match quantize_multiplier(input.scale as f64 * fs / out.scale as f64) {
                (0, _) => (0, -1),
                pair => pair,
            }
        })
        .unzip()
}

fn offset_of(zp: i32) -> i32 {
    -zp
}

pub(crate) fn need_inputs(
    ctx: &Ctx<'_>,
    ins: &[i32],
    n: std::ops::RangeInclusive<usize>,
) -> Result<(), ImportError> {
    if n.contains(&ins.len()) {
        Ok(())
    } else {
        Err(ctx.err(format!("{} inputs; expected {n:?}", ins.len())))
    }
}

pub(crate) fn options<T>(ctx: &Ctx<'_>, o: Option<T>) -> Result<T, ImportError> {
    o.ok_or_else(|| ctx.err("operator options are missing"))
}

pub(crate) fn symmetric(ctx: &Ctx<'_>, zps: &[i64]) -> Result<(), ImportError> {
    if zps.iter().any(|&z| z != 0) {
        return Err(
            ctx.err("weights with a non-zero zero point (asymmetric weights) are not supported")
        );
    }
    Ok(())
}

pub(crate) fn expect_shape(ctx: &Ctx<'_>, y: &Tensor, want: &[usize]) -> Result<(), ImportError> {
    if y.shape != want {
        return Err(ctx.err(format!(
            "output '{}' has shape {:?}, the op computes {want:?}",
            y.name, y.shape
        )));
    }
    Ok(())
}

pub(crate) fn node(
    ctx: &Ctx<'_>,
    op: LayerOp,
    inputs: &[i32],
    output: i32,
    consts: Consts,
) -> Node {
    Node {
        index: ctx.index,
        op_name: ctx.op_name.clone(),
        op,
        inputs: inputs.iter().map(|&i| i as usize).collect(),
        output: output as usize,
        consts,
    }
}

/// Builds a pointwise op's table from its input and output tensors.
type TableFn<'a> = dyn Fn(&Tensor, &Tensor) -> Result<[i8; 256], ImportError> + 'a;

/// Lower operator `op` (inputs `ins`, outputs `outs`) onto one or more nodes.
pub(crate) fn lower(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    outs: &[i32],
) -> Result<Vec<Node>, ImportError> {
    use crate::lower_ops as l;
    // A 16x8 layer (int16 activations) has its own lowering, which refuses what it does
    // not run by name.
    if ins
        .first()
        .into_iter()
        .chain(outs)
        .any(|&t| ctx.is_int16(t))
    {
        return crate::lower_16x8::lower(ctx, op, ins, outs);
    }
    match ctx.op_name.as_str() {
        "SPLIT" => {
            need_inputs(ctx, ins, 2..=2)?;
            let ax = *ctx
                .ints(ins[0])?
                .first()
                .ok_or_else(|| ctx.err("no axis"))?;
            return l::split(ctx, ins[1], outs, ax);
        }
        "UNPACK" => {
            need_inputs(ctx, ins, 1..=1)?;
            let o = options(ctx, op.builtin_options_as_unpack_options())?;
            // UNPACK removes the axis; the copies only care about element counts.
            return l::split(ctx, ins[0], outs, o.axis() as i64);
        }
        _ => {}
    }
    let [out] = outs[..] else {
        return Err(ctx.err(format!("{} outputs; one expected", outs.len())));
    };
    let o = out as usize;
    let one = |n: Result<Node, ImportError>| n.map(|n| vec![n]);
    let clamp_of = |act: Activation| -> Result<(i8, i8), ImportError> {
        let y = ctx.activation(out)?;
        Ok(clamp(act, &y))
    };
    let unary = |f: &TableFn<'_>| {
        need_inputs(ctx, ins, 1..=1)?;
        let (x, y) = (ctx.activation(ins[0])?, ctx.activation(out)?);
        one(l::lookup(ctx, ins[0], o, f(&x, &y)?))
    };
    match ctx.op_name.as_str() {
        "SUB" => {
            need_inputs(ctx, ins, 2..=2)?;
            let opt = options(ctx, op.builtin_options_as_sub_options())?;
            let act = clamp_of(ctx.activation_fn(opt.fused_activation_function())?)?;
            let p = add_params(ctx, ins, out, act)?;
            return one(l::binary(ctx, BinaryKind::SubOp(p), ins, o));
        }
        "MAXIMUM" | "MINIMUM" => {
            need_inputs(ctx, ins, 2..=2)?;
            let k = if ctx.op_name == "MAXIMUM" {
                BinaryKind::MaximumOp
            } else {
                BinaryKind::MinimumOp
            };
            return one(l::binary(ctx, k, ins, o));
        }
        "MEAN" => {
            need_inputs(ctx, ins, 2..=2)?;
            return one(l::mean(ctx, ins, o));
        }
        "PAD" | "PADV2" => {
            need_inputs(ctx, ins, 2..=3)?;
            return one(l::pad(ctx, ins, o));
        }
        "CONCATENATION" => {
            let opt = options(ctx, op.builtin_options_as_concatenation_options())?;
            if ctx.activation_fn(opt.fused_activation_function())? != Activation::None {
                return Err(ctx.err("a fused activation on a concatenation is not supported"));
            }
            return l::concat(ctx, ins, o, opt.axis() as i64, false);
        }
        "PACK" => {
            let opt = options(ctx, op.builtin_options_as_pack_options())?;
            return l::concat(ctx, ins, o, opt.axis() as i64, true);
        }
        "TRANSPOSE" => {
            need_inputs(ctx, ins, 2..=2)?;
            return one(l::transpose(ctx, ins, o));
        }
        "STRIDED_SLICE" | "SLICE" => {
            need_inputs(ctx, ins, 3..=4)?;
            return one(l::slice(ctx, op, ins, o));
        }
        "SQUEEZE" | "EXPAND_DIMS" => return one(lower_one(ctx, op, &ins[..1], out, "RESHAPE")),
        "RELU" | "RELU6" | "RELU_N1_TO_1" => {
            return unary(&|x, y| {
                let (lo, hi) = match ctx.op_name.as_str() {
                    "RELU" => clamp(Activation::Relu, y),
                    "RELU6" => clamp(Activation::Relu6, y),
                    _ => activation_range_n1_to_1(y),
                };
                Ok(crate::unary::relu(x, y, (lo, hi)))
            })
        }
        "LEAKY_RELU" => {
            let opt = options(ctx, op.builtin_options_as_leaky_relu_options())?;
            return unary(&|x, y| Ok(crate::unary::leaky_relu(x, y, opt.alpha())));
        }
        "HARD_SWISH" => return one(crate::lower_nn::hard_swish(ctx, ins, out)),
        "TRANSPOSE_CONV" => return one(crate::lower_nn::transpose_conv(ctx, op, ins, out)),
        "BATCH_MATMUL" => return one(crate::lower_nn::batch_matmul(ctx, op, ins, out)),
        "QUANTIZE" => return unary(&|x, y| Ok(crate::unary::requantize(x, y))),
        "LOGISTIC" | "TANH" => {
            return unary(&|x, y| {
                let want = if ctx.op_name == "TANH" {
                    (1.0 / 128.0, 0)
                } else {
                    (1.0 / 256.0, -128)
                };
                if (y.scale, y.zero_point) != want {
                    return Err(ctx.err(format!(
                        "int8 {} output must have scale {} and zero point {}, '{}' has {} and {}",
                        ctx.op_name, want.0, want.1, y.name, y.scale, y.zero_point
                    )));
                }
                Ok(if ctx.op_name == "TANH" {
                    crate::unary::tanh(x, y)
                } else {
                    crate::unary::logistic(x, y)
                })
            })
        }
        _ => {}
    }
    one(lower_one(ctx, op, ins, out, &ctx.op_name))
}

/// The clamp of RELU_N1_TO_1: real −1 and 1 in the output's quantization.
fn activation_range_n1_to_1(y: &Tensor) -> (i8, i8) {
    let q = |r: f64| {
        let v = r / y.scale as f64;
        (y.zero_point as i64 + v.round() as i64).clamp(-128, 127) as i8
    };
    (q(-1.0), q(1.0))
}

/// TFLite's add/sub preparation for inputs `ins` and output `out`.
fn add_params(
    ctx: &Ctx<'_>,
    ins: &[i32],
    out: i32,
    act: (i8, i8),
) -> Result<AddParams, ImportError> {
    let (a, b, y) = (
        ctx.activation(ins[0])?,
        ctx.activation(ins[1])?,
        ctx.activation(out)?,
    );
    Ok(AddParams::new(
        (a.scale as f64, a.zero_point),
        (b.scale as f64, b.zero_point),
        (y.scale as f64, y.zero_point),
        act,
    ))
}

/// The ops that map onto one benchmark kernel (or a reshape).
fn lower_one(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    out: i32,
    name: &str,
) -> Result<Node, ImportError> {
    let y = ctx.activation(out)?;
    match name {
        "CONV_2D" | "DEPTHWISE_CONV_2D" => conv(ctx, op, ins, out, &y),
        "FULLY_CONNECTED" => {
            need_inputs(ctx, ins, 2..=3)?;
            let o = options(ctx, op.builtin_options_as_fully_connected_options())?;
            if o.weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT {
                return Err(ctx.err("shuffled fully-connected weights are not supported"));
            }
            let x = ctx.activation(ins[0])?;
            let (w, wshape, wscales, wzps) = ctx.weights(ins[1])?;
            let [out_f, in_f] = wshape[..] else {
                return Err(ctx.err(format!("weights have shape {wshape:?}, expected [out, in]")));
            };
            if wscales.len() != 1 && wscales.len() != out_f {
                return Err(ctx.err(format!(
                    "{} weight scales for {out_f} output features",
                    wscales.len()
                )));
            }
            if in_f == 0 || x.len() % in_f != 0 {
                return Err(ctx.err(format!(
                    "input of {} elements is not a multiple of {in_f} features",
                    x.len()
                )));
            }
            let batches = x.len() / in_f;
            if y.len() != batches * out_f {
                return Err(ctx.err(format!(
                    "output '{}' has {} elements, expected {}",
                    y.name,
                    y.len(),
                    batches * out_f
                )));
            }
            // TFLite's `GetQuantizedConvolutionMultipler` multiplies the two scales in float
            // and only then widens to double; doing it in double changes the last bit of
            // some multipliers (seen on ad01's second layer).
            let (m, s) = quantize_multiplier((x.scale * wscales[0]) as f64 / y.scale as f64);
            let (act_min, act_max) = clamp(ctx.activation_fn(o.fused_activation_function())?, &y);
            let params = FcParams {
                input_offset: offset_of(x.zero_point),
                weights_offset: -(wzps.first().copied().unwrap_or(0) as i32),
                output_offset: y.zero_point,
                output_multiplier: m,
                output_shift: s,
                act_min,
                act_max,
            };
            let shape = FcShape {
                batches,
                in_features: in_f,
                out_features: out_f,
            };
            let bias = ctx.bias(ins.get(2).copied(), out_f)?;
            if wscales.len() > 1 {
                // Per-channel (TF 2.x's default for Dense): each feature's multiplier
                // as TFLite's per-channel preparation computes it, in double.
                let (multipliers, shifts) = per_channel(&x, &wscales, &y, out_f);
                let consts = Consts {
                    weights: w,
                    bias,
                    multipliers,
                    shifts,
                };
                let op = GraphOp::FcPerChannel { shape, params };
                return Ok(node(ctx, LayerOp::Graph(op), &ins[..1], out, consts));
            }
            let consts = Consts {
                weights: w,
                bias,
                ..Consts::default()
            };
            Ok(node(
                ctx,
                LayerOp::Kernel(Op::FullyConnected { shape, params }),
                &ins[..1],
                out,
                consts,
            ))
        }
        "AVERAGE_POOL_2D" | "MAX_POOL_2D" => {
            need_inputs(ctx, ins, 1..=1)?;
            let o = options(ctx, op.builtin_options_as_pool_2_doptions())?;
            let x = ctx.activation(ins[0])?;
            if x.scale != y.scale || x.zero_point != y.zero_point {
                return Err(ctx
                    .err("pooling with different input and output quantization is not supported"));
            }
            let k = |v: i32| {
                usize::try_from(v)
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| ctx.err("filter size must be positive"))
            };
            let window = ctx.window(
                &x,
                (k(o.filter_height())?, k(o.filter_width())?),
                (o.stride_h(), o.stride_w()),
                (1, 1),
                o.padding(),
            )?;
            let channels = nhwc(ctx, &x)?[3];
            expect_shape(ctx, &y, &[1, window.out_h, window.out_w, channels])?;
            let (act_min, act_max) = clamp(ctx.activation_fn(o.fused_activation_function())?, &y);
            let shape = PoolShape { window, channels };
            let params = PoolParams { act_min, act_max };
            let op = if ctx.op_name == "MAX_POOL_2D" {
                Op::MaxPool { shape, params }
            } else {
                Op::AvgPool { shape, params }
            };
            Ok(node(ctx, LayerOp::Kernel(op), ins, out, Consts::default()))
        }
        "SOFTMAX" => {
            need_inputs(ctx, ins, 1..=1)?;
            let o = options(ctx, op.builtin_options_as_softmax_options())?;
            let x = ctx.activation(ins[0])?;
            if y.scale != 1.0 / 256.0 || y.zero_point != -128 {
                return Err(ctx.err(format!(
                    "int8 softmax output must have scale 1/256 and zero point -128, '{}' has {} and {}",
                    y.name, y.scale, y.zero_point
                )));
            }
            let depth = x.shape.last().copied().unwrap_or(0);
            if depth == 0 || depth > MAX_DEPTH || x.len() != y.len() {
                return Err(ctx.err(format!(
                    "softmax over {depth} classes is not supported (1..={MAX_DEPTH})"
                )));
            }
            let shape = SoftmaxShape {
                rows: x.len() / depth,
                depth,
            };
            let params = SoftmaxParams::new(x.scale as f64, o.beta() as f64);
            Ok(node(
                ctx,
                LayerOp::Kernel(Op::Softmax { shape, params }),
                ins,
                out,
                Consts::default(),
            ))
        }
        "ADD" | "MUL" => {
            need_inputs(ctx, ins, 2..=2)?;
            let (a, b) = (ctx.activation(ins[0])?, ctx.activation(ins[1])?);
            let broadcasting = a.shape != b.shape || a.shape != y.shape;
            let len = y.len();
            let op = if ctx.op_name == "ADD" {
                let o = options(ctx, op.builtin_options_as_add_options())?;
                let act = clamp(ctx.activation_fn(o.fused_activation_function())?, &y);
                let params = AddParams::new(
                    (a.scale as f64, a.zero_point),
                    (b.scale as f64, b.zero_point),
                    (y.scale as f64, y.zero_point),
                    act,
                );
                Op::Add { len, params }
            } else {
                let o = options(ctx, op.builtin_options_as_mul_options())?;
                let (act_min, act_max) =
                    clamp(ctx.activation_fn(o.fused_activation_function())?, &y);
                let (m, s) = quantize_multiplier(a.scale as f64 * b.scale as f64 / y.scale as f64);
                let params = MulParams {
                    input1_offset: offset_of(a.zero_point),
                    input2_offset: offset_of(b.zero_point),
                    output_multiplier: m,
                    output_shift: s,
                    output_offset: y.zero_point,
                    act_min,
                    act_max,
                };
                Op::Mul { len, params }
            };
            if broadcasting {
                let kind = match op {
                    Op::Add { params, .. } => BinaryKind::AddOp(params),
                    Op::Mul { params, .. } => BinaryKind::MulOp(params),
                    _ => return Err(ctx.err("only ADD and MUL broadcast here")),
                };
                return crate::lower_ops::binary(ctx, kind, ins, out as usize);
            }
            Ok(node(ctx, LayerOp::Kernel(op), ins, out, Consts::default()))
        }
        "RESHAPE" => {
            let x = ctx.activation(ins[0])?;
            if x.len() != y.len() || x.scale != y.scale || x.zero_point != y.zero_point {
                return Err(ctx.err("reshape must keep the element count and the quantization"));
            }
            Ok(node(
                ctx,
                LayerOp::Reshape,
                &ins[..1],
                out,
                Consts::default(),
            ))
        }
        _ => Err(ImportError::UnsupportedOp {
            path: ctx.path.to_string(),
            index: ctx.index,
            op: ctx.op_name.clone(),
        }),
    }
}

/// What CONV_2D and DEPTHWISE_CONV_2D share between int8 and 16x8: the filter, the
/// window over input `x`, the channel counts and the fused activation.
pub(crate) struct ConvParts {
    pub(crate) weights: Vec<i8>,
    pub(crate) scales: Vec<f32>,
    pub(crate) window: tinybench_kernels::window::Window,
    pub(crate) in_c: usize,
    pub(crate) out_c: usize,
    pub(crate) depthwise: bool,
    pub(crate) act: Activation,
}

/// The filter and geometry of a convolution of `x` into `y` (inputs checked).
pub(crate) fn conv_parts(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    x: &Tensor,
    y: &Tensor,
) -> Result<ConvParts, ImportError> {
    let (w, wshape, wscales, wzps) = ctx.weights(ins[1])?;
    symmetric(ctx, &wzps)?;
    let [_, _, _, in_c] = nhwc(ctx, x)?;
    let [wo, kh, kw, wi] = wshape[..] else {
        return Err(ctx.err(format!(
            "filter has shape {wshape:?}, expected 4 dimensions"
        )));
    };
    let depthwise = ctx.op_name == "DEPTHWISE_CONV_2D";
    let (out_c, act, stride, dil, padding) = if depthwise {
        let o = options(ctx, op.builtin_options_as_depthwise_conv_2_doptions())?;
        (
            wi,
            o.fused_activation_function(),
            (o.stride_h(), o.stride_w()),
            (o.dilation_h_factor(), o.dilation_w_factor()),
            o.padding(),
        )
    } else {
        let o = options(ctx, op.builtin_options_as_conv_2_doptions())?;
        (
            wo,
            o.fused_activation_function(),
            (o.stride_h(), o.stride_w()),
            (o.dilation_h_factor(), o.dilation_w_factor()),
            o.padding(),
        )
    };
    if depthwise && (wo != 1 || in_c == 0 || out_c % in_c != 0) {
        return Err(ctx.err(format!(
            "depthwise filter {wshape:?} does not match {in_c} input channels"
        )));
    }
    if !depthwise && wi != in_c {
        return Err(ctx.err(format!(
            "grouped convolution (filter {wshape:?} over {in_c} channels) is not supported"
        )));
    }
    if wscales.len() != 1 && wscales.len() != out_c {
        return Err(ctx.err(format!(
            "{} filter scales for {out_c} output channels",
            wscales.len()
        )));
    }
    let window = ctx.window(x, (kh, kw), stride, dil, padding)?;
    expect_shape(ctx, y, &[1, window.out_h, window.out_w, out_c])?;
    Ok(ConvParts {
        weights: w,
        scales: wscales,
        window,
        in_c,
        out_c,
        depthwise,
        act: ctx.activation_fn(act)?,
    })
}

fn conv(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    out: i32,
    y: &Tensor,
) -> Result<Node, ImportError> {
    need_inputs(ctx, ins, 2..=3)?;
    let x = ctx.activation(ins[0])?;
    let c = conv_parts(ctx, op, ins, &x, y)?;
    let (act_min, act_max) = clamp(c.act, y);
    let params = ConvParams {
        input_offset: offset_of(x.zero_point),
        output_offset: y.zero_point,
        act_min,
        act_max,
    };
    let (multipliers, shifts) = per_channel(&x, &c.scales, y, c.out_c);
    let bias = ctx.bias(ins.get(2).copied(), c.out_c)?;
    let op = if c.depthwise {
        let shape = DepthwiseShape {
            window: c.window,
            in_c: c.in_c,
            depth_multiplier: c.out_c / c.in_c,
        };
        Op::DepthwiseConv2d {
            shape,
            params,
            output_shift: 0,
        }
    } else {
        Op::Conv2d {
            shape: ConvShape {
                window: c.window,
                in_c: c.in_c,
                out_c: c.out_c,
            },
            params,
            output_shift: 0,
        }
    };
    let consts = Consts {
        weights: c.weights,
        bias,
        multipliers,
        shifts,
    };
    Ok(node(ctx, LayerOp::Kernel(op), &ins[..1], out, consts))
}
