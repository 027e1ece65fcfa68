//! `tinybench-model`: whole int8 TFLite models on the tinybench kernels.
//!
//! [`import`] reads a `.tflite` flatbuffer through the generated TFLite schema and lowers
//! each operator onto a kernel op, refusing anything the kernels would not compute
//! bit-exactly (naming the operator's index and type). [`plan`] places the activation
//! tensors in one arena by their lifetimes. [`compile`] turns the result into the data the
//! firmware compiles in: the layer list, one blob of constants, the arena and scratch
//! sizes; the same [`compile::Compiled`] runs on the host to give every layer's expected
//! output.

#![warn(missing_docs)]

pub mod compile;
mod ctx;
pub mod import;
mod ir;
mod lower;
mod lower_16x8;
mod lower_nn;
mod lower_ops;
pub mod plan;
#[doc(hidden)]
pub mod testing;
mod unary;
mod validate;

pub use compile::{compile, Compiled, LayerInfo};
pub use import::{import, Model};
pub use plan::{plan, Plan};

/// Why a model cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not a TFLite flatbuffer at all.
    #[error("{path}: not a TFLite model: {reason}")]
    Flatbuffer {
        /// The file.
        path: String,
        /// What the flatbuffer verifier said.
        reason: String,
    },
    /// Something about the model's structure tinybench does not handle.
    #[error("{path}: {what}")]
    Malformed {
        /// The file.
        path: String,
        /// What.
        what: String,
    },
    /// An operator tinybench has no kernel for.
    #[error(
        "{path}: op {index} ({op}) is not supported; tinybench maps {} (and QUANTIZE/DEQUANTIZE at the model's float input and output)",
        import::SUPPORTED_OPS.join(", ")
    )]
    UnsupportedOp {
        /// The file.
        path: String,
        /// Operator index in the subgraph.
        index: usize,
        /// TFLite operator name.
        op: String,
    },
    /// Several operators tinybench has no kernel for.
    #[error(
        "{path}: {count} operators are not supported: {ops}; tinybench maps {} (and QUANTIZE/DEQUANTIZE at the model's float inputs and outputs)",
        import::SUPPORTED_OPS.join(", ")
    )]
    UnsupportedOps {
        /// The file.
        path: String,
        /// `op 3 (TANH), op 7 (GATHER)`.
        ops: String,
        /// How many.
        count: usize,
    },
    /// Operators of a 16x8 model (int16 activations) that have no 16x8 kernel.
    #[error(
        "{path}: {ops} read{} or write{} int16 tensors (16x8 quantization), and tinybench runs int16 activations on {} only",
        if *count == 1 { "s" } else { "" },
        if *count == 1 { "s" } else { "" },
        lower_16x8::OPS_16X8.join(", ")
    )]
    Unsupported16x8 {
        /// The file.
        path: String,
        /// `op 3 (MEAN), op 7 (LOGISTIC)`.
        ops: String,
        /// How many.
        count: usize,
    },
    /// A supported operator used in a way (quantization, shape, option) the kernels do
    /// not compute bit-exactly.
    #[error("{path}: op {index} ({op}): {what}")]
    Unsupported {
        /// The file.
        path: String,
        /// Operator index in the subgraph.
        index: usize,
        /// TFLite operator name.
        op: String,
        /// What is not supported.
        what: String,
    },
}
