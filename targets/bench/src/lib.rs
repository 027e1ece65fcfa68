//! `tinybench-target`: the target side of tinybench.
//!
//! One timing path for everything tinybench measures on a microcontroller: the counter of
//! each core ([`arch`]: DWT CYCCNT on ARMv7-M/v8-M, SysTick extended by its wrap interrupt
//! on ARMv6-M, `mcycle` on RISC-V), the timed region ([`measure`]), the stack high-water
//! mark ([`stack`]) and the defmt frames the host reads ([`frame`]). The suite firmware
//! (`targets/firmware`) is built on it, and so are benchmarks of your own code:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! use tinybench_target::Bench;
//!
//! fn setup() -> [u8; 256] { [0x5a; 256] }
//! fn crc(data: &mut [u8; 256]) -> u32 { my_crate::crc32(data) }
//!
//! tinybench_target::main! {
//!     Bench::new("crc32_256", setup, crc).reps(10),
//! }
//! ```
//!
//! Built for a target and run with `tinybench run --target sim-cortex-m4 --elf PATH`
//! (or as the cargo runner), every benchmark's counts come back labelled, checked against
//! the checksum you pin with [`Bench::expect`], and stored like every tinybench run. See
//! docs/own-code.md in the tinybench repository.
//!
//! Built for the host (`cargo run --release --target x86_64-unknown-linux-gnu`, or
//! `tinybench run --elf PATH --host`, which does that), [`main!`] writes a host `main`
//! instead ([`host`]): the same benchmarks, the same inputs, the checksum computed by the
//! same sequence of calls, and the function timed under criterion.
// std on the host: the host side runs criterion and writes files.
#![cfg_attr(all(not(test), target_os = "none"), no_std)]
#![warn(missing_docs)]

pub mod checksum;
pub use checksum::{checksum, Fnv1a, Output};

#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
pub mod arch;
mod bench;
#[cfg(not(target_os = "none"))]
pub mod host;
pub use bench::{Bench, Benchmark, Work};
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
pub mod frame;
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
pub mod stack;
#[cfg(all(feature = "rtt", target_os = "none"))]
use defmt_rtt as _;
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
pub use {arch::entry, bench::run_all};

/// Result-frame schema version; the host refuses a firmware that speaks another.
/// Schema 2 added the whole-model frames (`TB model`, `TB out`, `TB stack`); schema 3
/// the benchmark name frame (`TB bench`) of benchmarks of your own code; schema 4 the
/// declared work of one (`TB work`: MACs and shape). The host reads 3 and 4.
pub const SCHEMA: u16 = 4;

/// Magic word opening `TINYBENCH_META` ("TBNC").
pub const META_MAGIC: u32 = 0x5442_4E43;

/// The count a `TB sample`/`TB overhead` frame carries when the region did not fit 32
/// bits (ARMv6-M, whose extended SysTick count is wider): the host refuses it rather than
/// print a wrapped number.
pub const COUNT_OVERFLOW: u32 = u32::MAX;

/// Empty-region calibrations a benchmark firmware sends before its first case.
pub const OVERHEAD_REPS: u16 = 8;

/// What `TINYBENCH_META` holds: magic, frame schema and the payload hash (the suite's, or
/// 0 for benchmarks of your own code, which the host does not check).
pub const fn meta(hash: u32) -> [u32; 3] {
    [META_MAGIC, SCHEMA as u32, hash]
}

/// Run `work` between two counter reads: the counter value at the start, the elapsed
/// count (see [`arch::elapsed`]) and `work`'s result. Nothing else is inside the region.
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
#[inline(always)]
pub fn measure<R>(work: impl FnOnce() -> R) -> (arch::Count, u32, R) {
    let t0 = arch::read_counter();
    let r = work();
    let t1 = arch::read_counter();
    (t0, arch::elapsed(t0, t1), r)
}

/// The host stops here: the emulator hooks this symbol; on a board the host sees the
/// `TB done` frame and the breakpoint halts the core.
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
#[no_mangle]
#[inline(never)]
pub extern "C" fn tinybench_done() -> ! {
    arch::stop_done()
}

/// Reached after a panic or fault frame has been sent.
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
#[no_mangle]
#[inline(never)]
pub extern "C" fn tinybench_fault() -> ! {
    arch::stop_fault()
}

/// Stop after a panic or fault report (the host reads the frame before it).
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
#[inline(always)]
pub fn fault() -> ! {
    tinybench_fault()
}

/// Send the stack and done frames and stop at the done marker.
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
pub fn finish() -> ! {
    let (used, size) = stack::used();
    frame::stack(used, size);
    frame::done();
    tinybench_done()
}

#[cfg(all(
    feature = "panic-handler",
    not(test),
    any(target_arch = "arm", target_arch = "riscv32")
))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    defmt::println!("TB panic {}", defmt::Display2Format(info));
    fault()
}

/// Declare the benchmarks of a firmware: defines `TINYBENCH_META` and the entry point,
/// which runs every [`Bench`] in order and stops at the done marker.
///
/// ```ignore
/// tinybench_target::main! {
///     Bench::new("fir_q15", fir::setup, fir::run).reps(10).expect(0x1234_5678),
///     Bench::new("crc32", crc::setup, crc::run),
/// }
/// ```
///
/// Your own `main` (a HAL to initialise first) can call [`run_all`] instead, with
/// [`meta!`] for the self-description.
///
/// Built for the host, it writes a plain `main` that runs [`host::run_all`] on the same
/// list (start the file with `#![cfg_attr(target_os = "none", no_std, no_main)]` so it
/// builds for both).
#[macro_export]
macro_rules! main {
    ($($bench:expr),+ $(,)?) => {
        $crate::meta!();
        #[cfg(target_os = "none")]
        #[$crate::entry]
        fn main() -> ! {
            let mut benches: [&mut dyn $crate::Benchmark; [$(stringify!($bench)),+].len()] =
                [$(&mut $bench),+];
            $crate::run_all(&mut benches)
        }
        #[cfg(not(target_os = "none"))]
        fn main() {
            let mut benches: [&mut dyn $crate::Benchmark; [$(stringify!($bench)),+].len()] =
                [$(&mut $bench),+];
            $crate::host::run_all(&mut benches)
        }
    };
}

/// Define `TINYBENCH_META`, the self-description the host reads from the ELF before it
/// trusts any number (magic, frame schema, payload hash 0).
#[macro_export]
macro_rules! meta {
    () => {
        #[no_mangle]
        #[used]
        pub static TINYBENCH_META: [u32; 3] = $crate::meta(0);
    };
}
