//! The ops a model graph runs besides the benchmark kernels of [`crate::case::Op`]:
//! per-channel fully connected, broadcasting binary ops, strided copies (transpose,
//! slices, concatenation, padding), table lookups (every int8 pointwise op) and mean.

pub use crate::batch_matmul::{BatchMatMulParams, BatchMatMulShape};
pub use crate::binary::{BinaryKind, BroadcastShape};
use crate::case::Variant;
use crate::conv::{ConvParams, ConvShape, PerChannel};
pub use crate::copy::CopyShape;
use crate::depthwise::DepthwiseShape;
use crate::fc::{FcParams, FcShape};
pub use crate::hard_swish::HardSwishParams;
use crate::int16x8::Operands16;
pub use crate::int16x8::{Add16, Params16, Softmax16};
pub use crate::mean::MeanShape;
pub use crate::transpose_conv::TransposeConvShape;
use crate::KernelError;

/// One graph op with its shape and quantization. The generated model source writes it
/// with its `Debug` text, as [`crate::case::Op`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum GraphOp {
    /// Fully connected, per-channel requantization (multipliers and shifts in the blob).
    FcPerChannel {
        /// Shape.
        shape: FcShape,
        /// Offsets and clamp (its multiplier and shift are unused).
        params: FcParams,
    },
    /// add, sub, mul, maximum, minimum with broadcasting.
    Binary {
        /// Which op.
        kind: BinaryKind,
        /// Broadcast shape.
        shape: BroadcastShape,
    },
    /// A strided copy (weights unused).
    Strided(CopyShape),
    /// A 256-entry table lookup of `len` elements (the table is the layer's weights).
    Lookup {
        /// Elements.
        len: u32,
    },
    /// Mean over contiguous dimensions.
    Mean(MeanShape),
    /// Transpose convolution, per-channel requantization (weights, bias, multipliers and
    /// shifts in the blob).
    TransposeConv {
        /// Geometry.
        shape: TransposeConvShape,
        /// Offsets and clamp.
        params: ConvParams,
    },
    /// Batched matrix product of the two inputs.
    BatchMatMul {
        /// Geometry and operand strides.
        shape: BatchMatMulShape,
        /// Quantization.
        params: BatchMatMulParams,
    },
    /// `HARD_SWISH` of `len` elements: TFLite's fixed-point arithmetic in the reference
    /// variant, the table of it (the layer's weights) in the optimized one.
    HardSwish {
        /// Elements.
        len: u32,
        /// Quantization.
        params: HardSwishParams,
    },
    /// Copy `len` constant bytes (the weights) into the output: a constant operand of an
    /// op that reads activations.
    Load {
        /// Bytes.
        len: u32,
    },
    /// Fully connected with int16 activations and int8 weights ([`crate::int16x8`]):
    /// weights, int64 bias (two words a channel), multipliers and shifts in the blob.
    Fc16x8 {
        /// Shape.
        shape: FcShape,
        /// Clamp.
        params: Params16,
    },
    /// 2-D convolution with int16 activations and int8 weights ([`crate::int16x8`]).
    Conv16x8 {
        /// Geometry.
        shape: ConvShape,
        /// Clamp.
        params: Params16,
    },
    /// Depthwise convolution with int16 activations and int8 weights
    /// ([`crate::int16x8`]).
    Depthwise16x8 {
        /// Geometry.
        shape: DepthwiseShape,
        /// Clamp.
        params: Params16,
    },
    /// Softmax of int16 activations; its two lookup tables are the layer's weights
    /// ([`crate::int16x8::softmax_16x8`]).
    Softmax16x8(Softmax16),
    /// ADD of two int16 tensors of one shape ([`crate::int16x8::add_16x8`]).
    Add16x8(Add16),
}

/// Where a graph op's operands are.
pub struct GraphOperands<'a> {
    /// First input.
    pub input: &'a [i8],
    /// Second input (binary ops).
    pub input2: &'a [i8],
    /// int8 constants (weights, table).
    pub weights: &'a [i8],
    /// Bias.
    pub bias: &'a [i32],
    /// Per-channel multipliers.
    pub multipliers: &'a [i32],
    /// Per-channel shifts.
    pub shifts: &'a [i32],
    /// Output.
    pub output: &'a mut [i8],
}

