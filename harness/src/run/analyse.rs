//! From a device's raw events to a [`RunResult`]: overhead subtraction, statistics,
//! checksums, modeled cycles and energy per case. Pure: the same code for every backend,
//! tested without a device.

use crate::config::suite::Suite;
use crate::config::target::Target;
use crate::energy::Region;
use crate::expected;
use std::collections::BTreeMap;
use tinybench_device::protocol::Event;
use tinybench_device::{RunOutcome, RunOutput};
use tinybench_results::{stats, CaseEnergy, CaseResult, CaseStatus, RunResult, SCHEMA_VERSION};

/// A finished run: the result and how the firmware ended.
pub struct Finished {
    /// The stored/printed result.
    pub result: RunResult,
    /// How the firmware run ended.
    pub outcome: RunOutcome,
    /// Corrupt frames and protocol errors seen, in words.
    pub warnings: Vec<String>,
    /// Everything the firmware said on RTT up channel 0, in order (the power monitor's
    /// channel-1 frames are only read by the energy analysis).
    pub events: Vec<Event>,
}

impl Finished {
    /// Every case passed and the firmware ran to its done marker.
    pub fn passed(&self) -> bool {
        self.outcome == RunOutcome::Completed && self.result.cases.iter().all(|c| c.status.is_ok())
    }

    /// The names of the cases that did not pass.
    pub fn failed_cases(&self) -> Vec<&str> {
        self.result
            .cases
            .iter()
            .filter(|c| !c.status.is_ok())
            .map(|c| c.name.as_str())
            .collect()
    }

    /// Say on stderr, under `name`, how the firmware ended if not normally and which
    /// cases failed.
    pub fn eprint_failures(&self, name: &str) {
        if self.outcome != RunOutcome::Completed {
            eprintln!("error: {name}: {}", self.outcome.describe());
        }
        let failed = self.failed_cases();
        if !failed.is_empty() {
            eprintln!(
                "error: {name}: {} case(s) failed: {}",
                failed.len(),
                failed.join(", ")
            );
        }
    }
}

/// What the host knows of a case before the run: its labels and the output checksum
/// the device must report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSpec {
    /// Case name.
    pub name: String,
    /// Kernel it runs.
    pub kernel: String,
    /// Shape text.
    pub shape: String,
    /// Variant name, when the case pins one.
    pub variant: Option<String>,
    /// Multiply-accumulates.
    pub macs: u64,
    /// Output checksum the host computed.
    pub host_checksum: u32,
}

/// The cases of a suite, with the host's checksums (computed here, on the host).
pub fn suite_specs(suite: &Suite) -> Vec<CaseSpec> {
    suite
        .cases
        .iter()
        .map(|case| CaseSpec {
            name: case.name.clone(),
            kernel: case.kernel_name().to_string(),
            shape: case.shape_text(),
            variant: case.variant.map(|v| v.name().to_string()),
            macs: case.macs(),
            host_checksum: expected::expected_checksum(case),
        })
        .collect()
}

/// The payload hash the firmware announced in its hello frame (0 without one).
pub fn announced_hash(events: &[Event]) -> u32 {
    events
        .iter()
        .find_map(|e| match e {
            Event::Hello { suite_hash, .. } => Some(*suite_hash),
            _ => None,
        })
        .unwrap_or(0)
}

/// What the run was, besides the device's output: for the result's header.
pub struct RunIdentity<'a> {
    /// The target.
    pub target: &'a Target,
    /// Suite or model name.
    pub name: &'a str,
    /// The cases the host expects.
    pub specs: &'a [CaseSpec],
    /// The payload hash the firmware announced.
    pub suite_hash: u32,
    /// SHA-256 of the ELF, hex.
    pub firmware_sha256: String,
}

/// The device's frames sorted by kind and case.
#[derive(Default)]
struct Collected {
    overhead: Vec<u64>,
    raw: BTreeMap<u32, Vec<u64>>,
    checksums: BTreeMap<u32, u32>,
    kernel_errors: BTreeMap<u32, u32>,
    warnings: Vec<String>,
}

