//! The result schema, version 2. Changes are migrations (see [`crate::migrate`]): bump
//! [`SCHEMA_VERSION`], add a step that turns the previous layout into the new one, and old
//! files keep loading.

use crate::stats::Summary;
use crate::CountKind;
use serde::{Deserialize, Serialize};

/// Version of the result files this crate writes.
pub const SCHEMA_VERSION: u32 = 2;

/// One run of one suite on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    /// Always [`SCHEMA_VERSION`] when written by this crate.
    pub schema_version: u32,
    /// The tinybench version that produced the run.
    pub tinybench_version: String,
    /// Where and from what the run was made (added in schema version 2).
    #[serde(default)]
    pub meta: RunMeta,
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
    /// The cycle model behind the cases' `modeled` counts ("cycles, modeled"), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle_model: Option<String>,
    /// Where the cases' `energy` figures come from, e.g.
    /// `energy, modeled (datasheet: …)` or `energy, measured (PPK2)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_source: Option<String>,
    /// Modeled cycles of the empty region, subtracted from every modeled sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modeled_overhead: Option<u64>,
    /// A whole-model run (`run --model`): case 0 is the inference, case `i + 1` layer
    /// `i`. Absent for suites. Added within schema 2: older files simply lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSummary>,
}

/// What a whole-model run adds to a [`RunResult`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSummary {
    /// Model name (file stem).
    pub name: String,
    /// SHA-256 of the `.tflite` file.
    pub sha256: String,
    /// Kernel variant the layers ran.
    pub variant: String,
    /// Multiply-accumulates of one inference.
    pub macs: u64,
    /// Peak tensor arena, bytes.
    pub arena_bytes: u64,
    /// Kernel scratch, bytes.
    pub scratch_bytes: u64,
    /// Constant bytes (weights, bias, requantization) in flash.
    pub const_bytes: u64,
    /// Per layer (cases 1..): what the per-layer table shows besides the counts.
    pub layers: Vec<ModelLayer>,
    /// Firmware footprint and the target's memory.
    pub memory: MemoryFootprint,
    /// Inputs the device ran.
    pub inputs: u32,
    /// Inputs whose device output differs from the host's run of the same graph.
    pub host_mismatches: u32,
    /// Inputs checked against reference outputs (LiteRT's reference kernels), and how
    /// many differed; absent when no reference outputs were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceCheck>,
    /// Quality metrics on a labelled dataset, computed from the device's outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<crate::metrics::QualityMetrics>,
}

/// One layer's row data besides its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelLayer {
    /// Operator index in the model.
    pub index: u32,
    /// TFLite operator name.
    pub op: String,
    /// Arena bytes alive while it runs.
    pub arena_bytes: u64,
    /// Scratch bytes its kernel uses.
    pub scratch_bytes: u64,
    /// Constant bytes it reads.
    pub const_bytes: u64,
}

/// Flash and RAM of the firmware (from its ELF) and the stack it used (painted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryFootprint {
    /// Code bytes.
    pub text: u64,
    /// Read-only data bytes (weights live here).
    pub rodata: u64,
    /// Initialised data bytes (flash and RAM).
    pub data: u64,
    /// Zeroed statics (the arena lives here).
    pub bss: u64,
    /// Deepest stack use measured by painting, when the firmware reported it.
    pub stack_used: Option<u64>,
    /// Target flash size.
    pub flash_size: u64,
    /// Target RAM size.
    pub ram_size: u64,
}

impl MemoryFootprint {
    /// Flash bytes: code, read-only and initialised data.
    pub fn flash(&self) -> u64 {
        self.text + self.rodata + self.data
    }
    /// RAM bytes: statics plus the measured stack.
    pub fn ram(&self) -> u64 {
        self.data + self.bss + self.stack_used.unwrap_or(0)
    }
}

/// Device outputs against reference outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceCheck {
    /// Where the reference outputs came from.
    pub source: String,
    /// Inputs compared.
    pub checked: u32,
    /// Names of the inputs whose outputs differ in any byte.
    pub mismatched: Vec<String>,
}

/// Provenance of a run: which commit of the measured project, which toolchain, which
/// host. Every field is optional because a run made outside a git checkout (or a file
/// migrated from schema version 1) does not know it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunMeta {
    /// The store's id of this run (empty until the run is stored).
    pub run_id: String,
    /// `git rev-parse HEAD` of the measured project.
    pub git_commit: Option<String>,
    /// True when the project's working tree had uncommitted changes.
    pub git_dirty: Option<bool>,
    /// The toolchain that built the firmware (e.g. `rustup (rustc 1.91.0 …)`).
    pub toolchain: Option<String>,
    /// Host name of the machine that drove the run.
    pub host: Option<String>,
    /// The target's clock (Hz), for times at that clock (`ms @64 MHz`); absent in runs
    /// stored before it was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_hz: Option<u64>,
}

impl RunMeta {
    /// Short commit (12 hex digits) with a `+dirty` mark, or `—` when unknown.
    pub fn commit_label(&self) -> String {
        match &self.git_commit {
            Some(c) => {
                let short = &c[..c.len().min(12)];
                if self.git_dirty == Some(true) {
                    format!("{short}+dirty")
                } else {
                    short.to_string()
                }
            }
            None => "—".to_string(),
        }
    }
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
    /// Modeled cycles of each repetition, overhead subtracted ("cycles, modeled"), when
    /// the backend has a cycle model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modeled_samples: Vec<u64>,
    /// Summary of `modeled_samples`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modeled_summary: Option<Summary>,
    /// Energy per inference (per timed repetition), labelled by the run's `energy_source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<CaseEnergy>,
    /// Output checksum the device sent.
    pub device_checksum: Option<u32>,
    /// Output checksum the host computed for the same case.
    pub host_checksum: u32,
    /// Pass/fail of the case.
    pub status: CaseStatus,
}

/// Energy of one case, per inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEnergy {
    /// µJ of each timed repetition, empty-region energy subtracted.
    pub per_inference_uj: Vec<f64>,
    /// Median of `per_inference_uj`.
    pub median_uj: f64,
    /// Mean power over the repetitions, mW.
    pub avg_power_mw: f64,
    /// Largest sampling error bound of a repetition, µJ.
    pub bound_uj: f64,
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

    /// Short words for reports: `ok`, `checksum mismatch`, `kernel error: …`, `incomplete: …`.
    pub fn describe(&self) -> String {
        match self {
            CaseStatus::Ok => "ok".into(),
            CaseStatus::ChecksumMismatch => "checksum mismatch".into(),
            CaseStatus::KernelError(e) => format!("kernel error: {e}"),
            CaseStatus::Incomplete(e) => format!("incomplete: {e}"),
        }
    }
}

/// Read a run from JSON of any supported schema version, migrating older layouts to the
/// current one, so an unknown future version is reported as such rather than as a
/// confusing missing field.
pub fn parse_run(json: &str) -> Result<RunResult, SchemaError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(SchemaError::Json)?;
    let value = crate::migrate::to_current(value)?;
    serde_json::from_value(value).map_err(SchemaError::Json)
}

/// Why a result file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Not valid JSON for this schema.
    #[error("invalid result JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// No `schema_version` field: not a tinybench result.
    #[error("not a tinybench result: no numeric `schema_version` field")]
    NoVersion,
    /// Written by a newer (or unknown) tinybench.
    #[error("result schema version {0} is not supported (this tinybench reads versions 1 to {SCHEMA_VERSION})")]
    UnsupportedVersion(u64),
}
