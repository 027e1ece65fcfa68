//! The benchmarks: `cargo run --release` builds this for the target in
//! `.cargo/config.toml` and runs it with tinybench, which prints a table of counts
//! (`cargo run --release -- --host` also builds it for the host and runs it there under
//! criterion, for host ns and the host's checksums beside the device's).
#![cfg_attr(target_os = "none", no_std, no_main)]

use own_bench::{crc, fir};
use tinybench_target::Bench;

tinybench_target::main! {
    // A log line from the set-up (never inside the timed `run`: it would be counted):
    // tinybench prints it with -v, or always when the run fails.
    Bench::new("fir_q15_32x256", || {
        defmt::info!("fir: {=usize} taps over {=usize} samples", fir::TAPS, fir::N);
        fir::setup()
    }, fir::run)
    .reps(3)
    .macs((fir::TAPS * fir::N) as u64)
    .shape("32 taps x 256")
    .expect(fir::EXPECTED),
    Bench::new("crc32_1k", crc::setup, crc::run).reps(3).shape("1 KiB").expect(crc::EXPECTED),
}
