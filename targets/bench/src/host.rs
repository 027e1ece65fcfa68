//! The host side of the same benchmarks: built for the host, [`crate::main!`] calls
//! [`run_all`], which computes each benchmark's checksum by the device's sequence of calls
//! (set-up, warm-up, repetitions, the checksum of the last result and the state) and times
//! the function under criterion, then writes a small JSON file that `tinybench run --elf
//! ... --host` reads (or `--host-results PATH`, for a file written earlier):
//!
//! ```json
//! { "tinybench_host": 1, "unit": "ns, host wall-clock (criterion)",
//!   "criterion_home": "/abs/dir", "quick": false,
//!   "benches": [ { "name": "crc32_1k", "checksum": 1167395118, "macs": 0, "shape": "" } ] }
//! ```
//!
//! The times themselves stay where criterion writes them
//! (`<criterion_home>/<name>/new/estimates.json`); tinybench reads them there as it reads
//! the kernels' baselines, so criterion's files are parsed in one place only.
//!
//! Environment: `CRITERION_HOME` (criterion's output directory; default
//! `target/criterion`), `TINYBENCH_HOST_OUT` (the JSON file; default
//! `<CRITERION_HOME>/tinybench-host.json`), `TINYBENCH_HOST_QUICK=1` (criterion's shortest
//! settings, 10 samples: rough numbers, for tests).

use crate::Benchmark;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Version of the JSON file [`run_all`] writes.
pub const FORMAT: u32 = 1;

/// Run every benchmark on the host (checksum, then criterion's timing) and write the
/// result file; exits the process (status 0, or 2 when the file cannot be written).
pub fn run_all(benches: &mut [&mut dyn Benchmark]) -> ! {
    let cwd = std::env::current_dir().unwrap_or_default();
    let home = std::env::var_os("CRITERION_HOME")
        .map_or_else(|| PathBuf::from("target/criterion"), PathBuf::from);
    let home = cwd.join(home);
    let out = std::env::var_os("TINYBENCH_HOST_OUT")
        .map_or_else(|| home.join("tinybench-host.json"), |p| cwd.join(p));
    let quick = std::env::var("TINYBENCH_HOST_QUICK").is_ok_and(|v| v == "1");
    let mut c = criterion::Criterion::default().output_directory(&home);
    if quick {
        c = c
            .sample_size(10)
            .warm_up_time(Duration::from_millis(10))
            .measurement_time(Duration::from_millis(20));
    }
    let mut rows = Vec::new();
    for b in benches.iter_mut() {
        let checksum = b.host_checksum();
        b.host_time(&mut c);
        let w = b.work();
        rows.push(serde_json::json!({
            "name": b.name(),
            "checksum": checksum,
            "macs": w.macs,
            "shape": w.shape,
        }));
    }
    c.final_summary();
    let doc = serde_json::json!({
        "tinybench_host": FORMAT,
        "unit": "ns, host wall-clock (criterion)",
        "criterion_home": home,
        "quick": quick,
        "benches": rows,
    });
    match write(&out, &doc) {
        Ok(()) => {
            eprintln!("tinybench host results: {}", out.display());
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            std::process::exit(2)
        }
    }
}

fn write(path: &Path, doc: &serde_json::Value) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(doc).map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}

/// defmt's global logger on the host: the benchmarks' `defmt::info!` lines (meant for the
/// device's RTT) are dropped, so the same source links on the host. Hand-written because
/// defmt ships no host logger; the four functions are what `#[defmt::global_logger]` needs.
#[defmt::global_logger]
struct Discard;

// SAFETY: every method is a no-op, so there is no state to protect.
unsafe impl defmt::Logger for Discard {
    fn acquire() {}
    unsafe fn flush() {}
    unsafe fn release() {}
    unsafe fn write(_: &[u8]) {}
}

/// The timestamp defmt's frames would carry: none on the host (on a device `defmt.x`
/// provides this default).
#[export_name = "_defmt_timestamp"]
fn timestamp(_: defmt::Formatter<'_>) {}
