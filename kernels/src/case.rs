//! A benchmark case as data: which op, its shape and parameters, and which
//! implementation. The firmware and the host run a case through the same [`run`], on
//! inputs [`fill`] derives from a seed, so the host's checksum is the device's to match.
//!
//! All types here derive `Debug`, whose output is valid Rust: the harness writes each
//! case into the firmware's generated `suite.rs` as `Op::…` with that text, with this
//! module's items in scope.

pub use crate::activation::Activation;
pub use crate::conv::{ConvParams, ConvShape, PerChannel};
pub use crate::depthwise::DepthwiseShape;
pub use crate::elementwise::{AddParams, MulParams};
pub use crate::fc::{FcParams, FcShape};
pub use crate::pool::{PoolParams, PoolShape};
pub use crate::softmax::{SoftmaxParams, SoftmaxShape};
pub use crate::window::{Padding, Window};

use crate::{
    conv, depthwise, elementwise, elementwise_opt, fc, pool, pool_opt, softmax, KernelError,
};

/// Which implementation of an op runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Variant {
    /// The portable reference loop nest.
    Reference,
    /// The implementation optimized for the core the code is built for
    /// ([`crate::mac::IMPLEMENTATION`]).
    Optimized,
}

impl Variant {
    /// Lower-case name used in suites and reports.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Reference => "reference",
            Variant::Optimized => "optimized",
        }
    }
}

/// One op with everything that defines it. Per-channel requantization multipliers are
/// generated from the seed (uniform in `[2^30, 2^31)`), with the shift the suite's
/// `requant_scale` gives: channel scales spread over one octave as in trained models.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Op {
    /// Fully connected.
    FullyConnected {
        /// Shape.
        shape: FcShape,
        /// Quantization.
        params: FcParams,
    },
    /// 2-D convolution, per-channel.
    Conv2d {
        /// Shape.
        shape: ConvShape,
        /// Quantization.
        params: ConvParams,
        /// Requantization shift of every channel.
        output_shift: i32,
    },
    /// Depthwise 2-D convolution, per-channel.
    DepthwiseConv2d {
        /// Shape.
        shape: DepthwiseShape,
        /// Quantization.
        params: ConvParams,
        /// Requantization shift of every channel.
        output_shift: i32,
    },
    /// Average pooling.
    AvgPool {
        /// Shape.
        shape: PoolShape,
        /// Clamp.
        params: PoolParams,
    },
    /// Max pooling.
    MaxPool {
        /// Shape.
        shape: PoolShape,
        /// Clamp.
        params: PoolParams,
    },
    /// Softmax.
    Softmax {
        /// Shape.
        shape: SoftmaxShape,
        /// Fixed-point scaling.
        params: SoftmaxParams,
    },
    /// Elementwise add of two tensors of `len` elements.
    Add {
        /// Elements.
        len: usize,
        /// Quantization.
        params: AddParams,
    },
    /// Elementwise mul of two tensors of `len` elements.
    Mul {
        /// Elements.
        len: usize,
        /// Quantization.
        params: MulParams,
    },
}

/// Element counts of the buffers a case needs. The second operand of add/mul lives in
/// the `weights` buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sizes {
    /// int8 input elements.
    pub input: usize,
    /// int8 weight (or second operand) elements.
    pub weights: usize,
    /// int32 bias elements.
    pub bias: usize,
    /// Per-channel multipliers and shifts (int32 each).
    pub channels: usize,
    /// int8 output elements.
    pub output: usize,
    /// int16 scratch elements (largest over the variants).
    pub scratch: usize,
}

impl Sizes {
    /// Element-wise maximum.
    pub fn max(self, o: Sizes) -> Sizes {
        Sizes {
            input: self.input.max(o.input),
            weights: self.weights.max(o.weights),
            bias: self.bias.max(o.bias),
            channels: self.channels.max(o.channels),
            output: self.output.max(o.output),
            scratch: self.scratch.max(o.scratch),
        }
    }

    /// Bytes they occupy.
    pub fn bytes(self) -> usize {
        self.input
            + self.weights
            + 4 * self.bias
            + 8 * self.channels
            + self.output
            + 2 * self.scratch
    }
}

/// The caller's buffers for one case (no heap: the firmware passes statics).
pub struct Workspace<'a> {
    /// Input tensor.
    pub input: &'a mut [i8],
    /// Weights, or the second operand of add/mul.
    pub weights: &'a mut [i8],
    /// Bias.
    pub bias: &'a mut [i32],
    /// Per-channel multipliers.
    pub multipliers: &'a mut [i32],
    /// Per-channel shifts.
    pub shifts: &'a mut [i32],
    /// Output tensor.
    pub output: &'a mut [i8],
    /// Scratch for the optimized kernels.
    pub scratch: &'a mut [i16],
}

