//! Lowering of the ops the real architectures of the corpus need beyond the MLPerf Tiny
//! set: `HARD_SWISH` (MobileNetV3), `TRANSPOSE_CONV` (conv autoencoders) and
//! `BATCH_MATMUL`. Each prepares its quantization as TFLite's `Prepare` does.

use crate::ctx::Ctx;
use crate::ir::{Consts, Node};
use crate::ImportError;
use tinybench_kernels::graph::LayerOp;
use tinybench_kernels::graph_ops::GraphOp;
use tinybench_kernels::hard_swish::{hard_swish_table, HardSwishParams};

fn node(ctx: &Ctx<'_>, op: GraphOp, inputs: &[usize], output: usize, consts: Consts) -> Node {
    Node {
        index: ctx.index,
        op_name: ctx.op_name.clone(),
        op: LayerOp::Graph(op),
        inputs: inputs.to_vec(),
        output,
        consts,
    }
}

/// HARD_SWISH: the reference variant computes TFLite's fixed-point arithmetic, the
/// optimized one looks up its table (the layer's weights, 256 bytes).
pub(crate) fn hard_swish(ctx: &Ctx<'_>, ins: &[i32], out: i32) -> Result<Node, ImportError> {
    let [input] = ins[..] else {
        return Err(ctx.err(format!("{} inputs; expected 1", ins.len())));
    };
    let (x, y) = (ctx.activation(input)?, ctx.activation(out)?);
    if x.len() != y.len() {
        return Err(ctx.err(format!("'{}' and '{}' differ in size", x.name, y.name)));
    }
    let params = HardSwishParams::new((x.scale, x.zero_point), (y.scale, y.zero_point))
        .ok_or_else(|| {
            ctx.err(format!(
                "output scale {} of '{}' is below input scale / 128 ({}); TFLite refuses it too",
                y.scale,
                y.name,
                x.scale / 128.0
            ))
        })?;
    let len = u32::try_from(x.len()).map_err(|_| ctx.err("tensor too large"))?;
    Ok(node(
        ctx,
        GraphOp::HardSwish { len, params },
        &[input as usize],
        out as usize,
        Consts {
            weights: hard_swish_table(&params).to_vec(),
            ..Consts::default()
        },
    ))
}

/// TFLite's padding of a transpose convolution: the padding a convolution with the same
/// kernel and stride would need over the transpose convolution's output
/// (`ComputePaddingHeightWidth` with the output size as the input size; the odd extra
/// row, `offset`, is not used by the reference kernel).
fn transpose_padding(out: usize, k: usize, stride: usize, same: bool) -> usize {
    let conv_out = if same {
        out.div_ceil(stride)
    } else {
        (out + stride).saturating_sub(k) / stride
    };
    ((conv_out.saturating_sub(1)) * stride + k).saturating_sub(out) / 2
}

/// A transpose convolution's constants from inputs (output shape, weights OHWI, input,
/// optional bias): weights, bias and the per-channel requantization as for CONV_2D
/// (`PopulateConvolutionQuantizationParams`); also the kernel's height and width.
fn transpose_filter(
    ctx: &Ctx<'_>,
    ins: &[i32],
    x: &crate::ir::Tensor,
    y: &crate::ir::Tensor,
    in_c: usize,
    out_c: usize,
) -> Result<(Consts, usize, usize), ImportError> {
    let (w, wshape, wscales, wzps) = ctx.weights(ins[1])?;
    if wzps.iter().any(|&z| z != 0) {
        return Err(ctx.err("weights with a non-zero zero point are not supported"));
    }
    let [wo, k_h, k_w, wi] = wshape[..] else {
        return Err(ctx.err(format!("filter has shape {wshape:?}, expected OHWI")));
    };
    if wo != out_c || wi != in_c || (wscales.len() != 1 && wscales.len() != out_c) {
        return Err(ctx.err(format!(
            "filter {wshape:?} with {} scales does not map {in_c} to {out_c} channels",
            wscales.len()
        )));
    }
    let (multipliers, shifts) = crate::lower::per_channel(x, &wscales, y, out_c);
    let consts = Consts {
        weights: w,
        bias: ctx.bias(ins.get(3).copied(), out_c)?,
        multipliers,
        shifts,
    };
    Ok((consts, k_h, k_w))
}

/// TRANSPOSE_CONV: inputs (output shape, weights OHWI, input, optional bias).
pub(crate) fn transpose_conv(
    ctx: &Ctx<'_>,
    op: &tract_tflite::tflite::Operator<'_>,
    ins: &[i32],
    out: i32,
) -> Result<Node, ImportError> {
    use tinybench_kernels::activation::activation_range;
    use tinybench_kernels::graph_ops::TransposeConvShape;
    if !(3..=4).contains(&ins.len()) {
        return Err(ctx.err(format!("{} inputs; expected 3 or 4", ins.len())));
    }
    let o = op
        .builtin_options_as_transpose_conv_options()
        .ok_or_else(|| ctx.err("operator options are missing"))?;
    let (x, y) = (ctx.activation(ins[2])?, ctx.activation(out)?);
    let [xn, in_h, in_w, in_c] = crate::ctx::nhwc(ctx, &x)?;
    let [yn, out_h, out_w, out_c] = crate::ctx::nhwc(ctx, &y)?;
    if xn != 1 || yn != 1 {
        return Err(ctx.err("only batch 1 is supported"));
    }
    let declared = ctx.ints(ins[0])?;
    if declared != [1, out_h as i64, out_w as i64, out_c as i64] {
        return Err(ctx.err(format!(
            "output_shape {declared:?} differs from output '{}' {:?}",
            y.name, y.shape
        )));
    }
    let (consts, k_h, k_w) = transpose_filter(ctx, ins, &x, &y, in_c, out_c)?;
    let pos = |v: i32| usize::try_from(v).ok().filter(|&v| v > 0);
    let (Some(stride_h), Some(stride_w)) = (pos(o.stride_h()), pos(o.stride_w())) else {
        return Err(ctx.err("strides must be positive"));
    };
    let same = o.padding() != tract_tflite::tflite::Padding::VALID;
    let shape = TransposeConvShape {
        in_h,
        in_w,
        in_c,
        out_h,
        out_w,
        out_c,
        k_h,
        k_w,
        stride_h,
        stride_w,
        pad_h: transpose_padding(out_h, k_h, stride_h, same),
        pad_w: transpose_padding(out_w, k_w, stride_w, same),
    };
    let act = ctx.activation_fn(o.fused_activation_function())?;
    let (act_min, act_max) = activation_range(act, y.scale as f64, y.zero_point);
    let params = tinybench_kernels::case::ConvParams {
        input_offset: -x.zero_point,
        output_offset: y.zero_point,
        act_min,
        act_max,
    };
    Ok(node(
        ctx,
        GraphOp::TransposeConv { shape, params },
        &[ins[2] as usize],
        out as usize,
        consts,
    ))
}

