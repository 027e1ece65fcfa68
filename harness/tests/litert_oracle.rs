//! The LiteRT oracle (issue 9): the shipped datasets in suites/datasets/ are what
//! tools/litert/make_datasets.py produces with LiteRT's reference kernels, they load with
//! `Dataset::load`, and the Rust quality metrics reproduce the generator's metrics.json.

mod support;

use std::path::Path;
use std::process::Command;
use tinybench::dataset::{Dataset, Task};
use tinybench_results::metrics::{self, QualityMetrics};

/// The MLPerf Tiny models: (dataset dir, task, input bytes, output bytes, samples).
const SETS: [(&str, Task, usize, usize, usize); 4] = [
    ("kws", Task::Classification, 49 * 10, 12, 8),
    ("vww", Task::Classification, 96 * 96 * 3, 2, 3),
    ("ic", Task::Classification, 32 * 32 * 3, 10, 6),
    ("ad", Task::Anomaly, 640, 640, 12),
];

/// ad01_int8.tflite's input and output quantization (the float32 values, as f64).
const AD_IN: (f64, i32) = (0.3910152316093445, 89);
const AD_OUT: (f64, i32) = (0.36449846625328064, 96);

#[test]
fn shipped_datasets_match_litert_reference_kernels() {
    let root = support::root();
    let python = root.join("target/litert-venv/bin/python");
    assert!(
        python.exists(),
        "no LiteRT venv at {}: run `bash ci/setup.sh` (it creates target/litert-venv from \
         tools/litert/requirements.txt)",
        python.display()
    );
    let out = Command::new(&python)
        .arg("tools/litert/make_datasets.py")
        .arg("--check")
        .arg("--models")
        .arg(support::models_dir())
        .current_dir(&root)
        .output()
        .expect("the venv's python runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "make_datasets.py --check failed:\n{}{}",
        support::text(&out.stdout),
        support::text(&out.stderr)
    );
    assert!(support::text(&out.stdout).contains("kws, vww, ic, ad match"));
}

/// Index of the first maximum, as the generator's `np.argmax`.
fn argmax(v: &[i8]) -> u32 {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best as u32
}

fn load(name: &str, input_len: usize, output_len: usize) -> Dataset {
    let dir = support::root().join("suites/datasets").join(name);
    Dataset::load(&dir, input_len, output_len).unwrap_or_else(|e| panic!("{e}"))
}

fn want_metrics(dir: &Path) -> QualityMetrics {
    let text = std::fs::read_to_string(dir.join("metrics.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn assert_close(name: &str, what: &str, got: Option<f64>, want: Option<f64>) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-9, "{name} {what}: {g} vs {w}"),
        (g, w) => assert_eq!(g, w, "{name} {what}"),
    }
}

#[test]
fn rust_metrics_reproduce_the_generators_metrics_json() {
    for (name, task, input_len, output_len, count) in SETS {
        let d = load(name, input_len, output_len);
        assert_eq!(d.task, Some(task), "{name}");
        assert_eq!(d.samples.len(), count, "{name}");
        let labels: Vec<u32> = d.samples.iter().map(|s| s.label.unwrap()).collect();
        let outputs: Vec<&[i8]> = d
            .samples
            .iter()
            .map(|s| s.expected.as_deref().expect("expected output shipped"))
            .collect();
        let got = match task {
            Task::Classification => {
                let predicted: Vec<u32> = outputs.iter().map(|o| argmax(o)).collect();
                metrics::classification(&predicted, &labels, output_len as u32)
            }
            Task::Anomaly => {
                let scores: Vec<f64> = d
                    .samples
                    .iter()
                    .zip(&outputs)
                    .map(|(s, o)| {
                        metrics::anomaly_score(&s.input, AD_IN.0, AD_IN.1, o, AD_OUT.0, AD_OUT.1)
                    })
                    .collect();
                metrics::anomaly(&scores, &labels, None)
            }
        };
        let want = want_metrics(&d.dir);
        assert_eq!(got.task, want.task, "{name}");
        assert_eq!(
            (got.samples, got.labelled),
            (want.samples, want.labelled),
            "{name}"
        );
        assert_close(name, "accuracy", got.accuracy, want.accuracy);
        assert_close(name, "precision", got.precision, want.precision);
        assert_close(name, "recall", got.recall, want.recall);
        assert_close(name, "f1", got.f1, want.f1);
        assert_close(name, "roc_auc", got.roc_auc, want.roc_auc);
        assert_close(name, "threshold", got.threshold, want.threshold);
        assert!(
            got.accuracy.is_some(),
            "{name}: labelled data gives an accuracy"
        );
    }
}

#[test]
fn shipped_labels_are_as_documented() {
    // tools/litert/README.md: classifier labels are the LiteRT argmax except at these
    // samples; ad's odd samples are anomalous.
    let relabelled: [(&str, &[usize]); 3] = [("kws", &[2, 5]), ("vww", &[1]), ("ic", &[4])];
    for (name, flipped) in relabelled {
        let (_, _, input_len, output_len, _) = SETS.iter().find(|s| s.0 == name).unwrap();
        let d = load(name, *input_len, *output_len);
        for (i, s) in d.samples.iter().enumerate() {
            let top = argmax(s.expected.as_deref().unwrap());
            assert_eq!(
                s.label != Some(top),
                flipped.contains(&i),
                "{name} sample {i}"
            );
        }
    }
    let d = load("ad", 640, 640);
    for (i, s) in d.samples.iter().enumerate() {
        assert_eq!(s.label, Some((i % 2) as u32), "ad sample {i}");
    }
    // The TOML records the quantization the test above uses.
    let meta: toml::Table =
        toml::from_str(&std::fs::read_to_string(d.dir.join("dataset.toml")).unwrap()).unwrap();
    assert_eq!(meta["input_scale"].as_float(), Some(AD_IN.0));
    assert_eq!(meta["input_zero_point"].as_integer(), Some(AD_IN.1.into()));
    assert_eq!(meta["output_scale"].as_float(), Some(AD_OUT.0));
    assert_eq!(
        meta["output_zero_point"].as_integer(),
        Some(AD_OUT.1.into())
    );
}
