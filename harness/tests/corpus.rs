//! The model corpus (suites/corpus, TensorFlow 2.21's converter) on emulated cores: each
//! model's device output is bit-exact with LiteRT's reference kernels on every shipped
//! input, layer by layer against the host. Every model of the corpus runs on three cores
//! (optimized kernels) and on the M4 with the reference kernels too; the host side of
//! every model is harness/model/tests/corpus.rs. One model firmware per core and variant
//! runs them all (the model is an image written into its ELF), so the whole corpus costs
//! four firmware builds.

mod support;

use serde_json::Value;
use support::{root, text, tinybench};

/// Every model of the corpus, by name.
fn corpus() -> Vec<String> {
    let dir = root().join("suites/corpus");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "tflite").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    assert!(names.len() >= 31, "corpus shrank: {names:?}");
    names
}

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

/// Every corpus model on `target` with `variant`.
fn check_all(target: &str, variant: &str) {
    for name in corpus() {
        check(target, &name, variant);
    }
}

#[test]
fn corpus_models_are_bit_exact_on_cortex_m4() {
    check_all("sim-cortex-m4", "optimized");
}

#[test]
fn corpus_models_are_bit_exact_on_cortex_m4_with_reference_kernels() {
    check_all("sim-cortex-m4", "reference");
}

#[test]
fn corpus_models_are_bit_exact_on_cortex_m0plus() {
    check_all("sim-cortex-m0plus", "optimized");
}

#[test]
fn corpus_models_are_bit_exact_on_rv32imac() {
    check_all("sim-rv32imac", "optimized");
}
