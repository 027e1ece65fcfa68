//! Findings of the fuzz targets, kept (issue 19), and the bugs the issue reported, as the
//! fuzzer's own mutations: each must stay an error, not a hang or a panic.

use std::path::Path;
use tinybench_fuzz::{corpus, Case, Mutation};

fn seed(target: &str, file: &str) -> (Vec<Vec<u8>>, usize) {
    let c = corpus(target);
    let i = c
        .iter()
        .position(|(p, _)| p.file_name().unwrap() == file)
        .unwrap_or_else(|| panic!("corpus/{target}/{file}"));
    (c.into_iter().map(|(_, b)| b).collect(), i)
}

/// Offset of tensor 1's first scale in a single-op corpus model (its output).
fn output_scale_offset(bytes: &[u8]) -> usize {
    use tinybench_model::testing::tflite;
    let m = tflite::root_as_model(bytes).unwrap();
    let t = m.subgraphs().unwrap().get(0).tensors().unwrap().get(1);
    let scales = t.quantization().unwrap().scale().unwrap();
    scales.bytes().as_ptr() as usize - bytes.as_ptr() as usize
}

#[test]
fn an_infinite_or_zero_scale_from_a_float_mutation_is_refused() {
    // Issue 19, group 1: this input hung the import (inf) at 100 % CPU.
    let (seeds, i) = seed("tflite", "softmax.tflite");
    let at = output_scale_offset(&seeds[i]);
    for (float, shown) in [(0u8, "inf"), (3, "0"), (2, "NaN"), (4, "-1")] {
        let case = Case {
            seed: i,
            mutations: vec![Mutation::Float(at, float)],
        };
        let e = tinybench_model::import("fuzz.tflite", &case.input(&seeds))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!(
                "tensor 1 't1' (used by op 0 (SOFTMAX)): scale[0] is {shown};"
            )),
            "{e}"
        );
    }
}

#[test]
fn the_corpus_is_what_the_targets_expect() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for target in ["tflite", "dataset", "results", "toml", "rtt"] {
        let files = corpus(target);
        assert!(!files.is_empty(), "corpus/{target} is empty");
        for (p, b) in &files {
            assert!(b.len() <= 4096, "{}: seeds stay small", p.display());
        }
    }
    // Seed models that import, so mutations start from something valid (softmax.tflite,
    // without its options, exercises the lowering's refusals instead).
    for (p, b) in corpus("tflite") {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let ok = tinybench_model::import(&name, &b).is_ok();
        assert_eq!(ok, name != "softmax.tflite", "{name}");
    }
    assert!(dir.join("rtt/smoke.bin").is_file());
}

/// The import error of `file` from the tflite corpus after one `Set` mutation.
fn import_error_after_set(file: &str, at: usize, byte: u8) -> String {
    let (seeds, i) = seed("tflite", file);
    let case = Case {
        seed: i,
        mutations: vec![Mutation::Set(at, byte)],
    };
    tinybench_model::import("fuzz.tflite", &case.input(&seeds))
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

#[test]
fn a_dequantize_edge_naming_a_tensor_out_of_range_is_an_error() {
    // Fuzz finding (tflite target, 2026-12-01): one byte of the float-edge model set to 4
    // made the DEQUANTIZE's output index point past the tensors, and the importer indexed
    // its tensor table with it (index out of bounds: the len is 4 but the index is 4).
    let e = import_error_after_set("quantize-reshape-dequantize.tflite", 5438090456049182052, 4);
    assert!(e.starts_with("fuzz.tflite: "), "{e}");
}

#[test]
fn a_quantize_edge_naming_a_tensor_out_of_range_is_an_error() {
    // Fuzz finding (tflite target, CI of 2026-12-01): one byte of the float-edge model set
    // to 4 made the input QUANTIZE's output index point past the tensors; the importer
    // rewired the graph input to it and indexed its table with it (the len is 4 but the
    // index is 4). Every operator's tensor indices are now checked before use.
    let e = import_error_after_set("quantize-reshape-dequantize.tflite", 2426210747027770584, 4);
    assert!(
        e.contains("names tensor 4, but the graph has 4 tensors"),
        "{e}"
    );
}