fn collect(out: &RunOutput, cases: usize) -> Collected {
    let mut c = Collected::default();
    for ev in &out.events {
        match *ev {
            Event::Overhead { count, .. } => c.overhead.push(count as u64),
            Event::Sample { id, count, .. } => c.raw.entry(id).or_default().push(count as u64),
            Event::Checksum { id, value } => {
                c.checksums.insert(id, value);
            }
            Event::KernelError { id, code } => {
                c.kernel_errors.insert(id, code);
            }
            Event::Hello { cases: n, .. } if n as usize != cases => c.warnings.push(format!(
                "firmware announced {n} cases, the host expects {cases}"
            )),
            _ => {}
        }
    }
    if out.corrupt_frames > 0 {
        c.warnings.push(format!(
            "{} corrupt defmt frame(s) skipped",
            out.corrupt_frames
        ));
    }
    c.warnings
        .extend(out.protocol_errors.iter().map(|e| e.to_string()));
    c
}

/// Turn the device's raw events into a result. Pure: tested without a device.
pub fn analyse(
    id: RunIdentity<'_>,
    out: RunOutput,
    energy_input: Option<&crate::energy::Input>,
) -> Finished {
    let mut c = collect(&out, id.specs.len());
    let overhead = c.overhead.iter().copied().min().unwrap_or(0);
    let modeled = modeled_pairs(&out, &mut c.warnings);
    let (mut energy, energy_source) = match energy_for(energy_input, &out, modeled.as_ref()) {
        Ok(Some(((e, issues), label))) => {
            c.warnings.extend(issues);
            (Some(e), Some(label))
        }
        Ok(None) => (None, None),
        Err(e) => {
            c.warnings.push(format!("no energy figures: {e}"));
            (None, None)
        }
    };
    let modeled_overhead = modeled
        .as_ref()
        .and_then(|m| m.overhead().into_iter().min());
    let mut modeled_by_case = modeled.as_ref().map(Modeled::by_case).unwrap_or_default();
    let cases = id
        .specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let case = i as u32;
            let modeled: Vec<u64> = modeled_by_case
                .remove(&case)
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.saturating_sub(modeled_overhead.unwrap_or(0)))
                .collect();
            let energy = energy.as_mut().and_then(|e| e.remove(&case));
            case_result(spec, case, &mut c, overhead, modeled, energy, &out.outcome)
        })
        .collect();
    let result = RunResult {
        schema_version: SCHEMA_VERSION,
        tinybench_version: env!("CARGO_PKG_VERSION").to_string(),
        // Provenance (git, toolchain, host) is filled in by the caller before storing; the
        // clock is known now, for times at the target's clock in every table.
        meta: tinybench_results::RunMeta {
            clock_hz: Some(id.target.clock_hz),
            ..Default::default()
        },
        target: id.target.name.clone(),
        core: id.target.core.name().to_string(),
        backend: out.info.backend.clone(),
        suite: id.name.to_string(),
        suite_hash: format!("{:08x}", id.suite_hash),
        firmware_sha256: id.firmware_sha256,
        unix_time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        count_kind: out.info.count_kind,
        overhead_samples: std::mem::take(&mut c.overhead),
        overhead,
        cases,
        cycle_model: modeled.map(|m| m.model),
        energy_source,
        modeled_overhead,
        model: None,
    };
    Finished {
        result,
        outcome: out.outcome,
        warnings: c.warnings,
        events: out.events,
    }
}

/// One case's result from its frames.
fn case_result(
    spec: &CaseSpec,
    case: u32,
    c: &mut Collected,
    overhead: u64,
    modeled_samples: Vec<u64>,
    energy: Option<CaseEnergy>,
    outcome: &RunOutcome,
) -> CaseResult {
    let raw_samples = c.raw.remove(&case).unwrap_or_default();
    let samples: Vec<u64> = raw_samples
        .iter()
        .map(|s| s.saturating_sub(overhead))
        .collect();
    let device_checksum = c.checksums.get(&case).copied();
    let status = match (c.kernel_errors.get(&case), device_checksum) {
        (Some(code), _) => CaseStatus::KernelError(format!("kernel error code {code}")),
        (None, Some(v)) if v == spec.host_checksum => CaseStatus::Ok,
        (None, Some(_)) => CaseStatus::ChecksumMismatch,
        (None, None) => CaseStatus::Incomplete(outcome.describe()),
    };
    CaseResult {
        name: spec.name.clone(),
        kernel: spec.kernel.clone(),
        shape: spec.shape.clone(),
        variant: spec.variant.clone(),
        macs: spec.macs,
        summary: stats::summarize(&samples),
        modeled_summary: stats::summarize(&modeled_samples),
        energy,
        modeled_samples,
        raw_samples,
        samples,
        device_checksum,
        host_checksum: spec.host_checksum,
        status,
    }
}

