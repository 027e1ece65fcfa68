//! A planned int8 (or 16x8) model graph as data, and running one layer of it.
//!
//! The host imports a `.tflite` model, plans its tensors into one arena and writes the
//! constant tensors (weights, bias, per-channel requantization) into one data blob; a
//! [`Layer`] then only holds numbers: the op with its shape and quantization, where its
//! operands live in the arena ([`Span`]s of bytes) and where its constants live
//! in the blob. The firmware compiles the layer list in and keeps the blob in flash; the
//! host runs the very same [`run_layer`] to know what every layer's output must be.

use crate::case::{run_on, Op, Operands, Variant};
use crate::graph_ops::{GraphOp, GraphOperands};
use crate::KernelError;

/// A range of the arena in bytes (an int8 tensor's elements; an int16 tensor of the
/// 16x8 layers takes two little-endian bytes per element), or of the data blob in
/// elements of the constant's type, starting at byte `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Span {
    /// First byte.
    pub offset: u32,
    /// Bytes (arena) or elements (blob).
    pub len: u32,
}

impl Span {
    /// The empty span (an operand the op does not have).
    pub const NONE: Span = Span { offset: 0, len: 0 };

    fn end_bytes(self, elem: usize) -> Option<usize> {
        (self.len as usize)
            .checked_mul(elem)?
            .checked_add(self.offset as usize)
    }
}

/// What a layer does.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum LayerOp {
    /// One kernel call.
    Kernel(Op),
    /// Same bytes, another shape: nothing to do when the planner placed the output on the
    /// input (it always tries), a copy otherwise.
    Reshape,
    /// A graph-only op ([`crate::graph_ops`]).
    Graph(GraphOp),
}

/// One planned layer.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Layer {
    /// The op.
    pub op: LayerOp,
    /// Input tensor in the arena.
    pub input: Span,
    /// Second input tensor in the arena (add, mul), else [`Span::NONE`].
    pub input2: Span,
    /// Output tensor in the arena, disjoint from the inputs (except an aliased reshape).
    pub output: Span,
    /// int8 weights in the blob.
    pub weights: Span,
    /// int32 bias in the blob (int64 as two words a channel, low first, for the 16x8
    /// layers).
    pub bias: Span,
    /// int32 per-channel multipliers in the blob.
    pub multipliers: Span,
    /// int32 per-channel shifts in the blob.
    pub shifts: Span,
}

fn blob_i8(data: &[u8], s: Span) -> Result<&[i8], KernelError> {
    let end = s.end_bytes(1).ok_or(KernelError::BadShape)?;
    let bytes = data
        .get(s.offset as usize..end)
        .ok_or(KernelError::BufferTooSmall)?;
    Ok(bytemuck::cast_slice(bytes))
}

/// int32 constants: the blob is 4-byte aligned and the planner aligns every int32
/// constant, so the cast cannot fail on a well-formed model; a misaligned span is
/// refused, not read.
fn blob_i32(data: &[u8], s: Span) -> Result<&[i32], KernelError> {
    if s.len == 0 {
        return Ok(&[]);
    }
    let end = s.end_bytes(4).ok_or(KernelError::BadShape)?;
    let bytes = data
        .get(s.offset as usize..end)
        .ok_or(KernelError::BufferTooSmall)?;
    bytemuck::try_cast_slice(bytes).map_err(|_| KernelError::BadParams)
}

/// The arena split around a layer's output: what lies before it, the output itself and
/// what lies after it. Inputs must lie wholly before or after (the planner guarantees
/// it; anything else is refused).
struct Split<'a> {
    lo: &'a [i8],
    out: &'a mut [i8],
    hi: &'a [i8],
    hi_start: usize,
}

impl<'a> Split<'a> {
    fn new(arena: &'a mut [i8], out: Span) -> Result<Split<'a>, KernelError> {
        let end = out.end_bytes(1).ok_or(KernelError::BadShape)?;
        if end > arena.len() {
            return Err(KernelError::BufferTooSmall);
        }
        let (lo, rest) = arena.split_at_mut(out.offset as usize);
        let (out, hi) = rest.split_at_mut(out.len as usize);
        Ok(Split {
            lo,
            out,
            hi,
            hi_start: end,
        })
    }

    fn input(&self, s: Span) -> Result<&'a [i8], KernelError> {
        let (start, end) = (
            s.offset as usize,
            s.end_bytes(1).ok_or(KernelError::BadShape)?,
        );
        if end <= self.lo.len() {
            Ok(&self.lo[start..end])
        } else if start >= self.hi_start && end - self.hi_start <= self.hi.len() {
            Ok(&self.hi[start - self.hi_start..end - self.hi_start])
        } else {
            Err(KernelError::BadParams)
        }
    }
}

