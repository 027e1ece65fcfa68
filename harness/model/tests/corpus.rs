//! The model corpus (suites/corpus, made by tools/corpus/make_corpus.py with TensorFlow's
//! converter): every model imports, and the host's run of its graph is bit-exact with
//! LiteRT's reference kernels on every shipped input, with both kernel variants.

use std::path::{Path, PathBuf};
use tinybench_kernels::case::Variant;
use tinybench_model::{compile, import, plan};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/corpus")
}

/// The corpus models, sorted by name.
fn models() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tflite"))
        .collect();
    v.sort();
    v
}

/// (inputs back to back, expected outputs back to back) of every sample of a model's
/// dataset: labels.csv lists one file per graph input, expected/ the outputs of the first.
fn samples(dir: &Path) -> Vec<(Vec<i8>, Vec<i8>)> {
    let text = std::fs::read_to_string(dir.join("labels.csv")).unwrap();
    let read = |p: PathBuf| -> Vec<i8> {
        std::fs::read(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .into_iter()
            .map(|b| b as i8)
            .collect()
    };
    text.lines()
        .skip(1)
        .map(|row| {
            let fields: Vec<&str> = row.split(',').collect();
            let files = &fields[..fields.len() - 1];
            let input = files.iter().flat_map(|f| read(dir.join(f))).collect();
            let first = Path::new(files[0]).file_name().unwrap();
            (input, read(dir.join("expected").join(first)))
        })
        .collect()
}

#[test]
fn every_corpus_model_is_bit_exact_with_litert_on_the_host() {
    let models = models();
    assert!(models.len() >= 30, "{} corpus models", models.len());
    let mut failures = Vec::new();
    for path in &models {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_stem().unwrap().to_str().unwrap();
        let model = match import(&path.display().to_string(), &bytes) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let plan = plan(&model);
        let samples = samples(&corpus().join(name));
        assert!(!samples.is_empty(), "{name}: no samples");
        for variant in [Variant::Reference, Variant::Optimized] {
            let c = compile(&model, &plan, variant);
            for (k, (input, expected)) in samples.iter().enumerate() {
                match c.run_host(input) {
                    Ok(r) if &r.output == expected => {}
                    Ok(r) => {
                        let diff = r
                            .output
                            .iter()
                            .zip(expected)
                            .filter(|(a, b)| a != b)
                            .count();
                        failures.push(format!(
                            "{name} {variant:?} sample {k}: {diff} of {} bytes differ",
                            expected.len()
                        ));
                    }
                    Err(e) => failures.push(format!("{name} {variant:?}: {e:?}")),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
