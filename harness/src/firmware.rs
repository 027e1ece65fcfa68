//! Building the benchmark firmware: generate its inputs, pick a toolchain, run cargo,
//! cache the result.

pub mod build;
pub mod cache;
pub mod gen;
pub mod patch;
pub mod toolchain;
