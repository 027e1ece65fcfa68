//! The model corpus (suites/corpus, TensorFlow 2.21's converter) on emulated cores: each
//! model's device output is bit-exact with LiteRT's reference kernels on every shipped
//! input, layer by layer against the host. Every model runs on the host in
//! harness/model/tests/corpus.rs; here a spread of them (per-channel Dense, two graph
//! inputs, broadcasting, MEAN, two outputs, the table ops, data movement) runs on three
//! cores, each a firmware build, so the set is kept to what the CI budget allows.

mod support;

use serde_json::Value;
use support::{root, text, tinybench};

/// Models run on every core, optimized kernels.
const EVERY_CORE: [&str; 4] = [
    "dense_classifier",
    "add_two_inputs",
    "gap_cnn",
    "dense_multi_output",
];

/// Run corpus model `name` on `target` with its dataset; the JSON result.
fn run(target: &str, name: &str, variant: &str) -> Value {
    let dir = root().join("suites/corpus");
    let model = dir.join(format!("{name}.tflite"));
    let data = dir.join(name);
    let out = tinybench(&[
        "run",
        "--target",
        target,
        "--model",
        model.to_str().unwrap(),
        "--dataset",
        data.to_str().unwrap(),
        "--variant",
        variant,
        "--reps",
        "1",
        "--warmup",
        "0",
        "--no-save",
        "--format",
        "json",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{name} on {target}: {err}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check(target: &str, name: &str, variant: &str) {
    let r = run(target, name, variant);
    let m = &r["model"];
    let ctx = format!("{name} on {target} ({variant})");
    assert_eq!(m["reference"]["checked"], 3, "{ctx}");
    assert_eq!(m["reference"]["mismatched"], Value::Array(vec![]), "{ctx}");
    assert_eq!(m["host_mismatches"], 0, "{ctx}");
    for c in r["cases"].as_array().unwrap() {
        assert_eq!(c["status"]["status"], "ok", "{ctx}: {}", c["name"]);
    }
}

#[test]
fn corpus_models_are_bit_exact_on_cortex_m4() {
    for name in EVERY_CORE {
        check("sim-cortex-m4", name, "optimized");
    }
    // The rest of the op set, once, on the DSP core.
    for name in [
        "residual_cnn",
        "squeezenet_fire",
        "dense_logistic_tanh",
        "stack_unstack",
    ] {
        check("sim-cortex-m4", name, "optimized");
    }
    check("sim-cortex-m4", "dense_classifier", "reference");
}

#[test]
fn corpus_models_are_bit_exact_on_cortex_m0plus() {
    for name in EVERY_CORE {
        check("sim-cortex-m0plus", name, "optimized");
    }
}

#[test]
fn corpus_models_are_bit_exact_on_rv32imac() {
    for name in EVERY_CORE {
        check("sim-rv32imac", name, "optimized");
    }
}
