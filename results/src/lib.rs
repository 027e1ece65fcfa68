//! `tinybench-results`: the versioned result schema every tinybench run produces.
//!
//! A [`RunResult`] is what `tinybench run --format json` prints and what later tools
//! (store, compare, reports) read. Every file states its [`SCHEMA_VERSION`]; every number
//! states its [`CountKind`] so a modeled or emulated figure is never mistaken for a
//! measured one.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod kind;
mod schema;
pub mod stats;

pub use kind::CountKind;
pub use schema::*;
