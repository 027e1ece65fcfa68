//! `tinybench-results`: the versioned result schema every tinybench run produces, the
//! store that keeps runs, and the comparison that gates CI on regressions.
//!
//! A [`RunResult`] is what `tinybench run --format json` prints and what the store keeps.
//! Every file states its [`SCHEMA_VERSION`] and older versions are migrated on read
//! ([`migrate`]); every number states its [`CountKind`] so a modeled or emulated figure is
//! never mistaken for a measured one. [`stats`] is a leaf module (it imports nothing else
//! of the crate); [`compare`] uses it and [`gate`] judges a comparison metric by metric;
//! [`store`] keeps runs on disk.
//!
//! ```
//! use tinybench_results::{compare, store::Store};
//! let dir = std::env::temp_dir().join(format!("tb-doc-{}", std::process::id()));
//! let store = Store::new(&dir);
//! let listing = store.list().unwrap();
//! assert!(listing.runs.is_empty());
//! # let _ = compare::CompareOptions::default();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compare;
pub mod gate;
mod kind;
pub mod metrics;
pub mod migrate;
mod notes;
mod schema;
pub mod stats;
pub mod store;
mod verdict;

pub use kind::CountKind;
pub use schema::*;
