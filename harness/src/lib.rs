//! `tinybench`: the host orchestrator. Builds benchmark firmware for a target, runs it on
//! a device (emulated core or a board), checks its outputs against the host's, and
//! reports every count with what it measures.
//!
//! Layering: [`config`] parses and validates target and suite files; [`firmware`]
//! generates and builds the firmware; [`backend`] opens the target's device; [`run`] is
//! the one run path (a [`run::RunPlan`] checked, built, run through the shared device seam
//! and analysed on the host); [`report`] renders; [`provenance`] and [`runsel`] serve the
//! result store. The `cmd` modules are the CLI verbs, one file each: they only turn
//! options into plans and results into output. docs/architecture.md draws the picture.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod backend;
pub mod baseline;
// The verbs' clap structs: their doc comments are the `--help` text, and the option groups
// they flatten (`#[command(flatten)]`) take no doc comment of their own, so missing_docs
// would only ask for comments clap ignores.
#[allow(missing_docs)]
pub mod cmd;
pub mod config;
pub mod dataset;
pub mod energy;
pub mod expected;
pub mod firmware;
pub mod fsread;
pub mod model;
pub mod out;
#[cfg(feature = "emulator")]
pub mod profile;
pub mod project;
pub mod provenance;
pub mod report;
pub mod run;
pub mod runsel;
pub mod ui;

/// Process exit codes.
pub mod exit {
    /// Everything ran and every checksum matched.
    pub const OK: u8 = 0;
    /// A benchmark failed: checksum mismatch, kernel error, firmware fault, timeout or
    /// truncated stream.
    pub const BENCH_FAILED: u8 = 1;
    /// tinybench could not do the job: bad input, missing toolchain, build failure.
    pub const ERROR: u8 = 2;
    /// `tinybench ci`: a case got slower than `--fail-above` against the base run.
    pub const REGRESSION: u8 = 3;
    /// `tinybench ci`: the rig failed, not the benchmark: no probe, attach error, probe
    /// lost, firmware build or toolchain failure (after the configured retries).
    pub const INFRA: u8 = 4;
}
