//! Time at the target's clock: milliseconds per inference and inferences per second, from a
//! count and the clock the run recorded, always labelled with the clock and the count kind
//! (an instruction count is not a cycle count; the label says which it was).

use tinybench_results::{CountKind, RunResult};

/// `64 MHz`, `133 MHz`, `0.5 MHz`.
pub fn mhz(hz: u64) -> String {
    format!("{} MHz", hz as f64 / 1e6)
}

/// The run's clock, when it recorded one.
pub fn clock(run: &RunResult) -> Option<u64> {
    run.meta.clock_hz.filter(|&hz| hz > 0)
}

/// Milliseconds `count` takes at `hz`, one count per cycle.
pub fn ms(count: u64, hz: u64) -> f64 {
    count as f64 * 1e3 / hz as f64
}

/// A time or rate with three significant digits (`0.0123`, `4.56`, `789`, `12300`).
pub fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// The column header: `ms @64 MHz`.
pub fn header(hz: u64) -> String {
    format!("ms @{}", mhz(hz))
}

/// What the milliseconds are, for a title: `ms @64 MHz (instructions, emulated, one per
/// cycle)`.
pub fn label(kind: CountKind, hz: u64) -> String {
    let how = match kind {
        CountKind::InstructionsEmulated => ", one per cycle",
        _ => "",
    };
    format!("{} ({}{how})", header(hz), kind.label())
}

/// `1.23 ms @64 MHz, 813 inferences/s (instructions, emulated, one per cycle)` for one
/// inference's median count.
pub fn per_inference(kind: CountKind, count: u64, hz: u64) -> String {
    let t = ms(count, hz);
    let how = match kind {
        CountKind::InstructionsEmulated => ", one per cycle",
        _ => "",
    };
    format!(
        "{} ms @{}, {} inferences/s ({}{how})",
        sig3(t),
        mhz(hz),
        if t > 0.0 { sig3(1e3 / t) } else { "—".into() },
        kind.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_at_the_clock_with_three_digits() {
        // 64,000 counts at 64 MHz: 1 ms, 1000 inferences/s.
        assert_eq!(ms(64_000, 64_000_000), 1.0);
        assert_eq!(sig3(1.0), "1.00");
        assert_eq!(sig3(0.012345), "0.0123");
        assert_eq!(sig3(12345.0), "12345");
        let s = per_inference(CountKind::InstructionsEmulated, 64_000, 64_000_000);
        assert_eq!(
            s,
            "1.00 ms @64 MHz, 1000 inferences/s (instructions, emulated, one per cycle)"
        );
        assert_eq!(
            label(CountKind::CyclesHardware, 133_000_000),
            "ms @133 MHz (cycles, hardware)"
        );
    }
}
