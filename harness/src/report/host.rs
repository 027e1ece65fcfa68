//! Host and device side by side: criterion's host time of each case (from a fresh
//! baseline, see [`crate::baseline`]) next to the device's count, the device's time at
//! the target's clock and the ratio of the two. Shown under `tinybench run`'s table and
//! by `tinybench compare-host`.
//!
//! Every column says its kind: host numbers are "ns, host wall-clock (criterion)";
//! device time is a count divided by the target's clock, and the header names which
//! count (cycles, modeled / cycles, hardware / instructions, emulated taken as one cycle
//! each — the last is a lower bound on time, not a measurement of it).

use crate::baseline::{Baseline, HostEstimate, Lookup, HOST_UNIT};
use tabled::settings::{object::Columns, Alignment, Style};
use tabled::{Table, Tabled};
use tinybench_results::{CaseResult, CountKind, RunResult};

#[derive(Tabled)]
struct Row {
    case: String,
    #[tabled(rename = "MACs")]
    macs: u64,
    #[tabled(rename = "host ns/op [CI]")]
    host: String,
    #[tabled(rename = "host ns/MAC")]
    host_per_mac: String,
    #[tabled(rename = "device count")]
    device: String,
    #[tabled(rename = "device count/MAC")]
    device_per_mac: String,
    #[tabled(rename = "device µs")]
    device_us: String,
    #[tabled(rename = "device/host time")]
    ratio: String,
}

/// Which device count the time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Each case's modeled cycles.
    Modeled,
    /// The run's own counts, of this kind.
    Counts(CountKind),
}

impl Basis {
    /// The basis of a run: modeled cycles when it has them, else its counts.
    pub fn of(run: &RunResult) -> Basis {
        if run.cases.iter().any(|c| c.modeled_summary.is_some()) {
            Basis::Modeled
        } else {
            Basis::Counts(run.count_kind)
        }
    }

    /// Words for the header.
    pub fn label(self) -> &'static str {
        match self {
            Basis::Modeled => "cycles, modeled",
            Basis::Counts(CountKind::InstructionsEmulated) => {
                "instructions, emulated (taken as 1 cycle each: a lower bound)"
            }
            Basis::Counts(k) => k.label(),
        }
    }

    fn median(self, c: &CaseResult) -> Option<u64> {
        match self {
            Basis::Modeled => c.modeled_summary.map(|s| s.median),
            Basis::Counts(_) => c.summary.map(|s| s.median),
        }
    }
}

fn host_cell(e: &HostEstimate) -> String {
    match (e.lower_ns, e.upper_ns) {
        (Some(l), Some(u)) => format!("{} [{} … {}]", num(e.ns), num(l), num(u)),
        _ => format!("{} [no CI]", num(e.ns)),
    }
}

/// Three significant digits, at least one decimal below 100.
fn num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The side-by-side table of `run` against `baseline`; `clock_hz` is the target's core
/// clock (`None`: unknown, no time columns).
pub fn render(run: &RunResult, baseline: &Baseline, clock_hz: Option<u64>) -> String {
    let basis = Basis::of(run);
    let rows: Vec<Row> = run
        .cases
        .iter()
        .map(|c| {
            // No MACs declared (a user's benchmark): no per-MAC numbers.
            let macs = (c.macs > 0).then_some(c.macs as f64);
            let host = baseline.case(&c.name);
            let count = basis.median(c);
            let device_ns = match (count, clock_hz) {
                (Some(n), Some(hz)) if hz > 0 => Some(n as f64 * 1e9 / hz as f64),
                _ => None,
            };
            Row {
                case: c.name.clone(),
                macs: c.macs,
                host: host.map_or("—".into(), host_cell),
                host_per_mac: match (host, macs) {
                    (Some(e), Some(m)) => format!("{:.3}", e.ns / m),
                    _ => "—".into(),
                },
                device: count.map_or("—".into(), |n| n.to_string()),
                device_per_mac: match (count, macs) {
                    (Some(n), Some(m)) => format!("{:.2}", n as f64 / m),
                    _ => "—".into(),
                },
                device_us: device_ns.map_or("—".into(), |ns| format!("{:.1}", ns / 1e3)),
                ratio: match (device_ns, host) {
                    (Some(d), Some(h)) if h.ns > 0.0 => format!("{:.0}×", d / h.ns),
                    _ => "—".into(),
                },
            }
        })
        .collect();
    let clock = clock_hz.map_or("clock unknown".to_string(), |hz| {
        format!("{} MHz", hz as f64 / 1e6)
    });
    let level = baseline
        .cases
        .iter()
        .find_map(|(_, e)| e.as_ref()?.confidence_level)
        .map_or(String::new(), |l| format!(", {:.0} % interval", l * 100.0));
    let mut title = format!(
        "host vs {} · suite {} · host: {HOST_UNIT}{level}, from {}{} · device count: {} · device µs at {clock}",
        run.target,
        run.suite,
        baseline.source,
        if baseline.quick { " (quick settings: rough)" } else { "" },
        basis.label(),
    );
    title.push_str(&format!("\nhost: {}", baseline.fingerprint.host));
    let mut t = Table::new(rows);
    t.with(Style::rounded())
        .modify(Columns::new(1..), Alignment::right());
    format!("{title}\n{t}")
}

