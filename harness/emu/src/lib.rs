//! `tinybench-emu`: the emulated device backend.
//!
//! Runs the very firmware ELF one would flash, in-process, in unicorn-engine, and
//! implements [`tinybench_device::Device`] exactly as a probe backend does: load the
//! segments at their load addresses, start from the reset vector, drain RTT up channels 0
//! and 1 (when the firmware has it) from target RAM, stop on the done/fault markers.
//!
//! # What the counter reads mean
//! On Cortex-M the firmware reads DWT CYCCNT (0xE000_1004), or on ARMv6-M SysTick's
//! value (with its wrap exception, `systick`); on RISC-V it calls
//! `tinybench_read_counter` (`csrr a0, mcycle; ret`). Here every read returns the number
//! of instructions executed so far, the reading instruction included (on RISC-V the `ret`
//! of the read function too). Instructions are counted per translated block from its
//! decoded instructions (`model`), so instructions an IT block skips count too: they take
//! an issue slot on the core. Counts are therefore "instructions, emulated": exact and
//! repeatable, not cycles. A region too long for the firmware's 32-bit counter is
//! refused (a fault naming it), never printed modulo 2^32.
//!
//! # Measured pitfalls this design avoids
//! Stopping and restarting unicorn mid-run loses hook calls, so a run is one
//! uninterrupted `emu_start`; RTT is drained from the block hook every
//! [`EmuConfig::drain_interval`] instructions, which also watches the wall clock
//! (unicorn's own timeout thread cost ~40 % of the run time). A per-instruction hook (a
//! closure call per instruction) is used only when profiling; a memory-read hook sends
//! every load through unicorn's slow path, so the Cortex-M counter registers are an MMIO
//! region whose callback finds the reading instruction in the current block (`ppb`).
//! A store leaves unicorn's fast path while any memory hook covers its page or the
//! page's translation allows instruction fetches, so no hook covers RAM and RAM is
//! translated read/write only (`memory`). Faulting PCs come from unicorn's synced PC.
//!
//! Licence: unicorn-engine is GPL-2.0, so a binary linking this crate is GPL-2.0.
#![warn(missing_docs)]

mod arch;
mod block_hook;
pub mod engine;
mod hooks;
mod machine;
mod memory;
mod model;
mod ppb;
mod profile;
mod systick;
pub mod timing;

pub use arch::EmuCore;
pub use machine::{EmuConfig, Emulator, MemRegion};
pub use profile::{ProfileRequest, RawProfile};
