//! Whole models end to end (issue 9): the four MLPerf Tiny int8 models run in the
//! emulator on a Cortex-M4 and an RV32IMAC, bit-exact against LiteRT's reference kernels
//! on the shipped inputs, with a per-layer table, totals and footprint; models that do
//! not fit or use an unsupported op are refused before anything is built.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;
use support::{models_dir, root, text, tinybench};

const MODELS: [(&str, &str, usize); 4] = [
    // (file stem, dataset, layers)
    ("kws_ref_model", "kws", 13),
    ("vww_96_int8", "vww", 31),
    ("pretrainedResnet_quant", "ic", 16),
    ("ad01_int8", "ad", 10),
];

fn model_path(stem: &str) -> String {
    let p = models_dir().join(format!("{stem}.tflite"));
    assert!(
        p.is_file(),
        "{} is missing: the MLPerf Tiny models live in ../shared/models/mlperf-tiny (or set TINYBENCH_MODELS_DIR)",
        p.display()
    );
    p.display().to_string()
}

/// `tinybench run --target <target> --model <model> --no-save` and `extra`.
fn run_model(target: &str, model: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--target", target, "--model", model, "--no-save"];
    args.extend_from_slice(extra);
    tinybench(&args)
}

fn metrics_json(set: &str) -> Value {
    let p = root()
        .join("suites/datasets")
        .join(set)
        .join("metrics.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Run model `stem` on `target` with the shipped dataset `set`, one timed inference
/// and no warm-up, and `extra`; the JSON result and stderr of a successful run.
fn run_on_dataset(target: &str, stem: &str, set: &str, extra: &[&str]) -> (Value, String) {
    let dataset = root().join("suites/datasets").join(set);
    let mut args = vec![
        "--dataset",
        dataset.to_str().unwrap(),
        "--reps",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run_model(target, &model_path(stem), &args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stem} on {target}: {err}");
    // Its terminal tables (per layer, and the suite summary) fit 100 columns (issue 20).
    let run = tinybench_results::parse_run(&text(&out.stdout)).expect("a run");
    let narrow = tinybench::report::layout::Layout {
        width: Some(100),
        wide: false,
    };
    let layers = tinybench::report::model::render_with(&run, &narrow).expect("a model run");
    let summary = tinybench::report::model::render_suite_with("s", &[run], &narrow);
    for t in [&layers, &summary] {
        assert!(support::widest(t) <= 100, "{t}");
    }
    assert!(
        layers.contains("samples)"),
        "the quality metrics say their sample count: {layers}"
    );
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

/// Run every model on `target` with its dataset and check the JSON result.
fn all_models_on(target: &str) {
    for (stem, set, layers) in MODELS {
        let dataset = root().join("suites/datasets").join(set);
        let (run, _) = run_on_dataset(target, stem, set, &[]);
        let m = &run["model"];
        let ctx = format!("{stem} on {target}");
        // Bit-exact against LiteRT's reference kernels, and against the host's graph.
        let reference = &m["reference"];
        let inputs = std::fs::read_dir(dataset.join("inputs")).unwrap().count();
        assert_eq!(reference["checked"], inputs, "{ctx}");
        assert_eq!(reference["mismatched"], Value::Array(vec![]), "{ctx}");
        assert_eq!(m["host_mismatches"], 0, "{ctx}");
        // Case 0 is the inference, then one case per layer, every one checked.
        let cases = run["cases"].as_array().unwrap();
        assert_eq!(cases.len(), layers + 1, "{ctx}");
        assert_eq!(m["layers"].as_array().unwrap().len(), layers, "{ctx}");
        for c in cases {
            assert_eq!(c["status"]["status"], "ok", "{ctx}: {}", c["name"]);
        }
        assert_eq!(run["count_kind"], "instructions-emulated", "{ctx}");
        // The layers account for the inference: their sum is below it by no more than
        // the loop around them (counts are exact in the emulator).
        let median = |c: &Value| c["summary"]["median"].as_u64().unwrap();
        let total = median(&cases[0]);
        let layer_sum: u64 = cases[1..].iter().map(median).sum();
        assert!(
            layer_sum <= total && total - layer_sum < total / 100,
            "{ctx}: {layer_sum} vs {total}"
        );
        // Footprint from the ELF and the painted stack.
        let mem = &m["memory"];
        assert!(
            mem["rodata"].as_u64().unwrap() >= m["const_bytes"].as_u64().unwrap(),
            "{ctx}"
        );
        assert!(
            mem["bss"].as_u64().unwrap() >= m["arena_bytes"].as_u64().unwrap(),
            "{ctx}"
        );
        let stack = mem["stack_used"].as_u64().expect("painted stack reported");
        assert!((64..8192).contains(&stack), "{ctx}: stack {stack}");
        // Quality metrics from the device's outputs equal the generator's (LiteRT's).
        let want = metrics_json(set);
        for k in [
            "accuracy",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "threshold",
        ] {
            let (g, w) = (&m["quality"][k], &want[k]);
            match (g.as_f64(), w.as_f64()) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{ctx} {k}: {g} vs {w}"),
                _ => assert_eq!(g, w, "{ctx} {k}"),
            }
        }
    }
}

#[test]
fn mlperf_tiny_models_are_bit_exact_on_cortex_m4() {
    all_models_on("sim-cortex-m4");
}

#[test]
fn mlperf_tiny_models_are_bit_exact_on_rv32imac() {
    all_models_on("sim-rv32imac");
}

#[test]
fn table_has_a_row_per_layer_totals_and_footprint() {
    let out = run_model(
        "sim-cortex-m4",
        &model_path("kws_ref_model"),
        &["--reps", "1", "--warmup", "0", "--energy", "model"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for want in [
        "counts are instructions, emulated",
        "op00",
        "DEPTHWISE_CONV_2D",
        "op12",
        "SOFTMAX",
        "count/MAC",
        "share",
        "arena B",
        "scratch B",
        "inference: median",
        "flash:",
        ".rodata",
        "RAM:",
        "by painting",
        "✔ all 1 output(s) equal the host's run",
        "µJ: energy, modeled (datasheet",
        "µJ ±",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in\n{stdout}");
    }
}

fn small_target(dir: &std::path::Path, flash_kib: u32, ram_kib: u32) -> PathBuf {
    let text = std::fs::read_to_string(root().join("targets/sim-cortex-m4.toml"))
        .unwrap()
        .replace("size_kib = 1024", &format!("size_kib = {flash_kib}"))
        .replace("size_kib = 256", &format!("size_kib = {ram_kib}"))
        .replace("name = \"sim-cortex-m4\"", "name = \"sim-small\"");
    let p = dir.join("sim-small.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_model_that_does_not_fit_is_refused_with_the_numbers_before_building() {
    let dir = tempfile::tempdir().unwrap();
    // VWW: 235 KiB of weights do not fit 128 KiB of flash.
    let t = small_target(dir.path(), 128, 256);
    let out = run_model(t.to_str().unwrap(), &model_path("vww_96_int8"), &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("model `vww_96_int8` needs"), "{err}");
    assert!(err.contains("bytes of flash"), "{err}");
    assert!(err.contains("sim-small has 131072"), "{err}");
    assert!(!err.contains("firmware for"), "built anyway: {err}");
    // Its 63 KiB arena does not fit 32 KiB of RAM.
    let t = small_target(dir.path(), 1024, 32);
    let out = run_model(t.to_str().unwrap(), &model_path("vww_96_int8"), &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bytes of RAM (74580 for the tensor arena, scratch and layer table"),
        "{err}"
    );
    assert!(err.contains("sim-small has 32768"), "{err}");
}

#[test]
fn a_model_with_an_unsupported_op_fails_naming_it() {
    use tinybench_model::testing::{single_op_model, tflite};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gather.tflite");
    std::fs::write(
        &p,
        single_op_model(tflite::BuiltinOperator::GATHER, tflite::TensorType::INT8),
    )
    .unwrap();
    let out = run_model("sim-cortex-m4", p.to_str().unwrap(), &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("op 0 (GATHER) is not supported"), "{err}");
    assert!(!err.contains("firmware for"), "built anyway: {err}");
}

#[test]
fn a_wrong_output_on_the_device_fails_the_run() {
    let out = run_model(
        "sim-cortex-m4",
        &model_path("ad01_int8"),
        &[
            "--dataset",
            root().join("suites/datasets/ad").to_str().unwrap(),
            "--reps",
            "1",
            "--warmup",
            "0",
            "--firmware-feature",
            "selftest-wrong-output",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        stdout,
        text(&out.stderr)
    );
    assert!(
        stdout.contains("✘ 1 of 12 output(s) differ from the host's run"),
        "{stdout}"
    );
    assert!(stdout.contains("differ from dataset expected/"), "{stdout}");
}

#[test]
fn model_firmware_reads_the_power_monitor_around_every_timed_region() {
    // Built with the INA226 driver (no bus in the emulator: every read fails and says so),
    // each timed region is bracketed by two monitor readings, each reading the counter
    // once. kws: 8 overhead regions (2 reads each, never bracketed), the inference and 13
    // layers (2 + 2 reads each), and one reading of the failed initialisation:
    // 16 + 14 · 4 + 1 = 73 reads for 22 regions.
    let out = run_model(
        "sim-cortex-m4",
        &model_path("kws_ref_model"),
        &[
            "--reps",
            "1",
            "--warmup",
            "0",
            "--firmware-feature",
            "power-ina226",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("73 counter reads for 22 timed regions"),
        "{err}"
    );
}

#[test]
fn a_dataset_larger_than_one_firmware_runs_in_several_with_the_same_results() {
    // KWS's 8 inputs, 3 per firmware: three builds, every output still bit-exact
    // against LiteRT and the same quality metrics as one firmware gives.
    let (run, err) = run_on_dataset(
        "sim-cortex-m4",
        "kws_ref_model",
        "kws",
        &["--inputs-per-build", "3"],
    );
    for want in [
        "firmware 1/3: inputs 1–3 of 8",
        "firmware 2/3: inputs 4–6 of 8",
        "firmware 3/3: inputs 7–8 of 8",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    let m = &run["model"];
    assert_eq!(m["inputs"], 8);
    assert_eq!(m["reference"]["checked"], 8);
    assert_eq!(m["reference"]["mismatched"], Value::Array(vec![]));
    assert_eq!(m["host_mismatches"], 0);
    let want = metrics_json("kws");
    for k in ["accuracy", "precision", "recall", "f1"] {
        let (g, w) = (m["quality"][k].as_f64(), want[k].as_f64());
        assert!(
            (g.unwrap() - w.unwrap()).abs() < 1e-9,
            "{k}: {g:?} vs {w:?}"
        );
    }
}
