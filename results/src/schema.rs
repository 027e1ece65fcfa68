//! The result schema, version 1. Changes are migrations: bump [`SCHEMA_VERSION`] and keep
//! reading the old layout.

use crate::stats::Summary;
use crate::CountKind;
use serde::{Deserialize, Serialize};

/// Version of the result files this crate writes.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of one suite on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    /// Always [`SCHEMA_VERSION`] when written by this crate.
    pub schema_version: u32,
    /// The tinybench version that produced the run.
    pub tinybench_version: String,
    /// Target name (e.g. `sim-cortex-m4`).
    pub target: String,
    /// Core of the target (e.g. `cortex-m4`).
    pub core: String,
    /// Backend that ran it (e.g. `emulator (unicorn)`).
    pub backend: String,
    /// Suite name.
    pub suite: String,
    /// Hash of the suite as compiled into the firmware (hex).
    pub suite_hash: String,
    /// SHA-256 of the firmware ELF that ran (hex).
    pub firmware_sha256: String,
    /// Seconds since the Unix epoch when the run finished.
    pub unix_time: u64,
    /// What every count in this run measures.
    pub count_kind: CountKind,
    /// Empty-region counts: the timer overhead subtracted from every sample.
    pub overhead_samples: Vec<u64>,
    /// The overhead subtracted from each sample (the minimum of `overhead_samples`).
    pub overhead: u64,
    /// One entry per suite case, in suite order.
    pub cases: Vec<CaseResult>,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseResult {
    /// Case name from the suite.
    pub name: String,
    /// Kernel (e.g. `fully_connected`).
    pub kernel: String,
    /// Human-readable shape (e.g. `1x64 · 64→16`).
    pub shape: String,
    /// Implementation variant (`reference`/`optimized`) when the suite asked for
    /// variants; absent in older files and single-variant suites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Multiply-accumulates per call.
    pub macs: u64,
    /// Raw counts of each timed repetition, as the device sent them.
    pub raw_samples: Vec<u64>,
    /// Samples with the overhead subtracted.
    pub samples: Vec<u64>,
    /// Summary of `samples`, if any arrived.
    pub summary: Option<Summary>,
    /// Output checksum the device sent.
    pub device_checksum: Option<u32>,
    /// Output checksum the host computed for the same case.
    pub host_checksum: u32,
    /// Pass/fail of the case.
    pub status: CaseStatus,
}

/// Whether a case's output matched and it completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "detail")]
pub enum CaseStatus {
    /// Device checksum equals the host's.
    Ok,
    /// Device checksum differs from the host's.
    ChecksumMismatch,
    /// The kernel rejected its arguments on the device.
    KernelError(String),
    /// The run ended (fault, timeout) before this case finished.
    Incomplete(String),
}

impl CaseStatus {
    /// True only for [`CaseStatus::Ok`].
    pub fn is_ok(&self) -> bool {
        matches!(self, CaseStatus::Ok)
    }
}

/// Read a run from JSON, checking its schema version first so an unknown future version
/// is reported as such rather than as a confusing missing field.
pub fn parse_run(json: &str) -> Result<RunResult, SchemaError> {
    #[derive(Deserialize)]
    struct Probe {
        schema_version: u32,
    }
    let probe: Probe = serde_json::from_str(json).map_err(SchemaError::Json)?;
    if probe.schema_version != SCHEMA_VERSION {
        return Err(SchemaError::UnsupportedVersion(probe.schema_version));
    }
    serde_json::from_str(json).map_err(SchemaError::Json)
}

/// Why a result file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Not valid JSON for this schema.
    #[error("invalid result JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// Written by a newer (or unknown) tinybench.
    #[error("result schema version {0} is not supported (this tinybench reads version {SCHEMA_VERSION})")]
    UnsupportedVersion(u32),
}
