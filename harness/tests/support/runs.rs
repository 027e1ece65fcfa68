//! Constructed runs for the report, gate and dashboard tests: a "smoke"-like run with
//! instructions, modeled cycles, energy, memory and (optionally) a model's quality, built
//! in code so those tests need no emulator. Included with `#[path]` by the tests that use
//! it.
#![allow(dead_code)]

use tinybench_results::metrics::QualityMetrics;
use tinybench_results::{
    stats, CaseEnergy, CaseResult, CaseStatus, CountKind, MemoryFootprint, ModelLayer,
    ModelSummary, RunMeta, RunResult, SCHEMA_VERSION,
};

/// One case: `n` repetitions of `count` instructions and `modeled` cycles.
pub fn case(name: &str, macs: u64, count: u64, modeled: u64) -> CaseResult {
    let samples = vec![count; 5];
    let m = vec![modeled; 5];
    CaseResult {
        name: name.into(),
        kernel: if macs == 0 {
            "reshape"
        } else {
            "fully_connected"
        }
        .into(),
        shape: "1x64→16".into(),
        variant: None,
        macs,
        raw_samples: samples.iter().map(|s| s + 1).collect(),
        summary: stats::summarize(&samples),
        samples,
        modeled_summary: stats::summarize(&m),
        modeled_samples: m,
        energy: Some(CaseEnergy {
            per_inference_uj: vec![modeled as f64 * 1e-4; 5],
            median_uj: modeled as f64 * 1e-4,
            avg_power_mw: 9.98,
            bound_uj: 0.0,
        }),
        device_checksum: Some(7),
        host_checksum: 7,
        status: CaseStatus::Ok,
    }
}

/// Firmware footprint with `text` bytes of code.
pub fn memory(text: u64) -> MemoryFootprint {
    MemoryFootprint {
        text,
        rodata: 2_000,
        data: 16,
        bss: 8_192,
        stack_used: Some(640),
        flash_size: 1 << 20,
        ram_size: 256 << 10,
    }
}

/// A run of `target`/`suite` at `unix_time` on commit `commit` (hex), with `cases`.
pub fn run(
    target: &str,
    suite: &str,
    unix_time: u64,
    commit: &str,
    cases: Vec<CaseResult>,
) -> RunResult {
    RunResult {
        schema_version: SCHEMA_VERSION,
        tinybench_version: "0.1.0".into(),
        meta: RunMeta {
            run_id: String::new(),
            git_commit: Some(commit.repeat(40 / commit.len().max(1))),
            git_dirty: Some(false),
            toolchain: Some("rustup (rustc 1.95.0)".into()),
            host: Some("bench-host".into()),
            clock_hz: Some(64_000_000),
            target_sha256: Some("ab".repeat(32)),
            memory: Some(memory(10_000)),
        },
        target: target.into(),
        core: "cortex-m4".into(),
        backend: "emulator (unicorn-engine 2.1)".into(),
        suite: suite.into(),
        suite_hash: "5c1e0b2a".into(),
        firmware_sha256: "00".repeat(32),
        unix_time,
        count_kind: CountKind::InstructionsEmulated,
        overhead_samples: vec![1; 3],
        overhead: 1,
        cases,
        cycle_model: Some("Cortex-M4 TRM timings".into()),
        energy_source: Some("energy, modeled (datasheet: 3.3 V × 3.1 mA at 64 MHz)".into()),
        modeled_overhead: Some(1),
        model: None,
    }
}

/// The smoke-like cases: two FC cases and a 0-MAC reshape.
pub fn smoke_cases() -> Vec<CaseResult> {
    vec![
        case("fc_tiny", 128, 1_495, 2_082),
        case("fc_256x64", 16_384, 114_355, 140_726),
        case("reshape", 0, 24, 31),
    ]
}

/// A model run: case 0 the inference, then one case per layer, with quality `accuracy`.
pub fn model_run(unix_time: u64, commit: &str, accuracy: f64) -> RunResult {
    let cases = vec![
        case("kws/inference", 2_000, 30_000, 40_000),
        case("kws/0 CONV_2D", 1_500, 20_000, 27_000),
        case("kws/1 FULLY_CONNECTED", 500, 10_000, 13_000),
    ];
    let mut r = run("sim-cortex-m4", "model-kws", unix_time, commit, cases);
    r.model = Some(ModelSummary {
        name: "kws".into(),
        sha256: "cd".repeat(32),
        variant: "optimized".into(),
        macs: 2_000,
        arena_bytes: 4_096,
        scratch_bytes: 256,
        const_bytes: 20_000,
        layers: ["CONV_2D", "FULLY_CONNECTED"]
            .iter()
            .enumerate()
            .map(|(i, op)| ModelLayer {
                index: i as u32,
                op: op.to_string(),
                arena_bytes: 2_048,
                scratch_bytes: 128,
                const_bytes: 10_000,
            })
            .collect(),
        memory: memory(10_000),
        inputs: 10,
        host_mismatches: 0,
        reference: None,
        quality: Some(QualityMetrics {
            task: "classification".into(),
            samples: 10,
            labelled: 10,
            accuracy: Some(accuracy),
            precision: Some(accuracy),
            recall: Some(accuracy),
            f1: Some(accuracy),
            roc_auc: None,
            threshold: None,
        }),
    });
    r
}
