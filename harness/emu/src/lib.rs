//! `tinybench-emu`: the emulated device backend.
//!
//! Runs the very firmware ELF one would flash, in-process, in unicorn-engine, and
//! implements [`tinybench_device::Device`] exactly as a probe backend does: load the
//! segments at their load addresses, start from the reset vector, drain RTT up channels 0
//! and 1 (when the firmware has it) from target RAM, stop on the done/fault markers.
//!
//! # What the counter reads mean
//! On Cortex-M the firmware reads DWT CYCCNT (0xE000_1004); on RISC-V it calls
//! `tinybench_read_counter` (`csrr a0, mcycle; ret`). Here either read returns the number
//! of instructions executed so far, counted by one per-instruction code hook (each
//! instruction the hook sees counts once; the reading instruction itself is included; on
//! RISC-V the `ret` of the read function too). Counts are therefore "instructions,
//! emulated": exact and repeatable, not cycles.
//!
//! # Measured pitfalls this design avoids
//! Stopping and restarting unicorn mid-run loses hook calls, so a run is one
//! uninterrupted `emu_start`; RTT is drained from inside the code hook every
//! [`EmuConfig::drain_interval`] instructions. Per-address hooks are slow, so one hook
//! compares the PC against the few marker addresses. The faulting PC comes from the last
//! address the code hook saw, which is exact (MMIO/memory callbacks only see the block's).
//!
//! Licence: unicorn-engine is GPL-2.0, so a binary linking this crate is GPL-2.0.

mod arch;
mod machine;
mod model;
mod profile;
pub mod timing;

pub use arch::EmuCore;
pub use machine::{EmuConfig, Emulator, MemRegion};
pub use profile::{ProfileRequest, RawProfile};
