//! Lowering of the graph-only ops ([`tinybench_kernels::graph_ops`]): broadcasting
//! binary ops, mean, the data-movement ops as strided copies, and the pointwise ops as
//! tables ([`crate::unary`]).

use crate::ctx::Ctx;
use crate::ir::{Consts, Node, Tensor};
use crate::ImportError;
use tinybench_kernels::binary::{BinaryKind, BroadcastShape, MAX_DIMS};
use tinybench_kernels::copy::{CopyShape, COPY_DIMS};
use tinybench_kernels::graph::LayerOp;
use tinybench_kernels::graph_ops::GraphOp;
use tinybench_kernels::mean::MeanShape;
use tinybench_kernels::quant::quantize_multiplier;
use tract_tflite::tflite;

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

/// Row-major element strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        s[k] = s[k + 1] * shape[k + 1];
    }
    s
}

/// `v` right-aligned in `N` slots, the front filled with `fill`.
fn extend<const N: usize>(v: &[usize], fill: usize) -> Option<[u32; N]> {
    if v.len() > N {
        return None;
    }
    let mut out = [fill as u32; N];
    for (o, &x) in out[N - v.len()..].iter_mut().zip(v) {
        *o = u32::try_from(x).ok()?;
    }
    Some(out)
}

fn same_quant(a: &Tensor, b: &Tensor) -> bool {
    a.scale == b.scale && a.zero_point == b.zero_point
}

fn need_same_quant(ctx: &Ctx<'_>, x: &Tensor, y: &Tensor) -> Result<(), ImportError> {
    if same_quant(x, y) {
        Ok(())
    } else {
        Err(ctx.err(format!(
            "'{}' and '{}' have different quantization ({} / {} and {} / {}); this op moves bytes and cannot requantize",
            x.name, y.name, x.scale, x.zero_point, y.scale, y.zero_point
        )))
    }
}

/// A normalized axis of a `rank`-dimensional tensor.
fn axis(ctx: &Ctx<'_>, a: i64, rank: usize) -> Result<usize, ImportError> {
    let r = rank as i64;
    let v = if a < 0 { a + r } else { a };
    usize::try_from(v)
        .ok()
        .filter(|&v| v < rank)
        .ok_or_else(|| ctx.err(format!("axis {a} is outside a tensor of rank {rank}")))
}