/// (batches, left batch stride, right batch stride) of two operands' batch dimensions
/// (all but the last two): equal, or one side without any (stride 0: broadcast).
fn batch_strides(
    ctx: &Ctx<'_>,
    a: &[usize],
    b: &[usize],
) -> Result<(usize, usize, usize), ImportError> {
    let (la, lb) = (&a[..a.len() - 2], &b[..b.len() - 2]);
    let (ma, mb) = (
        a[a.len() - 2..].iter().product(),
        b[b.len() - 2..].iter().product(),
    );
    let (pa, pb) = (la.iter().product::<usize>(), lb.iter().product::<usize>());
    let trim = |v: &[usize]| {
        v.iter()
            .skip_while(|&&d| d == 1)
            .copied()
            .collect::<Vec<_>>()
    };
    if trim(la) == trim(lb) {
        Ok((pa, ma, mb))
    } else if pa == 1 {
        Ok((pb, 0, mb))
    } else if pb == 1 {
        Ok((pa, ma, 0))
    } else {
        Err(ctx.err(format!(
            "batch dimensions {la:?} and {lb:?} broadcast in part; tinybench runs equal batch dimensions, or one operand without any"
        )))
    }
}

/// BATCH_MATMUL of two int8 operands (a constant one is loaded into the arena by the
/// importer). The adjoint flags become operand strides; batch dimensions must be equal
/// or one side must have none (all 1).
pub(crate) fn batch_matmul(
    ctx: &Ctx<'_>,
    op: &tract_tflite::tflite::Operator<'_>,
    ins: &[i32],
    out: i32,
) -> Result<Node, ImportError> {
    use tinybench_kernels::graph_ops::{BatchMatMulParams, BatchMatMulShape};
    let [l, r] = ins[..] else {
        return Err(ctx.err(format!("{} inputs; expected 2", ins.len())));
    };
    let o = op
        .builtin_options_as_batch_mat_mul_options()
        .ok_or_else(|| ctx.err("operator options are missing"))?;
    let (a, b, y) = (ctx.activation(l)?, ctx.activation(r)?, ctx.activation(out)?);
    let (Some(&[ar, ac]), Some(&[br, bc])) = (a.shape.last_chunk::<2>(), b.shape.last_chunk())
    else {
        return Err(ctx.err("both operands need at least two dimensions"));
    };
    // (rows, depth, row stride, depth stride) of the left operand; (depth, cols, depth
    // stride, col stride) of the right.
    let (rows, depth, lr, lk) = if o.adj_x() {
        (ac, ar, 1, ac)
    } else {
        (ar, ac, ac, 1)
    };
    let (depth_r, cols, rk, rc) = if o.adj_y() {
        (bc, br, 1, bc)
    } else {
        (br, bc, bc, 1)
    };
    if depth != depth_r {
        return Err(ctx.err(format!(
            "operands {:?} and {:?} do not multiply (depth {depth} and {depth_r})",
            a.shape, b.shape
        )));
    }
    let (batches, sa, sb) = batch_strides(ctx, &a.shape, &b.shape)?;
    if y.len() != batches * rows * cols || y.shape.last_chunk() != Some(&[rows, cols]) {
        return Err(ctx.err(format!(
            "output '{}' has shape {:?}; the product is {batches} x {rows} x {cols}",
            y.name, y.shape
        )));
    }
    let u = |v: usize| u32::try_from(v).map_err(|_| ctx.err("tensor too large"));
    let shape = BatchMatMulShape {
        batches: u(batches)?,
        rows: u(rows)?,
        depth: u(depth)?,
        cols: u(cols)?,
        lhs_strides: [u(sa)?, u(lr)?, u(lk)?],
        rhs_strides: [u(sb)?, u(rk)?, u(rc)?],
    };
    // `GetQuantizedConvolutionMultipler`: the scales' product in float, then double.
    let (multiplier, shift) =
        tinybench_kernels::quant::quantize_multiplier((a.scale * b.scale) as f64 / y.scale as f64);
    let params = BatchMatMulParams {
        lhs_offset: -a.zero_point,
        rhs_offset: -b.zero_point,
        output_offset: y.zero_point,
        multiplier,
        shift,
    };
    Ok(node(
        ctx,
        GraphOp::BatchMatMul { shape, params },
        &[l as usize, r as usize],
        out as usize,
        Consts::default(),
    ))
}