impl Op {
    /// Kernel name used in suites and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Op::FullyConnected { .. } => "fully_connected",
            Op::Conv2d { .. } => "conv2d",
            Op::DepthwiseConv2d { .. } => "depthwise_conv2d",
            Op::AvgPool { .. } => "avg_pool",
            Op::MaxPool { .. } => "max_pool",
            Op::Softmax { .. } => "softmax",
            Op::Add { .. } => "add",
            Op::Mul { .. } => "mul",
        }
    }

    /// Whether the op has an optimized implementation besides the reference.
    pub fn has_optimized(&self) -> bool {
        matches!(
            self,
            Op::FullyConnected { .. }
                | Op::Conv2d { .. }
                | Op::DepthwiseConv2d { .. }
                | Op::AvgPool { .. }
                | Op::MaxPool { .. }
                | Op::Add { .. }
                | Op::Mul { .. }
        )
    }

    /// Multiply-accumulates per call (pooling: window taps; softmax: exponentials;
    /// add/mul: elements).
    pub fn macs(&self) -> u64 {
        match self {
            Op::FullyConnected { shape, .. } => shape.macs(),
            Op::Conv2d { shape, .. } => shape.macs(),
            Op::DepthwiseConv2d { shape, .. } => shape.macs(),
            Op::AvgPool { shape, .. } | Op::MaxPool { shape, .. } => shape.macs(),
            Op::Softmax { shape, .. } => shape.macs(),
            Op::Add { len, .. } | Op::Mul { len, .. } => *len as u64,
        }
    }

    /// Scratch bytes `variant` needs (what the firmware spends in RAM besides tensors).
    pub fn scratch_bytes(&self, variant: Variant) -> usize {
        match (self, variant) {
            (_, Variant::Reference) => 0,
            (Op::Conv2d { shape, .. }, Variant::Optimized) => conv::conv2d_scratch_size(shape),
            (Op::DepthwiseConv2d { shape, .. }, Variant::Optimized) => {
                depthwise::depthwise_scratch_size(shape)
            }
            (Op::FullyConnected { shape, .. }, Variant::Optimized) => {
                fc::fully_connected_scratch_size(shape)
            }
            _ => 0,
        }
    }

    /// Buffers this op needs.
    pub fn sizes(&self) -> Sizes {
        let scratch = self.scratch_bytes(Variant::Optimized).div_ceil(2);
        match self {
            Op::FullyConnected { shape: s, .. } => Sizes {
                input: s.batches * s.in_features,
                weights: s.out_features * s.in_features,
                bias: s.out_features,
                output: s.batches * s.out_features,
                ..Sizes::default()
            },
            Op::Conv2d { shape: s, .. } => Sizes {
                input: s.input_len(),
                weights: s.weights_len(),
                bias: s.out_c,
                channels: s.out_c,
                output: s.output_len(),
                scratch,
            },
            Op::DepthwiseConv2d { shape: s, .. } => Sizes {
                input: s.input_len(),
                weights: s.weights_len(),
                bias: s.out_c(),
                channels: s.out_c(),
                output: s.output_len(),
                scratch,
            },
            Op::AvgPool { shape: s, .. } | Op::MaxPool { shape: s, .. } => Sizes {
                input: s.input_len(),
                output: s.output_len(),
                ..Sizes::default()
            },
            Op::Softmax { shape: s, .. } => Sizes {
                input: s.len(),
                output: s.len(),
                ..Sizes::default()
            },
            Op::Add { len, .. } | Op::Mul { len, .. } => Sizes {
                input: *len,
                weights: *len,
                output: *len,
                ..Sizes::default()
            },
        }
    }
}

