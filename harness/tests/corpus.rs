//! The model corpus (suites/corpus, TensorFlow 2.21's converter) on emulated cores: each
//! model's device output is bit-exact with LiteRT's reference kernels on every shipped
//! input, layer by layer against the host. Every model of the corpus runs on three cores
//! (optimized kernels) and on the M4 with the reference kernels too (the two MobileNets
//! on the M4's optimized kernels only); the host side of
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

/// The real architectures (MobileNetV2 0.35 and MobileNetV3Small 0.5 at 96x96: 10.7 M and
/// 4.5 M MACs; V2 is 122 M instructions an inference on sim-cortex-m0plus): run on the M4 with
/// the optimized kernels only, to keep CI's run short. Every other core and variant runs
/// them in `tinybench run` as well; the host checks both variants of them in
/// harness/model/tests/corpus.rs.
const BIG: [&str; 2] = ["mobilenet_v2", "mobilenet_v3_small"];

/// Every corpus model on `target` with `variant` (the [`BIG`] ones only on the M4,
/// optimized).
fn check_all(target: &str, variant: &str) {
    let everything = target == "sim-cortex-m4" && variant == "optimized";
    for name in corpus() {
        if everything || !BIG.contains(&name.as_str()) {
            check(target, &name, variant);
        }
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

/// `build --model` writes the model into the model firmware's ELF: the image region starts
/// with the image's magic, `TINYBENCH_META` carries the printed hash, and the same ELF
/// refuses an image larger than its region; a suite's ELF has no region to write.
#[test]
fn build_model_writes_the_image_into_an_ordinary_elf() {
    use tinybench::firmware::patch::{write_image, PatchError, IMAGE_SYMBOL};
    use tinybench_device::FirmwareImage;
    let model = root().join("suites/corpus/gap_cnn.tflite");
    let out = tinybench(&[
        "build",
        "--target",
        "sim-cortex-m4",
        "--model",
        model.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let path = text(&out.stdout).trim().to_string();
    let hash = err.split("model hash ").nth(1).unwrap()[..8].to_string();
    let bytes = std::fs::read(&path).unwrap();
    let elf = FirmwareImage::parse(bytes.clone()).unwrap();
    let region = elf.symbol(IMAGE_SYMBOL).unwrap();
    assert_eq!(elf.read(region, 4), Some(&b"TBMI"[..]), "{path}");
    assert_eq!(format!("{:08x}", elf.meta().unwrap().suite_hash), hash);
    assert!(
        err.contains("of which this model and the code use: flash"),
        "{err}"
    );
    let huge = vec![0u8; 4 << 20];
    assert!(matches!(
        write_image(&bytes, &huge, 1),
        Err(PatchError::TooLarge { .. })
    ));
    let out = tinybench(&["build", "--target", "sim-cortex-m4", "--suite", "smoke"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let suite_elf = std::fs::read(text(&out.stdout).trim()).unwrap();
    assert_eq!(
        write_image(&suite_elf, b"TBMI", 1),
        Err(PatchError::Missing(IMAGE_SYMBOL))
    );
}