/// Energy per case, its issues and its label, from whichever source the run had.
fn energy_for(
    input: Option<&crate::energy::Input>,
    out: &RunOutput,
    modeled: Option<&Modeled>,
) -> Result<Option<(crate::energy::measured::PerCase, String)>, String> {
    use crate::energy::{measured, Input};
    let Some(input) = input else {
        return Ok(None);
    };
    let ((e, issues), label) = match input {
        Input::Model(p) => {
            let m = modeled.ok_or("the energy model needs cycle counts at each counter read")?;
            let r = crate::energy::per_case(p, &m.regions).map_err(|e| e.to_string())?;
            (r, p.source().label())
        }
        Input::Monitor(plan) => (
            measured::monitor(plan, &out.events, &out.power_events).map_err(|e| e.to_string())?,
            plan.monitor.source().label(),
        ),
        Input::Ppk2(rec, wiring) => (
            measured::ppk2(rec, wiring, &out.events).map_err(|e| e.to_string())?,
            tinybench_energy::Source::Measured("PPK2".into()).label(),
        ),
    };
    Ok(Some(((e, issues), label)))
}

/// Modeled counts per region, from the backend's modeled cycles at each counter read.
struct Modeled {
    /// The cycle model's name.
    model: String,
    /// Every timed region, in order.
    regions: Vec<Region>,
}

impl Modeled {
    fn overhead(&self) -> Vec<u64> {
        self.regions
            .iter()
            .filter(|r| r.case.is_none())
            .map(|r| r.end - r.start)
            .collect()
    }

    fn by_case(&self) -> BTreeMap<u32, Vec<u64>> {
        let mut m: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for r in &self.regions {
            if let Some(id) = r.case {
                m.entry(id).or_default().push(r.end - r.start);
            }
        }
        m
    }
}

/// Pair counter reads with the frames they timed. The firmware reads the counter exactly
/// twice per region (before, after) and sends one overhead or sample frame per region,
/// in order; anything else means the pairing cannot be trusted and no modeled numbers
/// are reported.
fn modeled_pairs(out: &RunOutput, warnings: &mut Vec<String>) -> Option<Modeled> {
    let m = out.modeled.as_ref()?;
    if m.undecoded > 0 {
        warnings.push(format!(
            "cycle model: {} executed instructions could not be decoded (counted as 1 cycle)",
            m.undecoded
        ));
    }
    let cases: Vec<Option<u32>> = out
        .events
        .iter()
        .filter_map(|e| match *e {
            Event::Overhead { .. } => Some(None),
            Event::Sample { id, .. } => Some(Some(id)),
            _ => None,
        })
        .collect();
    // A run cut short (fault, timeout) may have read the counter for a region whose
    // frame never came: extra trailing reads are expected then.
    let complete = out.outcome == RunOutcome::Completed;
    if m.reads.len() < 2 * cases.len() || (complete && m.reads.len() != 2 * cases.len()) {
        warnings.push(format!(
            "no modeled cycles: {} counter reads for {} timed regions",
            m.reads.len(),
            cases.len()
        ));
        return None;
    }
    let regions = cases
        .iter()
        .enumerate()
        .map(|(k, &case)| Region {
            case,
            start: m.reads[2 * k],
            end: m.reads[2 * k + 1].max(m.reads[2 * k]),
        })
        .collect();
    Some(Modeled {
        model: m.model.clone(),
        regions,
    })
}