/// Seed a case's inputs, in this order from one generator: input, weights (or second
/// operand), bias (±[`fc::BIAS_RANGE`]), per-channel multipliers. For fully connected
/// this is exactly [`fc::fill_case`]. Buffers shorter than the op needs are filled as far
/// as they go ([`run`] then reports `BufferTooSmall`).
pub fn fill(seed: u32, op: &Op, ws: &mut Workspace<'_>) {
    let sz = op.sizes();
    let mut rng = crate::rng::Rng::new(seed);
    let n = |want: usize, have: usize| want.min(have);
    let (ni, nw, nb) = (
        n(sz.input, ws.input.len()),
        n(sz.weights, ws.weights.len()),
        n(sz.bias, ws.bias.len()),
    );
    rng.fill_i8(&mut ws.input[..ni]);
    rng.fill_i8(&mut ws.weights[..nw]);
    rng.fill_i32(&mut ws.bias[..nb], fc::BIAS_RANGE);
    let shift = match op {
        Op::Conv2d { output_shift, .. } | Op::DepthwiseConv2d { output_shift, .. } => *output_shift,
        _ => 0,
    };
    let ch = n(n(sz.channels, ws.multipliers.len()), ws.shifts.len());
    for (m, s) in ws.multipliers[..ch].iter_mut().zip(&mut ws.shifts[..ch]) {
        *m = ((1u32 << 30) | (rng.next_u32() >> 2)) as i32;
        *s = shift;
    }
}

/// Run `op` once with `variant` on the workspace. Ops without an optimized
/// implementation run their reference for either variant.
#[inline(never)]
pub fn run(op: &Op, variant: Variant, ws: &mut Workspace<'_>) -> Result<(), KernelError> {
    run_on(
        op,
        variant,
        Operands {
            input: ws.input,
            weights: ws.weights,
            bias: ws.bias,
            multipliers: ws.multipliers,
            shifts: ws.shifts,
            output: ws.output,
            scratch: ws.scratch,
        },
    )
}

/// The tensors one call of an op reads and writes. Unlike [`Workspace`] the read-only
/// operands are shared borrows, so they can live in flash (a model's weights) or in the
/// same arena as other tensors.
pub struct Operands<'a> {
    /// Input tensor.
    pub input: &'a [i8],
    /// Weights, or the second operand of add/mul.
    pub weights: &'a [i8],
    /// Bias.
    pub bias: &'a [i32],
    /// Per-channel multipliers.
    pub multipliers: &'a [i32],
    /// Per-channel shifts.
    pub shifts: &'a [i32],
    /// Output tensor.
    pub output: &'a mut [i8],
    /// Scratch for the optimized kernels.
    pub scratch: &'a mut [i16],
}

/// Run `op` once with `variant` on `o`: the one dispatch from op description to kernel,
/// shared by benchmark cases ([`run`]) and model layers ([`crate::graph`]).
#[inline(never)]
pub fn run_on(op: &Op, variant: Variant, o: Operands<'_>) -> Result<(), KernelError> {
    let opt = variant == Variant::Optimized;
    let q = PerChannel {
        multipliers: o.multipliers,
        shifts: o.shifts,
    };
    match op {
        Op::FullyConnected { shape, params } => {
            let f = if opt {
                fc::fully_connected_optimized
            } else {
                fc::fully_connected
            };
            f(params, *shape, o.input, o.weights, o.bias, o.output)
        }
        Op::Conv2d { shape, params, .. } => {
            if opt {
                conv::conv2d_optimized(
                    params, shape, &q, o.input, o.weights, o.bias, o.output, o.scratch,
                )
            } else {
                conv::conv2d_reference(params, shape, &q, o.input, o.weights, o.bias, o.output)
            }
        }
        Op::DepthwiseConv2d { shape, params, .. } => {
            let f = if opt {
                depthwise::depthwise_conv2d_optimized
            } else {
                depthwise::depthwise_conv2d_reference
            };
            f(params, shape, &q, o.input, o.weights, o.bias, o.output)
        }
        Op::AvgPool { shape, params } => {
            let f = if opt {
                pool_opt::avg_pool_optimized
            } else {
                pool::avg_pool
            };
            f(params, shape, o.input, o.output)
        }
        Op::MaxPool { shape, params } => {
            let f = if opt {
                pool_opt::max_pool_optimized
            } else {
                pool::max_pool
            };
            f(params, shape, o.input, o.output)
        }
        Op::Softmax { shape, params } => softmax::softmax(params, shape, o.input, o.output),
        Op::Add { len, params } => {
            let f = if opt {
                elementwise_opt::add_optimized
            } else {
                elementwise::add
            };
            f(params, *len, o.input, o.weights, o.output)
        }
        Op::Mul { len, params } => {
            let f = if opt {
                elementwise_opt::mul_optimized
            } else {
                elementwise::mul
            };
            f(params, *len, o.input, o.weights, o.output)
        }
    }
}

/// The output tensor of `op` within the workspace's output buffer.
pub fn output_len(op: &Op) -> usize {
    op.sizes().output
}
