//! The ops added for the corpus's real architectures (HARD_SWISH, TRANSPOSE_CONV,
//! BATCH_MATMUL) on tiny hand-built models: a well-formed one imports and runs with both
//! kernel variants, a malformed one is refused with a sentence naming the file, the
//! operator's index and its type. The corpus (tests/corpus.rs) checks them against LiteRT.

use tinybench_kernels::case::Variant;
use tinybench_kernels::hard_swish::HardSwishParams;
use tinybench_model::testing::single_op_model;
use tinybench_model::{compile, import, plan};
use tract_tflite::tflite::{BuiltinOperator, TensorType};

#[test]
fn hard_swish_runs_tflites_arithmetic_in_both_variants() {
    // [1, 4] int8 in and out, scale 0.1, zero point 0.
    let bytes = single_op_model(BuiltinOperator::HARD_SWISH, TensorType::INT8);
    let model = import("hs.tflite", &bytes).unwrap();
    let p = HardSwishParams::new((0.1, 0), (0.1, 0)).unwrap();
    let input = [-50i8, -10, 10, 50];
    // −5.0 → 0, −1.0 → −1/3, 1.0 → 2/3, 5.0 → 5.0, at scale 0.1.
    let want: Vec<i8> = input.iter().map(|&x| p.apply(x)).collect();
    assert_eq!(want, [0, -3, 7, 50]);
    for variant in [Variant::Reference, Variant::Optimized] {
        let c = compile(&model, &plan(&model), variant);
        assert_eq!(c.info[0].kernel, "hard_swish");
        assert_eq!(c.run_host(&input).unwrap().output, want, "{variant:?}");
    }
}

#[test]
fn transpose_conv_and_batch_matmul_with_missing_operands_are_refused_by_index_and_type() {
    for (op, name, want) in [
        (
            BuiltinOperator::TRANSPOSE_CONV,
            "TRANSPOSE_CONV",
            "1 inputs; expected 3 or 4",
        ),
        (
            BuiltinOperator::BATCH_MATMUL,
            "BATCH_MATMUL",
            "1 inputs; expected 2",
        ),
    ] {
        let bytes = single_op_model(op, TensorType::INT8);
        let text = import("m.tflite", &bytes).unwrap_err().to_string();
        assert!(
            text.starts_with(&format!("m.tflite: op 0 ({name}): ")),
            "{text}"
        );
        assert!(text.contains(want), "{text}");
    }
}