/// The broadcast of `a` and `b` to `out`, six dimensions, with neighbouring dimensions
/// merged where both inputs allow it.
fn broadcast(
    ctx: &Ctx<'_>,
    a: &[usize],
    b: &[usize],
    out: &[usize],
) -> Result<BroadcastShape, ImportError> {
    let bad = || {
        ctx.err(format!(
            "shapes {a:?} and {b:?} do not broadcast to {out:?} (at most {MAX_DIMS} dimensions)"
        ))
    };
    if out.len() > MAX_DIMS || a.len() > out.len() || b.len() > out.len() {
        return Err(bad());
    }
    let pad = |s: &[usize]| -> Vec<usize> {
        let mut v = vec![1; out.len() - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (a, b) = (pad(a), pad(b));
    let stride_of = |s: &[usize]| -> Result<Vec<usize>, ImportError> {
        let st = strides(s);
        s.iter()
            .zip(out)
            .zip(st)
            .map(|((&d, &o), st)| match d {
                _ if d == o => Ok(if d == 1 { 0 } else { st }),
                1 => Ok(0),
                _ => Err(bad()),
            })
            .collect()
    };
    let (sa, sb) = (stride_of(&a)?, stride_of(&b)?);
    // Merge dimension k into k + 1 when, for both inputs, stepping k is stepping k + 1
    // all the way (contiguous) or both are broadcast.
    let mut dims: Vec<(usize, usize, usize)> = Vec::new();
    for k in 0..out.len() {
        let cur = (out[k], sa[k], sb[k]);
        if cur.0 == 1 {
            continue;
        }
        if let Some(last) = dims.last_mut() {
            let ok = |prev_s: usize, s: usize| prev_s == s * cur.0 || (prev_s == 0 && s == 0);
            if ok(last.1, cur.1) && ok(last.2, cur.2) {
                *last = (last.0 * cur.0, cur.1, cur.2);
                continue;
            }
        }
        dims.push(cur);
    }
    if dims.is_empty() {
        dims.push((1, 0, 0));
    }
    let d: Vec<usize> = dims.iter().map(|d| d.0).collect();
    let sa: Vec<usize> = dims.iter().map(|d| d.1).collect();
    let sb: Vec<usize> = dims.iter().map(|d| d.2).collect();
    Ok(BroadcastShape {
        dims: extend(&d, 1).ok_or_else(bad)?,
        a_strides: extend(&sa, 0).ok_or_else(bad)?,
        b_strides: extend(&sb, 0).ok_or_else(bad)?,
    })
}

/// ADD, SUB, MUL (broadcasting), MAXIMUM, MINIMUM.
pub(crate) fn binary(
    ctx: &Ctx<'_>,
    kind: BinaryKind,
    ins: &[i32],
    out: usize,
) -> Result<Node, ImportError> {
    let (a, b, y) = (
        ctx.activation(ins[0])?,
        ctx.activation(ins[1])?,
        ctx.activation(out as i32)?,
    );
    if matches!(kind, BinaryKind::MaximumOp | BinaryKind::MinimumOp)
        && !(same_quant(&a, &y) && same_quant(&b, &y))
    {
        return Err(ctx.err(
            "inputs and output must share one quantization (TFLite compares raw int8 values)",
        ));
    }
    let shape = broadcast(ctx, &a.shape, &b.shape, &y.shape)?;
    if shape.len() != y.len() {
        return Err(ctx.err(format!("output '{}' has {} elements", y.name, y.len())));
    }
    Ok(node(
        ctx,
        GraphOp::Binary { kind, shape },
        &[ins[0] as usize, ins[1] as usize],
        out,
        Consts::default(),
    ))
}

/// MEAN over a contiguous run of axes.
pub(crate) fn mean(ctx: &Ctx<'_>, ins: &[i32], out: usize) -> Result<Node, ImportError> {
    let x = ctx.activation(ins[0])?;
    let y = ctx.activation(out as i32)?;
    let rank = x.shape.len();
    let mut axes = ctx
        .ints(ins[1])?
        .into_iter()
        .map(|a| axis(ctx, a, rank))
        .collect::<Result<Vec<_>, _>>()?;
    axes.sort_unstable();
    axes.dedup();
    let (Some(&lo), Some(&hi)) = (axes.first(), axes.last()) else {
        return Err(ctx.err("mean over no axis"));
    };
    if hi - lo + 1 != axes.len() {
        return Err(ctx.err(format!(
            "mean over axes {axes:?} is not supported (a contiguous run of axes is)"
        )));
    }
    let prod = |r: std::ops::Range<usize>| x.shape[r].iter().product::<usize>();
    let (outer, reduce, inner) = (prod(0..lo), prod(lo..hi + 1), prod(hi + 1..rank));
    if y.len() != outer * inner {
        return Err(ctx.err(format!("output '{}' has {} elements", y.name, y.len())));
    }
    // LiteRT's integer mean: QuantizeMultiplier(input_scale / output_scale), then the
    // division by the element count folded into the multiplier with as many bits of
    // headroom as the count has (at most 32, and never past a shift of −31).
    let (m, s) = quantize_multiplier(x.scale as f64 / y.scale as f64);
    let n = reduce as i64;
    let bits = (63 - (n as u64).leading_zeros() as i32).min(32).min(31 + s);
    let multiplier = (((m as i64) << bits) / n) as i32;
    let u = |v: usize| u32::try_from(v).map_err(|_| ctx.err("tensor too large"));
    let shape = MeanShape {
        outer: u(outer)?,
        reduce: u(reduce)?,
        inner: u(inner)?,
        input_offset: -x.zero_point,
        multiplier,
        shift: s - bits,
        output_offset: y.zero_point,
    };
    Ok(node(
        ctx,
        GraphOp::Mean(shape),
        &[ins[0] as usize],
        out,
        Consts::default(),
    ))
}

/// A strided copy node from `x` (shape `dims` walked with `src` strides from `src_start`)
/// into `y` (with `dst` strides from `dst_start`).
#[allow(clippy::too_many_arguments)]
fn copy(
    ctx: &Ctx<'_>,
    input: usize,
    output: usize,
    dims: &[usize],
    src: &[usize],
    src_start: usize,
    dst: &[usize],
    dst_start: usize,
    fill: Option<i8>,
) -> Result<Node, ImportError> {
    let big = || {
        ctx.err(format!(
            "more than {COPY_DIMS} dimensions, or a tensor too large"
        ))
    };
    let shape = CopyShape {
        dims: extend(dims, 1).ok_or_else(big)?,
        src_strides: extend(src, 0).ok_or_else(big)?,
        src_start: u32::try_from(src_start).map_err(|_| big())?,
        dst_strides: extend(dst, 0).ok_or_else(big)?,
        dst_start: u32::try_from(dst_start).map_err(|_| big())?,
        fill,
    };
    Ok(node(
        ctx,
        GraphOp::Strided(shape),
        &[input],
        output,
        Consts::default(),
    ))
}

/// PAD and PADV2 (a constant pad value).
pub(crate) fn pad(ctx: &Ctx<'_>, ins: &[i32], out: usize) -> Result<Node, ImportError> {
    let (x, y) = (ctx.activation(ins[0])?, ctx.activation(out as i32)?);
    need_same_quant(ctx, &x, &y)?;
    let p = ctx.ints(ins[1])?;
    let rank = x.shape.len();
    if p.len() != 2 * rank || p.iter().any(|&v| v < 0) {
        return Err(ctx.err(format!("paddings {p:?} do not fit rank {rank}")));
    }
    let want: Vec<usize> = (0..rank)
        .map(|k| x.shape[k] + (p[2 * k] + p[2 * k + 1]) as usize)
        .collect();
    if want != y.shape {
        return Err(ctx.err(format!(
            "output shape {:?}, padding gives {want:?}",
            y.shape
        )));
    }
    let value = match ins.get(2).filter(|&&v| v >= 0) {
        Some(&v) => *ctx
            .const_i8(v)?
            .first()
            .ok_or_else(|| ctx.err("empty pad value"))?,
        None => y.zero_point as i8,
    };
    let ys = strides(&y.shape);
    let start: usize = (0..rank).map(|k| p[2 * k] as usize * ys[k]).sum();
    copy(
        ctx,
        ins[0] as usize,
        out,
        &x.shape,
        &strides(&x.shape),
        0,
        &ys,
        start,
        Some(value),
    )
}

/// CONCATENATION (and PACK, a concatenation along a new axis): one copy per input into
/// its place in the output; the first also clears the output.
pub(crate) fn concat(
    ctx: &Ctx<'_>,
    ins: &[i32],
    out: usize,
    ax: i64,
    pack: bool,
) -> Result<Vec<Node>, ImportError> {
    let y = ctx.activation(out as i32)?;
    let a = axis(ctx, ax, y.shape.len())?;
    let ys = strides(&y.shape);
    let mut at = 0;
    let mut nodes = Vec::new();
    for (i, &t) in ins.iter().enumerate() {
        let x = ctx.activation(t)?;
        need_same_quant(ctx, &x, &y)?;
        let mut dims = x.shape.clone();
        if pack {
            dims.insert(a.min(dims.len()), 1);
        }
        if dims.len() != y.shape.len() {
            return Err(ctx.err(format!("input '{}' has shape {:?}", x.name, x.shape)));
        }
        let fill = (i == 0).then_some(y.zero_point as i8);
        let n = copy(
            ctx,
            t as usize,
            out,
            &dims,
            &strides(&dims),
            0,
            &ys,
            at * ys[a],
            fill,
        )?;
        at += dims[a];
        nodes.push(n);
    }
    if at != y.shape[a] {
        return Err(ctx.err(format!(
            "the inputs give {at} along axis {a}, the output has {}",
            y.shape[a]
        )));
    }
    Ok(nodes)
}

/// SPLIT and UNPACK: one copy per output from its place in the input.
pub(crate) fn split(
    ctx: &Ctx<'_>,
    input: i32,
    outs: &[i32],
    ax: i64,
) -> Result<Vec<Node>, ImportError> {
    let x = ctx.activation(input)?;
    let a = axis(ctx, ax, x.shape.len())?;
    let xs = strides(&x.shape);
    if outs.is_empty() || x.shape[a] % outs.len() != 0 {
        return Err(ctx.err(format!(
            "{} outputs do not split axis {a} of {:?}",
            outs.len(),
            x.shape
        )));
    }
    let part = x.shape[a] / outs.len();
    outs.iter()
        .enumerate()
        .map(|(j, &o)| {
            let y = ctx.activation(o)?;
            need_same_quant(ctx, &x, &y)?;
            let mut dims = x.shape.clone();
            dims[a] = part;
            if y.len() != dims.iter().product::<usize>() {
                return Err(ctx.err(format!("output '{}' has shape {:?}", y.name, y.shape)));
            }
            copy(
                ctx,
                input as usize,
                o as usize,
                &dims,
                &xs,
                j * part * xs[a],
                &strides(&dims),
                0,
                None,
            )
        })
        .collect()
}

/// TRANSPOSE.
pub(crate) fn transpose(ctx: &Ctx<'_>, ins: &[i32], out: usize) -> Result<Node, ImportError> {
    let (x, y) = (ctx.activation(ins[0])?, ctx.activation(out as i32)?);
    need_same_quant(ctx, &x, &y)?;
    let rank = x.shape.len();
    let perm = ctx
        .ints(ins[1])?
        .into_iter()
        .map(|p| axis(ctx, p, rank))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = perm.clone();
    seen.sort_unstable();
    if perm.len() != rank || seen != (0..rank).collect::<Vec<_>>() {
        return Err(ctx.err(format!("permutation {perm:?} of rank {rank}")));
    }
    let dims: Vec<usize> = perm.iter().map(|&p| x.shape[p]).collect();
    if dims != y.shape {
        return Err(ctx.err(format!("output shape {:?}, expected {dims:?}", y.shape)));
    }
    let xs = strides(&x.shape);
    let src: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
    copy(
        ctx,
        ins[0] as usize,
        out,
        &dims,
        &src,
        0,
        &strides(&dims),
        0,
        None,
    )
}

/// STRIDED_SLICE (positive strides; no ellipsis or new axes) and SLICE.
pub(crate) fn slice(
    ctx: &Ctx<'_>,
    op: &tflite::Operator<'_>,
    ins: &[i32],
    out: usize,
) -> Result<Node, ImportError> {
    let (x, y) = (ctx.activation(ins[0])?, ctx.activation(out as i32)?);
    need_same_quant(ctx, &x, &y)?;
    let rank = x.shape.len();
    let begin = ctx.ints(ins[1])?;
    let (end, step, masks) = if ctx.op_name == "SLICE" {
        let size = ctx.ints(ins[2])?;
        let end = begin
            .iter()
            .zip(&size)
            .zip(&x.shape)
            .map(|((&b, &s), &d)| if s < 0 { d as i64 } else { b + s })
            .collect();
        (end, vec![1; rank], (0, 0, 0))
    } else {
        let o = op
            .builtin_options_as_strided_slice_options()
            .ok_or_else(|| ctx.err("operator options are missing"))?;
        if o.ellipsis_mask() != 0 || o.new_axis_mask() != 0 {
            return Err(ctx.err("strided slice with an ellipsis or new axes is not supported"));
        }
        (
            ctx.ints(ins[2])?,
            ctx.ints(ins[3])?,
            (o.begin_mask(), o.end_mask(), o.shrink_axis_mask()),
        )
    };
    if begin.len() != rank || end.len() != rank || step.len() != rank {
        return Err(ctx.err(format!(
            "slice bounds of rank {} for rank {rank}",
            begin.len()
        )));
    }
    let xs = strides(&x.shape);
    let (mut dims, mut src, mut start) = (Vec::new(), Vec::new(), 0usize);
    for k in 0..rank {
        let d = x.shape[k] as i64;
        let st = step[k];
        if st <= 0 {
            return Err(ctx.err("only positive slice strides are supported"));
        }
        let norm = |v: i64| (if v < 0 { v + d } else { v }).clamp(0, d);
        let b = if masks.0 & (1 << k) != 0 {
            0
        } else {
            norm(begin[k])
        };
        let e = if masks.2 & (1 << k) != 0 {
            b + 1
        } else if masks.1 & (1 << k) != 0 {
            d
        } else {
            norm(end[k])
        };
        let n = if e > b { (e - b + st - 1) / st } else { 0 };
        dims.push(n as usize);
        src.push(st as usize * xs[k]);
        start += b as usize * xs[k];
    }
    if dims.iter().product::<usize>() != y.len() || y.is_empty() {
        return Err(ctx.err(format!(
            "the slice gives {dims:?}, the output is {:?}",
            y.shape
        )));
    }
    copy(
        ctx,
        ins[0] as usize,
        out,
        &dims,
        &src,
        start,
        &strides(&dims),
        0,
        None,
    )
}

/// A pointwise op as a table of its 256 outputs.
pub(crate) fn lookup(
    ctx: &Ctx<'_>,
    input: i32,
    out: usize,
    table: [i8; 256],
) -> Result<Node, ImportError> {
    let (x, y) = (ctx.activation(input)?, ctx.activation(out as i32)?);
    if x.len() != y.len() {
        return Err(ctx.err(format!("'{}' and '{}' differ in size", x.name, y.name)));
    }
    Ok(node(
        ctx,
        GraphOp::Lookup {
            len: x.len() as u32,
        },
        &[input as usize],
        out,
        Consts {
            weights: table.to_vec(),
            ..Consts::default()
        },
    ))
}
