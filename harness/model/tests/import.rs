//! Import, planning and the host's run of the graph: the four MLPerf Tiny models against
//! the LiteRT reference outputs shipped in suites/datasets, and refusals.

use std::path::{Path, PathBuf};
use tinybench_kernels::case::Variant;
use tinybench_model::testing::{chain_model, single_op_model};
use tinybench_model::{compile, import, plan, ImportError};
use tract_tflite::tflite::{BuiltinOperator, TensorType};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The MLPerf Tiny models: `TINYBENCH_MODELS_DIR`, else `../shared/models/mlperf-tiny`
/// beside the repository.
fn models_dir() -> PathBuf {
    std::env::var_os("TINYBENCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/models/mlperf-tiny"))
}

const MODELS: [(&str, &str); 4] = [
    ("kws_ref_model", "kws"),
    ("vww_96_int8", "vww"),
    ("pretrainedResnet_quant", "ic"),
    ("ad01_int8", "ad"),
];

fn read_i8(p: &Path) -> Vec<i8> {
    std::fs::read(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .into_iter()
        .map(|b| b as i8)
        .collect()
}

fn load(name: &str) -> tinybench_model::Model {
    let p = models_dir().join(format!("{name}.tflite"));
    let bytes = std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the MLPerf Tiny models live in ../shared/models/mlperf-tiny or TINYBENCH_MODELS_DIR)",
            p.display()
        )
    });
    import(&p.display().to_string(), &bytes).unwrap()
}

#[test]
fn host_graph_is_bit_exact_with_litert_on_every_shipped_input() {
    for (name, set) in MODELS {
        let model = load(name);
        let plan = plan(&model);
        let dir = root().join("suites/datasets").join(set);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir.join("inputs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{set}: no inputs");
        for variant in [Variant::Reference, Variant::Optimized] {
            let c = compile(&model, &plan, variant);
            for input in &inputs {
                let expected = read_i8(&dir.join("expected").join(input.file_name().unwrap()));
                let got = c.run_host(&read_i8(input)).unwrap().output;
                assert_eq!(got, expected, "{name} {variant:?} {}", input.display());
            }
        }
    }
}

#[test]
fn plans_never_overlap_tensors_alive_at_the_same_time() {
    for (name, _) in MODELS {
        let model = load(name);
        let plan = plan(&model);
        let span = |t: usize| {
            let o = plan.offsets[t].unwrap();
            o..o + model.tensor(t).len()
        };
        for node in &model.nodes {
            for &i in &node.inputs {
                let (a, b) = (span(i), span(node.output));
                let aliased = node.op == tinybench_kernels::graph::LayerOp::Reshape;
                assert!(
                    aliased || a.end <= b.start || b.end <= a.start,
                    "{name} op {}: input {a:?} overlaps output {b:?}",
                    node.index
                );
            }
        }
        // The peak can never be below the largest layer's own input + output.
        let floor = model
            .nodes
            .iter()
            .map(|n| {
                n.inputs
                    .iter()
                    .map(|&t| model.tensor(t).len())
                    .sum::<usize>()
                    + model.tensor(n.output).len()
            })
            .max()
            .unwrap();
        assert!(
            plan.arena_bytes >= floor,
            "{name}: arena {} < {floor}",
            plan.arena_bytes
        );
    }
}

#[test]
fn arena_sizes_are_as_planned() {
    // Deterministic: the greedy plan of each model, in bytes (a change here is a change
    // of the planner, to be looked at).
    let got: Vec<(&str, usize)> = MODELS
        .iter()
        .map(|(n, _)| (*n, plan(&load(n)).arena_bytes))
        .collect();
    assert_eq!(
        got,
        [
            ("kws_ref_model", 16000),
            ("vww_96_int8", 64512),
            ("pretrainedResnet_quant", 49152),
            ("ad01_int8", 768)
        ]
    );
}

