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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checksum;
pub mod fc;
pub mod quant;
pub mod rng;

/// Why a kernel refused its arguments. Kernels never panic on bad shapes: the firmware
/// reports the error instead of faulting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelError {
    /// A buffer is shorter than the shape requires.
    BufferTooSmall,
    /// A dimension is zero or the shape overflows `usize`.
    BadShape,
}
