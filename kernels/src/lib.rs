//! `tinybench-kernels`: the int8 kernels every tinybench target runs, and the host too.
//!
//! The crate is `#![no_std]` and allocation-free so the very same source compiles into the
//! benchmark firmware (Cortex-M, RISC-V) and into the host harness, which recomputes each
//! case to check the device's output checksum.
//!
//! Semantics follow TFLite's int8 reference kernels (the ones TFLite Micro and CMSIS-NN
//! implement): asymmetric int8 activations with zero points, int32 bias, a per-tensor
//! requantization multiplier/shift with TFLite's rounding, and an activation clamp.
//!
//! One module per op family ([`fc`], [`conv`], [`depthwise`], [`pool`], [`softmax`],
//! [`elementwise`], [`activation`], [`reshape`]; [`int16x8`] for the 16x8 layers of int16
//! activations); fixed-point helpers in [`quant`]. The hot
//! ops (conv2d, depthwise, fully connected) have a `*_reference` and a `*_optimized`
//! implementation; the optimized one is chosen for the core at compile time ([`mac`]) and
//! produces exactly the reference's bytes. No heap: scratch comes from the caller,
//! sized by the op's `*_scratch_size` function. [`case`] describes a benchmark case as
//! data for the firmware and the host.
//!
//! ```
//! use tinybench_kernels::{fc, rng::Rng};
//! let (batches, inp, out) = (1, 8, 4);
//! let mut rng = Rng::new(42);
//! let mut x = [0i8; 8];
//! let mut w = [0i8; 32];
//! rng.fill_i8(&mut x);
//! rng.fill_i8(&mut w);
//! let bias = [0i32; 4];
//! let mut y = [0i8; 4];
//! let p = fc::FcParams { input_offset: 3, weights_offset: 0, output_offset: -1,
//!     output_multiplier: 1 << 30, output_shift: -4, act_min: -128, act_max: 127 };
//! fc::fully_connected(&p, fc::FcShape { batches, in_features: inp, out_features: out },
//!     &x, &w, &bias, &mut y).unwrap();
//! ```
#![cfg_attr(not(test), no_std)]
// `unsafe` is denied everywhere but the DSP instruction wrappers in `mac` (inline asm:
// the kernels' FFI boundary, so to speak), which allow it explicitly.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod activation;
pub mod batch_matmul;
pub mod binary;
pub mod binary_opt;
pub mod case;
pub mod checksum;
pub mod conv;
pub mod copy;
pub mod depthwise;
pub mod elementwise;
pub mod elementwise_opt;
pub mod fc;
pub mod fc_channel;
mod fc_dot;
mod gemm;
pub mod graph;
pub mod graph_ops;
pub mod hard_swish;
#[cfg(feature = "serde")]
pub mod image;
pub mod int16x8;
pub mod mac;
pub mod mean;
pub mod pool;
pub mod pool_opt;
pub mod quant;
mod requant;
pub mod reshape;
pub mod rng;
pub mod softmax;
pub mod transpose_conv;
pub mod window;

/// Why a kernel refused its arguments. Kernels never panic on bad shapes: the firmware
/// reports the error instead of faulting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelError {
    /// A buffer is shorter than the shape requires.
    BufferTooSmall,
    /// A dimension is zero or the shape overflows `usize`.
    BadShape,
    /// A quantization parameter is outside what the op defines (e.g. an input offset
    /// that is not the negation of an int8 zero point).
    BadParams,
}

/// Input offsets are negated int8 zero points: −127..=128. The optimized kernels keep
/// `x + offset` in 16 bits, so every kernel (reference included) refuses anything else,
/// and both variants agree on every input.
pub(crate) fn check_input_offset(offset: i32) -> Result<(), KernelError> {
    if (-128..=128).contains(&offset) {
        Ok(())
    } else {
        Err(KernelError::BadParams)
    }
}