#[test]
fn an_unsupported_operator_is_named_with_its_index() {
    let bytes = single_op_model(BuiltinOperator::GATHER, TensorType::INT8);
    let err = import("tiny.tflite", &bytes).unwrap_err();
    assert!(
        matches!(err, ImportError::UnsupportedOp { index: 0, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("op 0 (GATHER) is not supported"), "{text}");
    assert!(text.contains("tiny.tflite"), "{text}");
}

#[test]
fn every_unsupported_operator_is_named_at_once_before_any_lowering() {
    use BuiltinOperator as B;
    // op 0 is supported but used wrongly (float); ops 1 and 3 have no kernel: those two
    // are what the user must hear about first, in one sentence.
    let bytes = chain_model(
        &[B::RESHAPE, B::GATHER, B::RESHAPE, B::CUMSUM],
        &[TensorType::FLOAT32; 5],
    );
    let text = import("m.tflite", &bytes).unwrap_err().to_string();
    assert!(
        text.starts_with("m.tflite: 2 operators are not supported: op 1 (GATHER), op 3 (CUMSUM);"),
        "{text}"
    );
}

#[test]
fn a_float_model_is_refused_naming_the_tensor() {
    let bytes = single_op_model(BuiltinOperator::RESHAPE, TensorType::FLOAT32);
    let text = import("f.tflite", &bytes).unwrap_err().to_string();
    assert!(text.contains("op 0 (RESHAPE)"), "{text}");
    assert!(text.contains("FLOAT32"), "{text}");
}

#[test]
fn float_edges_are_left_to_the_caller_and_inner_quantize_is_refused() {
    use BuiltinOperator as B;
    use TensorType as T;
    // float → QUANTIZE → int8 → RESHAPE → int8 → DEQUANTIZE → float
    let bytes = chain_model(
        &[B::QUANTIZE, B::RESHAPE, B::DEQUANTIZE],
        &[T::FLOAT32, T::INT8, T::INT8, T::FLOAT32],
    );
    let model = import("edges.tflite", &bytes).unwrap();
    assert_eq!(model.nodes.len(), 1);
    assert_eq!(model.nodes[0].op_name, "RESHAPE");
    assert_eq!(
        (model.inputs.clone(), model.outputs.clone()),
        (vec![1], vec![2])
    );
    let c = compile(&model, &plan(&model), Variant::Reference);
    assert_eq!(c.run_host(&[5, 6, 7, 8]).unwrap().output, vec![5, 6, 7, 8]);
    // A QUANTIZE between int8 tensors (a requantization inside the graph) is not an
    // edge: it runs, as a table (same scales here, so the identity).
    let bytes = chain_model(&[B::RESHAPE, B::QUANTIZE], &[T::INT8, T::INT8, T::INT8]);
    let model = import("inner.tflite", &bytes).unwrap();
    assert_eq!(model.nodes[1].op_name, "QUANTIZE");
    let c = compile(&model, &plan(&model), Variant::Reference);
    assert_eq!(
        c.run_host(&[5, -6, 7, 8]).unwrap().output,
        vec![5, -6, 7, 8]
    );
    // A DEQUANTIZE that is not the model's float output is refused.
    let bytes = chain_model(
        &[B::DEQUANTIZE, B::RESHAPE],
        &[T::INT8, T::FLOAT32, T::FLOAT32],
    );
    let text = import("deq.tflite", &bytes).unwrap_err().to_string();
    assert!(
        text.contains("op 0 (DEQUANTIZE) is not supported"),
        "{text}"
    );
}

#[test]
fn garbage_is_not_a_model() {
    let text = import("junk.tflite", b"definitely not a flatbuffer")
        .unwrap_err()
        .to_string();
    assert!(
        text.starts_with("junk.tflite: not a TFLite model"),
        "{text}"
    );
}

#[test]
fn a_supported_single_op_model_runs_on_the_host() {
    let bytes = single_op_model(BuiltinOperator::RESHAPE, TensorType::INT8);
    let model = import("r.tflite", &bytes).unwrap();
    let c = compile(&model, &plan(&model), Variant::Reference);
    assert_eq!(
        c.run_host(&[1, -2, 3, -4]).unwrap().output,
        vec![1, -2, 3, -4]
    );
}

#[test]
fn int16_tensors_take_two_bytes_each_in_the_arena() {
    use BuiltinOperator as B;
    use TensorType as T;
    // float → QUANTIZE → int16 [1, 4] → RESHAPE → int16 → DEQUANTIZE → float: a 16x8
    // model's edges are left to the caller as an int8 model's are.
    let bytes = chain_model(
        &[B::QUANTIZE, B::RESHAPE, B::DEQUANTIZE],
        &[T::FLOAT32, T::INT16, T::INT16, T::FLOAT32],
    );
    let model = import("r16.tflite", &bytes).unwrap();
    assert_eq!(model.nodes.len(), 1);
    assert_eq!((model.input_bytes(), model.output_bytes()), (8, 8));
    let p = plan(&model);
    assert_eq!(p.arena_bytes, 8);
    let c = compile(&model, &p, Variant::Reference);
    assert_eq!((c.input_len(), c.output_len()), (8, 8));
    let x = [1, 2, -3, 4, 5, -6, 7, 8];
    assert_eq!(c.run_host(&x).unwrap().output, x);
}

#[test]
fn an_op_with_int16_tensors_that_has_no_16x8_kernel_is_refused_by_name() {
    use BuiltinOperator as B;
    use TensorType as T;
    let bytes = chain_model(&[B::RESHAPE, B::LOGISTIC], &[T::INT16, T::INT16, T::INT16]);
    let text = import("s16.tflite", &bytes).unwrap_err().to_string();
    assert_eq!(
        text,
        "s16.tflite: op 1 (LOGISTIC) reads or writes int16 tensors (16x8 quantization), and tinybench runs int16 activations on FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, SOFTMAX, ADD, RESHAPE, SQUEEZE, EXPAND_DIMS only"
    );
    // Every such op at once, before any lowering (op 2 would fail its lowering first).
    let bytes = chain_model(
        &[B::LOGISTIC, B::RESHAPE, B::SOFTMAX, B::TANH],
        &[T::INT16; 5],
    );
    let text = import("all.tflite", &bytes).unwrap_err().to_string();
    assert!(
        text.starts_with("all.tflite: op 0 (LOGISTIC), op 3 (TANH) read or write int16 tensors"),
        "{text}"
    );
    // A requantization between int8 and int16 inside the graph: refused the same way.
    let bytes = chain_model(&[B::QUANTIZE], &[T::INT8, T::INT16]);
    let text = import("q.tflite", &bytes).unwrap_err().to_string();
    assert!(
        text.starts_with("q.tflite: op 0 (QUANTIZE) reads or writes int16 tensors"),
        "{text}"
    );
    // An int8 op reading an int16 tensor is refused naming the tensor.
    let bytes = chain_model(&[B::RESHAPE], &[T::INT16, T::INT8]);
    let text = import("mixed.tflite", &bytes).unwrap_err().to_string();
    assert!(
        text.starts_with(
            "mixed.tflite: op 0 (RESHAPE): tensor 't1' is INT8 in a layer with int16 activations"
        ),
        "{text}"
    );
}

#[test]
fn an_int16_softmax_needs_litert_output_scale() {
    use BuiltinOperator as B;
    use TensorType as T;
    // chain_model's tensors have scale 0.1; LiteRT's int16 softmax writes 1/32768.
    let bytes = chain_model(&[B::SOFTMAX], &[T::INT16, T::INT16]);
    let text = import("sm.tflite", &bytes).unwrap_err().to_string();
    assert!(
        text.starts_with(
            "sm.tflite: op 0 (SOFTMAX): int16 softmax output must have scale 1/32768, 't1' has 0.1"
        ),
        "{text}"
    );
}