/// Run one layer: read its inputs from `arena` and its constants from `data` (the blob),
/// write its output into `arena`. `scratch` must hold the optimized kernels' scratch.
pub fn run_layer(
    layer: &Layer,
    variant: Variant,
    data: &[u8],
    arena: &mut [i8],
    scratch: &mut [i16],
) -> Result<(), KernelError> {
    let op = match &layer.op {
        LayerOp::Reshape => {
            if layer.input.len != layer.output.len {
                return Err(KernelError::BadShape);
            }
            if layer.input.offset != layer.output.offset {
                let s = Split::new(arena, layer.output)?;
                let src = s.input(layer.input)?;
                s.out.copy_from_slice(src);
            }
            return Ok(());
        }
        LayerOp::Kernel(op) => op,
        LayerOp::Graph(op) => {
            let s = Split::new(arena, layer.output)?;
            let input2 = if layer.input2.len == 0 {
                &[][..]
            } else {
                s.input(layer.input2)?
            };
            return op.run(
                variant,
                GraphOperands {
                    input: s.input(layer.input)?,
                    input2,
                    weights: blob_i8(data, layer.weights)?,
                    bias: blob_i32(data, layer.bias)?,
                    multipliers: blob_i32(data, layer.multipliers)?,
                    shifts: blob_i32(data, layer.shifts)?,
                    output: s.out,
                },
            );
        }
    };
    let s = Split::new(arena, layer.output)?;
    let weights = match op {
        Op::Add { .. } | Op::Mul { .. } => s.input(layer.input2)?,
        _ => blob_i8(data, layer.weights)?,
    };
    run_on(
        op,
        variant,
        Operands {
            input: s.input(layer.input)?,
            weights,
            bias: blob_i32(data, layer.bias)?,
            multipliers: blob_i32(data, layer.multipliers)?,
            shifts: blob_i32(data, layer.shifts)?,
            output: s.out,
            scratch,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{AddParams, PoolParams, PoolShape};
    use crate::window::{Padding, Window};

    fn add_layer(input: Span, input2: Span, output: Span) -> Layer {
        let p = AddParams::new((0.5, 0), (0.5, 0), (1.0, 0), (-128, 127));
        Layer {
            op: LayerOp::Kernel(Op::Add {
                len: input.len as usize,
                params: p,
            }),
            input,
            input2,
            output,
            weights: Span::NONE,
            bias: Span::NONE,
            multipliers: Span::NONE,
            shifts: Span::NONE,
        }
    }

    #[test]
    fn add_reads_operands_on_both_sides_of_its_output() {
        // arena: [a a a a | out out out out | b b b b]
        let mut arena = [1, 2, 3, 4, 0, 0, 0, 0, 10, 20, 30, 40i8];
        let l = add_layer(
            Span { offset: 0, len: 4 },
            Span { offset: 8, len: 4 },
            Span { offset: 4, len: 4 },
        );
        run_layer(&l, Variant::Reference, &[], &mut arena, &mut []).unwrap();
        // (x + y) · 0.5 / 1.0, rounded half away from zero.
        assert_eq!(&arena[4..8], &[6, 11, 17, 22]);
    }

    #[test]
    fn an_input_overlapping_the_output_is_refused() {
        let mut arena = [0i8; 12];
        let l = add_layer(
            Span { offset: 2, len: 4 },
            Span { offset: 8, len: 4 },
            Span { offset: 4, len: 4 },
        );
        assert_eq!(
            run_layer(&l, Variant::Reference, &[], &mut arena, &mut []),
            Err(KernelError::BadParams)
        );
    }

    #[test]
    fn reshape_aliases_or_copies() {
        let mut arena = [5, 6, 7, 0, 0, 0i8];
        let mut l = Layer {
            op: LayerOp::Reshape,
            input: Span { offset: 0, len: 3 },
            input2: Span::NONE,
            output: Span { offset: 0, len: 3 },
            weights: Span::NONE,
            bias: Span::NONE,
            multipliers: Span::NONE,
            shifts: Span::NONE,
        };
        run_layer(&l, Variant::Reference, &[], &mut arena, &mut []).unwrap();
        assert_eq!(arena, [5, 6, 7, 0, 0, 0]);
        l.output.offset = 3;
        run_layer(&l, Variant::Reference, &[], &mut arena, &mut []).unwrap();
        assert_eq!(arena, [5, 6, 7, 5, 6, 7]);
    }

    #[test]
    fn misaligned_or_short_constants_are_refused_not_read() {
        let data = [0u8; 16];
        assert_eq!(
            blob_i32(&data, Span { offset: 1, len: 2 }),
            Err(KernelError::BadParams)
        );
        assert_eq!(
            blob_i32(&data, Span { offset: 8, len: 3 }),
            Err(KernelError::BufferTooSmall)
        );
        assert_eq!(
            blob_i32(&data, Span { offset: 4, len: 3 }).unwrap().len(),
            3
        );
    }

    #[test]
    fn pooling_layer_runs_from_the_arena() {
        let window = Window::new((2, 2), (2, 2), (2, 2), (1, 1), Padding::Valid).unwrap();
        let l = Layer {
            op: LayerOp::Kernel(Op::MaxPool {
                shape: PoolShape {
                    window,
                    channels: 1,
                },
                params: PoolParams {
                    act_min: -128,
                    act_max: 127,
                },
            }),
            input: Span { offset: 1, len: 4 },
            input2: Span::NONE,
            output: Span { offset: 0, len: 1 },
            weights: Span::NONE,
            bias: Span::NONE,
            multipliers: Span::NONE,
            shifts: Span::NONE,
        };
        let mut arena = [0, -3, 9, 4, -1i8];
        run_layer(&l, Variant::Reference, &[], &mut arena, &mut []).unwrap();
        assert_eq!(arena[0], 9);
    }
}
