//! Issue 19, groups 1, 2 and 9: bad quantization and out-of-order graphs in real MLPerf
//! Tiny models (patched in memory at test time, never copied into the repository) are
//! refused with errors naming the file, the tensor and the operator — and never hang.

use std::path::{Path, PathBuf};
use tinybench_model::import;
use tract_tflite::tflite;

fn models_dir() -> PathBuf {
    std::env::var_os("TINYBENCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models/mlperf-tiny")
        })
}

fn kws() -> Vec<u8> {
    let p = models_dir().join("kws_ref_model.tflite");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Byte offset of `slice` inside `buf`.
fn offset_in(buf: &[u8], slice: &[u8]) -> usize {
    slice.as_ptr() as usize - buf.as_ptr() as usize
}

/// The first operator's (input, weights, output) tensor ids.
fn first_op_tensors(bytes: &[u8]) -> (usize, usize, usize) {
    let m = tflite::root_as_model(bytes).unwrap();
    let op = m.subgraphs().unwrap().get(0).operators().unwrap().get(0);
    let ins: Vec<i32> = op.inputs().unwrap().iter().collect();
    let outs: Vec<i32> = op.outputs().unwrap().iter().collect();
    (ins[0] as usize, ins[1] as usize, outs[0] as usize)
}

fn tensor_name(bytes: &[u8], id: usize) -> String {
    let m = tflite::root_as_model(bytes).unwrap();
    let t = m.subgraphs().unwrap().get(0).tensors().unwrap().get(id);
    t.name().unwrap().to_string()
}

/// A copy of `bytes` with scale `channel` of tensor `id` set to `value`.
fn with_scale(bytes: &[u8], id: usize, channel: usize, value: f32) -> Vec<u8> {
    let m = tflite::root_as_model(bytes).unwrap();
    let t = m.subgraphs().unwrap().get(0).tensors().unwrap().get(id);
    let scales = t.quantization().unwrap().scale().unwrap();
    assert!(
        channel < scales.len(),
        "tensor {id} has {} scales",
        scales.len()
    );
    let at = offset_in(bytes, scales.bytes()) + 4 * channel;
    let mut out = bytes.to_vec();
    out[at..at + 4].copy_from_slice(&value.to_le_bytes());
    out
}

/// A copy of `bytes` with zero point 0 of tensor `id` set to `value`.
fn with_zero_point(bytes: &[u8], id: usize, value: i64) -> Vec<u8> {
    let m = tflite::root_as_model(bytes).unwrap();
    let t = m.subgraphs().unwrap().get(0).tensors().unwrap().get(id);
    let zps = t.quantization().unwrap().zero_point().unwrap();
    let at = offset_in(bytes, zps.bytes());
    let mut out = bytes.to_vec();
    out[at..at + 8].copy_from_slice(&value.to_le_bytes());
    out
}

/// A copy of `bytes` with operators `a` and `b` swapped (their table offsets in the
/// subgraph's operator vector, each relative to its own slot).
fn with_ops_swapped(bytes: &[u8], a: usize, b: usize) -> Vec<u8> {
    let m = tflite::root_as_model(bytes).unwrap();
    let ops = m.subgraphs().unwrap().get(0).operators().unwrap();
    let base = offset_in(bytes, ops.bytes());
    let slot = |i: usize| base + 4 * i;
    let target = |i: usize| {
        let p = slot(i);
        p + u32::from_le_bytes(bytes[p..p + 4].try_into().unwrap()) as usize
    };
    let (ta, tb) = (target(a), target(b));
    let mut out = bytes.to_vec();
    out[slot(a)..slot(a) + 4].copy_from_slice(&((tb - slot(a)) as u32).to_le_bytes());
    out[slot(b)..slot(b) + 4].copy_from_slice(&((ta - slot(b)) as u32).to_le_bytes());
    out
}

fn refused(bytes: &[u8]) -> String {
    match import("kws.tflite", bytes) {
        Ok(_) => panic!("the patched model was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_infinite_or_zero_activation_scale_is_refused_without_hanging() {
    // Group 1: `inf` made quantize_multiplier loop forever; 0 divided into inf.
    let bytes = kws();
    let (_, _, out) = first_op_tensors(&bytes);
    let name = tensor_name(&bytes, out);
    for bad in [f32::INFINITY, 0.0] {
        let e = refused(&with_scale(&bytes, out, 0, bad));
        assert!(e.starts_with("kws.tflite: "), "{e}");
        assert!(e.contains(&format!("tensor {out} '{name}'")), "{e}");
        assert!(e.contains("op 0 (CONV_2D)"), "{e}");
        assert!(
            e.contains(&format!(
                "scale[0] is {bad}; quantization scales must be finite and positive"
            )),
            "{e}"
        );
    }
}

#[test]
fn nan_negative_and_zero_scales_are_refused_naming_tensor_and_op() {
    // Group 2: these were accepted and reported ✔.
    let bytes = kws();
    let (input, weights, _) = first_op_tensors(&bytes);
    // One channel of the per-channel filter.
    for bad in [f32::NAN, -0.01, 0.0] {
        let e = refused(&with_scale(&bytes, weights, 3, bad));
        assert!(
            e.contains(&format!(
                "tensor {weights} '{}'",
                tensor_name(&bytes, weights)
            )),
            "{e}"
        );
        assert!(
            e.contains("op 0 (CONV_2D)") && e.contains("scale[3] is"),
            "{e}"
        );
    }
    // The model input.
    let e = refused(&with_scale(&bytes, input, 0, f32::NAN));
    assert!(
        e.contains(&format!("tensor {input} ")) && e.contains("scale[0] is NaN"),
        "{e}"
    );
    // A zero point outside int8.
    let e = refused(&with_zero_point(&bytes, input, 300));
    assert!(
        e.contains("zero_point[0] is 300, outside -128..=127"),
        "{e}"
    );
    // The unpatched model still imports.
    import("kws.tflite", &bytes).unwrap();
}

#[test]
fn an_op_reading_a_tensor_produced_later_is_refused() {
    // Group 9: such a graph was accepted and ran ✔.
    let bytes = kws();
    let e = refused(&with_ops_swapped(&bytes, 0, 1));
    assert!(e.starts_with("kws.tflite: op 0 ("), "{e}");
    assert!(
        e.contains("which no earlier operator writes")
            && e.contains("the operators are not in execution order"),
        "{e}"
    );
}
