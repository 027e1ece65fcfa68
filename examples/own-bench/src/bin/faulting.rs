//! A benchmark that faults on purpose (it reads an address no target maps): tinybench
//! reports the fault with the name of the function it happened in,
//! `read_past_the_end`. `cargo run --release --bin faulting`.
#![cfg_attr(target_os = "none", no_std, no_main)]

use tinybench_target::Bench;

/// Reads a word from an unmapped address.
#[inline(never)]
#[no_mangle]
fn read_past_the_end(base: &mut u32) -> u32 {
    let p = core::hint::black_box(*base) as usize as *const u32;
    // SAFETY: deliberately invalid; this benchmark exists to fault.
    unsafe { core::ptr::read_volatile(p) }
}

tinybench_target::main! {
    Bench::new("crc32_1k", own_bench::crc::setup, own_bench::crc::run).reps(1),
    Bench::new("faulting", || {
        // Printed by tinybench even without -v: the run fails.
        defmt::info!("faulting: reading {=u32:#x}", 0x6FFF_FFF0);
        0x6FFF_FFF0u32
    }, read_past_the_end),
}
