//! From a built firmware to a [`RunResult`]: open the device, run, and analyse on the
//! host (overhead subtraction, statistics, checksums). The same code for every backend.

use crate::config::suite::Suite;
use crate::config::target::Target;
use crate::host;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use tinybench_device::protocol::Event;
use tinybench_device::{run_firmware, FirmwareImage, RunLimits, RunOutcome, RunOutput};
use tinybench_results::{stats, CaseResult, CaseStatus, RunResult, SCHEMA_VERSION};

/// A finished run: the result and how the firmware ended.
pub struct Finished {
    /// The stored/printed result.
    pub result: RunResult,
    /// How the firmware run ended.
    pub outcome: RunOutcome,
    /// Corrupt frames and protocol errors seen, in words.
    pub warnings: Vec<String>,
}

/// Run a built firmware on the target's device.
pub fn run(
    target: &Target,
    suite: &Suite,
    elf: Vec<u8>,
    suite_hash: u32,
    limits: &RunLimits,
    on_event: &mut dyn FnMut(&Event),
) -> anyhow::Result<Finished> {
    let firmware_sha256: String = Sha256::digest(&elf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let image = FirmwareImage::parse(elf)?;
    let mut device = crate::backend::open(target)?;
    let out = run_firmware(device.as_mut(), &image, Some(suite_hash), limits, on_event)?;
    Ok(analyse(target, suite, suite_hash, firmware_sha256, out))
}

/// Turn the device's raw events into a result. Pure: tested without a device.
pub fn analyse(
    target: &Target,
    suite: &Suite,
    suite_hash: u32,
    firmware_sha256: String,
    out: RunOutput,
) -> Finished {
    let mut overhead_samples = Vec::new();
    let mut raw: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    let mut checksums: BTreeMap<u32, u32> = BTreeMap::new();
    let mut kernel_errors: BTreeMap<u32, u32> = BTreeMap::new();
    let mut warnings = Vec::new();
    for ev in &out.events {
        match *ev {
            Event::Overhead { count, .. } => overhead_samples.push(count as u64),
            Event::Sample { id, count, .. } => raw.entry(id).or_default().push(count as u64),
            Event::Checksum { id, value } => {
                checksums.insert(id, value);
            }
            Event::KernelError { id, code } => {
                kernel_errors.insert(id, code);
            }
            Event::Hello { cases, .. } if cases as usize != suite.cases.len() => {
                warnings.push(format!(
                    "firmware announced {cases} cases, the suite has {}",
                    suite.cases.len()
                ))
            }
            _ => {}
        }
    }
    if out.corrupt_frames > 0 {
        warnings.push(format!(
            "{} corrupt defmt frame(s) skipped",
            out.corrupt_frames
        ));
    }
    warnings.extend(out.protocol_errors.iter().map(|e| e.to_string()));
    let overhead = overhead_samples.iter().copied().min().unwrap_or(0);
    let cases = suite
        .cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let id = i as u32;
            let raw_samples = raw.remove(&id).unwrap_or_default();
            let samples: Vec<u64> = raw_samples
                .iter()
                .map(|s| s.saturating_sub(overhead))
                .collect();
            let device_checksum = checksums.get(&id).copied();
            let host_checksum = host::expected_checksum(case);
            let status = match (kernel_errors.get(&id), device_checksum) {
                (Some(code), _) => CaseStatus::KernelError(format!("kernel error code {code}")),
                (None, Some(v)) if v == host_checksum => CaseStatus::Ok,
                (None, Some(_)) => CaseStatus::ChecksumMismatch,
                (None, None) => CaseStatus::Incomplete(out.outcome.describe()),
            };
            CaseResult {
                name: case.name.clone(),
                kernel: case.kernel_name().to_string(),
                shape: case.shape_text(),
                variant: case.variant.map(|v| v.name().to_string()),
                macs: case.macs(),
                summary: stats::summarize(&samples),
                raw_samples,
                samples,
                device_checksum,
                host_checksum,
                status,
            }
        })
        .collect();
    let result = RunResult {
        schema_version: SCHEMA_VERSION,
        tinybench_version: env!("CARGO_PKG_VERSION").to_string(),
        target: target.name.clone(),
        core: target.core.name().to_string(),
        backend: out.info.backend.clone(),
        suite: suite.name.clone(),
        suite_hash: format!("{suite_hash:08x}"),
        firmware_sha256,
        unix_time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        count_kind: out.info.count_kind,
        overhead_samples,
        overhead,
        cases,
    };
    Finished {
        result,
        outcome: out.outcome,
        warnings,
    }
}
