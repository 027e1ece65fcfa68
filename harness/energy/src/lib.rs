//! `tinybench-energy`: energy per measured region, from a stream of power samples.
//!
//! One pipeline for every source: a [`Trace`] of timestamped samples (current, voltage or
//! power, turned into watts) and the [`Window`]s of the measured regions on the same clock;
//! [`integrate`] gives the energy inside each window by the trapezoid rule, interpolating
//! at the window edges, with an error [`Estimate::bound`] from the sampling.
//! [`datasheet::PowerModel`] synthesises a trace from a datasheet figure so the emulator runs the
//! same pipeline; [`ppk2`] decodes a PPK2 stream and [`ina`] INA226/INA219 registers sent
//! by the firmware. Every result carries its [`Source`] ("measured (PPK2)", "modeled
//! (datasheet …)") so sources are never mixed silently.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod datasheet;
pub mod ina;
pub mod ppk2;
pub mod ppk2_serial;
mod trace;

pub use trace::{integrate, Estimate, Sample, Trace, TraceError, TraceIssue, Window};

/// Where energy numbers come from. Printed with every number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Measured by an instrument, e.g. `PPK2` or `INA226`.
    Measured(String),
    /// Modeled from a datasheet figure; the string cites it.
    Modeled(String),
}

impl Source {
    /// `energy, measured (PPK2)` / `energy, modeled (datasheet …)`.
    pub fn label(&self) -> String {
        match self {
            Source::Measured(s) => format!("energy, measured ({s})"),
            Source::Modeled(s) => format!("energy, modeled ({s})"),
        }
    }
}