impl GraphOp {
    /// Kernel name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            GraphOp::FcPerChannel { .. } => "fully_connected_per_channel",
            GraphOp::Binary { kind, .. } => match kind {
                BinaryKind::AddOp(_) => "add_broadcast",
                BinaryKind::SubOp(_) => "sub",
                BinaryKind::MulOp(_) => "mul_broadcast",
                BinaryKind::MaximumOp => "maximum",
                BinaryKind::MinimumOp => "minimum",
            },
            GraphOp::Strided(_) => "strided_copy",
            GraphOp::Lookup { .. } => "lookup",
            GraphOp::Mean(_) => "mean",
            GraphOp::HardSwish { .. } => "hard_swish",
            GraphOp::TransposeConv { .. } => "transpose_conv",
            GraphOp::BatchMatMul { .. } => "batch_matmul",
            GraphOp::Load { .. } => "load",
            GraphOp::Fc16x8 { .. } => "fully_connected_16x8",
            GraphOp::Conv16x8 { .. } => "conv2d_16x8",
            GraphOp::Depthwise16x8 { .. } => "depthwise_conv2d_16x8",
            GraphOp::Softmax16x8(_) => "softmax_16x8",
            GraphOp::Add16x8(_) => "add_16x8",
        }
    }

    /// Multiply-accumulates (elements for the elementwise ones, inputs summed for mean).
    pub fn macs(&self) -> u64 {
        match self {
            GraphOp::FcPerChannel { shape, .. } => shape.macs(),
            GraphOp::Binary { shape, .. } => shape.len() as u64,
            GraphOp::Strided(s) => s.len() as u64,
            GraphOp::Lookup { len } | GraphOp::HardSwish { len, .. } => *len as u64,
            GraphOp::Mean(m) => m.input_len() as u64,
            GraphOp::Load { .. } => 0,
            GraphOp::TransposeConv { shape, .. } => shape.macs(),
            GraphOp::BatchMatMul { shape, .. } => shape.macs(),
            GraphOp::Fc16x8 { shape, .. } => shape.macs(),
            GraphOp::Conv16x8 { shape, .. } => shape.macs(),
            GraphOp::Depthwise16x8 { shape, .. } => shape.macs(),
            GraphOp::Softmax16x8(p) => p.rows as u64 * p.depth as u64,
            GraphOp::Add16x8(p) => p.len as u64,
        }
    }

    /// Run it. Per-channel fully connected, transpose convolution and hard swish have an
    /// optimized variant; the others (the 16x8 layers among them) are one implementation
    /// for both.
    pub fn run(&self, variant: Variant, o: GraphOperands<'_>) -> Result<(), KernelError> {
        match self {
            GraphOp::FcPerChannel { shape, params } => {
                let f = if variant == Variant::Optimized {
                    crate::fc_channel::fully_connected_per_channel_optimized
                } else {
                    crate::fc_channel::fully_connected_per_channel_reference
                };
                f(
                    params,
                    *shape,
                    o.input,
                    o.weights,
                    o.bias,
                    o.multipliers,
                    o.shifts,
                    o.output,
                )
            }
            GraphOp::Binary { kind, shape } => {
                let f = if variant == Variant::Optimized {
                    crate::binary_opt::binary_optimized
                } else {
                    crate::binary::binary
                };
                f(kind, shape, o.input, o.input2, o.output)
            }
            GraphOp::Strided(s) => crate::copy::strided_copy(s, o.input, o.output),
            GraphOp::Lookup { len } => {
                let n = *len as usize;
                let x = o.input.get(..n).ok_or(KernelError::BufferTooSmall)?;
                crate::copy::lookup(o.weights, x, o.output)
            }
            GraphOp::Mean(m) => crate::mean::mean(m, o.input, o.output),
            GraphOp::TransposeConv { shape, params } => {
                let f = if variant == Variant::Optimized {
                    crate::transpose_conv::transpose_conv_optimized
                } else {
                    crate::transpose_conv::transpose_conv_reference
                };
                let q = PerChannel {
                    multipliers: o.multipliers,
                    shifts: o.shifts,
                };
                f(params, *shape, o.input, o.weights, o.bias, q, o.output)
            }
            GraphOp::BatchMatMul { shape, params } => {
                crate::batch_matmul::batch_matmul(params, shape, o.input, o.input2, o.output)
            }
            GraphOp::HardSwish { len, params } => {
                let x = o
                    .input
                    .get(..*len as usize)
                    .ok_or(KernelError::BufferTooSmall)?;
                if variant == Variant::Optimized {
                    crate::copy::lookup(o.weights, x, o.output)
                } else {
                    crate::hard_swish::hard_swish_reference(params, x, o.output)
                }
            }
            GraphOp::Load { len } => {
                let n = *len as usize;
                let src = o.weights.get(..n).ok_or(KernelError::BufferTooSmall)?;
                let dst = o.output.get_mut(..n).ok_or(KernelError::BufferTooSmall)?;
                dst.copy_from_slice(src);
                Ok(())
            }
            GraphOp::Fc16x8 { shape, params } => {
                crate::int16x8::fully_connected_16x8(params, shape, operands16(o))
            }
            GraphOp::Conv16x8 { shape, params } => {
                crate::int16x8::conv2d_16x8(params, shape, operands16(o))
            }
            GraphOp::Depthwise16x8 { shape, params } => {
                crate::int16x8::depthwise_conv2d_16x8(params, shape, operands16(o))
            }
            GraphOp::Softmax16x8(p) => {
                crate::int16x8::softmax_16x8(p, o.input, o.weights, o.output)
            }
            GraphOp::Add16x8(p) => crate::int16x8::add_16x8(p, o.input, o.input2, o.output),
        }
    }
}

fn operands16(o: GraphOperands<'_>) -> Operands16<'_> {
    Operands16 {
        input: o.input,
        weights: o.weights,
        bias: o.bias,
        multipliers: o.multipliers,
        shifts: o.shifts,
        output: o.output,
    }
}
