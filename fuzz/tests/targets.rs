//! The fuzz targets (issue 19). Each one runs for `TINYBENCH_FUZZ_SECS` (see the crate
//! docs); a finding fails the test with the shrunk case, to be kept in regressions.rs.

use std::path::{Path, PathBuf};
use tinybench_fuzz::{corpus, fuzz};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn models_dir() -> PathBuf {
    std::env::var_os("TINYBENCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/models/mlperf-tiny"))
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    corpus(target).into_iter().map(|(_, b)| b).collect()
}

/// The importer, planner and compiler never panic or hang on a mutated model; what
/// imports also runs on the host (small models) without panicking.
pub fn check_tflite(bytes: &[u8]) -> Result<(), String> {
    let Ok(model) = tinybench_model::import("fuzz.tflite", bytes) else {
        return Ok(());
    };
    let plan = tinybench_model::plan(&model);
    let compiled =
        tinybench_model::compile(&model, &plan, tinybench_kernels::case::Variant::Reference);
    if compiled.input_len() <= 1024 && compiled.arena_bytes <= 1 << 20 {
        let _ = compiled.run_host(&vec![0i8; compiled.input_len()]);
    }
    Ok(())
}

#[test]
fn fuzz_tflite_importer() {
    let mut s = seeds("tflite");
    // The MLPerf Tiny models, read at test time (never copied into the repository).
    for name in [
        "ad01_int8",
        "kws_ref_model",
        "vww_96_int8",
        "pretrainedResnet_quant",
    ] {
        let p = models_dir().join(format!("{name}.tflite"));
        s.push(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
    }
    fuzz("tflite", &s, check_tflite);
}

/// A dataset directory with inputs for a 4-byte input, 2-byte output model.
pub fn dataset_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("inputs")).unwrap();
    std::fs::create_dir_all(p.join("expected")).unwrap();
    std::fs::write(p.join("inputs/000.bin"), [1, 2, 3, 4]).unwrap();
    std::fs::write(p.join("inputs/001.bin"), [5, 6, 7, 8]).unwrap();
    std::fs::write(p.join("short.bin"), [1, 2, 3]).unwrap();
    std::fs::write(p.join("expected/000.bin"), [9, 9]).unwrap();
    dir
}

/// The loader and the label check never panic on a mutated labels.csv.
pub fn check_dataset(dir: &Path, labels: &[u8]) -> Result<(), String> {
    use tinybench::dataset::{Dataset, Task};
    std::fs::write(dir.join("labels.csv"), labels).map_err(|e| e.to_string())?;
    if let Ok(d) = Dataset::load(dir, 4, 2) {
        let _ = d.check_labels(Task::Classification, 2);
        let _ = d.check_labels(Task::Anomaly, 2);
    }
    Ok(())
}

#[test]
fn fuzz_dataset_loader() {
    let dir = dataset_dir();
    fuzz("dataset", &seeds("dataset"), |b| {
        check_dataset(dir.path(), b)
    });
}

/// A result file: parsed, and listed by a store, without a panic; a store lists it as a
/// run or names it as skipped, never fails.
pub fn check_result(store_dir: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Ok(run) = tinybench_results::parse_run(text) {
            let json = tinybench::report::json::render(&run);
            tinybench_results::parse_run(&json)
                .map_err(|e| format!("a parsed run does not parse again: {e}"))?;
        }
    }
    let runs = store_dir.join("runs");
    std::fs::create_dir_all(&runs).map_err(|e| e.to_string())?;
    std::fs::write(runs.join("fuzz.json"), bytes).map_err(|e| e.to_string())?;
    let store = tinybench_results::store::Store::new(store_dir);
    let listing = store.list().map_err(|e| format!("the store failed: {e}"))?;
    if listing.runs.len() + listing.skipped.len() != 1 {
        return Err(format!("{listing:?}"));
    }
    Ok(())
}

#[test]
fn fuzz_result_file_reader() {
    let dir = tempfile::tempdir().unwrap();
    fuzz("results", &seeds("results"), |b| {
        check_result(dir.path(), b)
    });
}

/// Every config parser on the (lossy UTF-8) text: an error or a value, never a panic.
pub fn check_toml(bytes: &[u8]) -> Result<(), String> {
    use tinybench::config::{model_suite::ModelSuite, suite::Suite, target::Target};
    let text = String::from_utf8_lossy(bytes);
    let _ = Target::parse(Path::new("targets/sim-cortex-m4.toml"), &text);
    let _ = Suite::parse(Path::new("suites/smoke.toml"), &text);
    let _ = ModelSuite::parse(Path::new("suites/mlperf-tiny.toml"), &text, &models_dir());
    Ok(())
}

#[test]
fn fuzz_toml_configs() {
    fuzz("toml", &seeds("toml"), check_toml);
}

/// The smoke firmware's defmt table (built through the library, cached like every build).
fn smoke_decoder() -> tinybench_device::frames::FrameDecoder {
    use tinybench::firmware::{build, gen, toolchain};
    let project = tinybench::project::Project::find(Some(&root())).unwrap();
    let target = project.target("sim-cortex-m4").unwrap();
    let suite = project.suite("smoke").unwrap();
    let tc = toolchain::select(&target.triple, toolchain::Preference::Auto, false).unwrap();
    let payload = gen::suite(&suite);
    let built = build::build(
        &build::BuildRequest {
            project: &project.root,
            build_dir: &project.build_dir,
            target: &target,
            payload: &payload,
            features: &[],
            toolchain: &tc,
        },
        &|_| {},
    )
    .unwrap();
    let elf = std::fs::read(&built.elf).unwrap();
    tinybench_device::frames::FrameDecoder::from_elf(&elf).unwrap()
}

/// The stream decoder and the frame protocol on mutated bytes, pushed in uneven chunks:
/// frames or corrupt-frame reports, never a panic.
pub fn check_rtt(
    decoder: &tinybench_device::frames::FrameDecoder,
    bytes: &[u8],
) -> Result<(), String> {
    let mut d = decoder.another_stream();
    let step = 1 + bytes.first().copied().unwrap_or(0) as usize % 97;
    for chunk in bytes.chunks(step) {
        for frame in d.push(chunk).into_iter().flatten() {
            let _ = tinybench_device::protocol::Event::from_frame(&frame);
        }
    }
    let _ = d.pending();
    Ok(())
}

#[test]
fn fuzz_rtt_defmt_decoder() {
    let decoder = smoke_decoder();
    fuzz("rtt", &seeds("rtt"), |b| check_rtt(&decoder, b));
}