/// What `run` and `compare-host` print for a lookup: the table for a fresh baseline, a
/// notice for a stale one (never its numbers), nothing when there is none.
pub fn for_lookup(run: &RunResult, lookup: &Lookup, clock_hz: Option<u64>) -> Option<String> {
    match lookup {
        Lookup::Fresh(b) => Some(render(run, b, clock_hz)),
        Lookup::Stale(_, why) => Some(format!(
            "host baseline for suite {} is stale ({}); not shown. Re-run `tinybench baseline --suite {}`.",
            run.suite,
            why.join(", "),
            run.suite
        )),
        Lookup::Missing(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{Fingerprint, BASELINE_VERSION};
    use tinybench_results::stats::summarize;
    use tinybench_results::CaseStatus;

    fn case(name: &str, count: u64, macs: u64) -> CaseResult {
        CaseResult {
            name: name.into(),
            kernel: "fully_connected".into(),
            shape: "1x16→8".into(),
            variant: None,
            macs,
            raw_samples: vec![count + 1],
            samples: vec![count],
            summary: summarize(&[count]),
            modeled_samples: vec![],
            modeled_summary: None,
            energy: None,
            device_checksum: Some(1),
            host_checksum: 1,
            status: CaseStatus::Ok,
        }
    }

    fn baseline() -> Baseline {
        Baseline {
            baseline_version: BASELINE_VERSION,
            suite: "tiny".into(),
            suite_path: "suites/tiny.toml".into(),
            unit: HOST_UNIT.into(),
            source: "criterion estimates.json".into(),
            quick: false,
            unix_time: 0,
            fingerprint: Fingerprint {
                kernel_sources: "k".into(),
                suite_file: "s".into(),
                host: "h".into(),
                toolchain: "t".into(),
            },
            cases: vec![(
                "fc_tiny".into(),
                Some(HostEstimate {
                    ns: 50.0,
                    lower_ns: Some(49.0),
                    upper_ns: Some(52.0),
                    confidence_level: Some(0.95),
                    statistic: "slope".into(),
                }),
            )],
        }
    }

    #[test]
    fn device_time_comes_from_the_count_at_the_clock() {
        let run = RunResult {
            schema_version: 2,
            tinybench_version: "0".into(),
            meta: Default::default(),
            target: "sim-cortex-m4".into(),
            core: "cortex-m4".into(),
            backend: "emulator".into(),
            suite: "tiny".into(),
            suite_hash: "0".into(),
            firmware_sha256: "0".into(),
            unix_time: 0,
            count_kind: CountKind::CyclesHardware,
            overhead_samples: vec![1],
            overhead: 1,
            cases: vec![case("fc_tiny", 6400, 128), case("fc_other", 100, 10)],
            cycle_model: None,
            energy_source: None,
            modeled_overhead: None,
            model: None,
        };
        let out = render(&run, &baseline(), Some(64_000_000));
        // 6400 cycles at 64 MHz = 100 µs = 100 000 ns, 2000× the host's 50 ns.
        assert!(out.contains("100.0"), "{out}");
        assert!(out.contains("2000×"), "{out}");
        assert!(out.contains("50.0 [49.0 … 52.0]"), "{out}");
        assert!(
            out.contains("cycles, hardware") && out.contains("95 % interval"),
            "{out}"
        );
        // 6400 / 128 MACs, 50 ns / 128 MACs.
        assert!(out.contains("50.00") && out.contains("0.391"), "{out}");
        // A case the baseline lacks shows dashes, not numbers.
        let other = out.lines().find(|l| l.contains("fc_other")).unwrap();
        assert!(other.contains('—'), "{other}");

        let stale = Lookup::Stale(Box::new(baseline()), vec!["kernel sources changed"]);
        let text = for_lookup(&run, &stale, Some(1)).unwrap();
        assert!(text.contains("stale (kernel sources changed)") && !text.contains("50.0"));
    }
}
