use serde::{Deserialize, Serialize};
use std::fmt;

/// What a count measures. Printed next to every number tinybench shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CountKind {
    /// Core clock cycles read from the hardware counter (DWT CYCCNT, `mcycle`).
    CyclesHardware,
    /// Instructions executed, counted exactly by an emulator.
    InstructionsEmulated,
    /// Cycles estimated by a per-core timing model applied to emulated instructions.
    CyclesModeled,
}

impl CountKind {
    /// The label tinybench prints with the number.
    pub fn label(self) -> &'static str {
        match self {
            CountKind::CyclesHardware => "cycles, hardware",
            CountKind::InstructionsEmulated => "instructions, emulated",
            CountKind::CyclesModeled => "cycles, modeled",
        }
    }
}

impl fmt::Display for CountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
