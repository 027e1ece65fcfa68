//! Checks of a `.tflite` file that the lowering relies on, made before (tensors) and after
//! (graph order) the operators are lowered (issue 19):
//!
//! - every quantized tensor has finite, positive scales (NaN, `inf`, zero and negative
//!   scales are refused: they made the host and the device agree on nonsense, and an `inf`
//!   once hung the import), zero points in the range of its type, one zero point per scale
//!   (or one for all) and, per channel, one scale per element of its quantized dimension;
//! - every shape is static and no tensor is larger than any microcontroller could hold;
//! - the operators are in execution order: no operator reads a tensor before an earlier
//!   operator (or the model input) wrote it, and no tensor is written twice.
//!
//! Every error names the file, the tensor and the operator that uses it.

use crate::ir::Model;
use crate::ImportError;
use tract_tflite::tflite;

/// Largest tensor accepted, in elements: 64 Mi. No microcontroller tinybench targets has
/// that much memory, and the host would allocate it before the fit check refuses it.
pub const MAX_TENSOR_ELEMENTS: usize = 64 << 20;

/// The first operator that reads or writes tensor `id`, as `op N (NAME)`, for messages.
fn user(model: &tflite::Model<'_>, graph: &tflite::SubGraph<'_>, id: usize) -> String {
    let Some(ops) = graph.operators() else {
        return "no operator".into();
    };
    for (index, op) in ops.iter().enumerate() {
        let uses = |v: Option<flatbuffers::Vector<'_, i32>>| {
            v.is_some_and(|v| v.iter().any(|t| t >= 0 && t as usize == id))
        };
        if uses(op.inputs()) || uses(op.outputs()) {
            let name = model
                .operator_codes()
                .and_then(|c| c.iter().nth(op.opcode_index() as usize))
                .map(|c| {
                    let b = tflite::BuiltinOperator(
                        c.builtin_code().0.max(c.deprecated_builtin_code() as i32),
                    );
                    b.variant_name().unwrap_or("?").to_string()
                })
                .unwrap_or_else(|| "?".into());
            return format!("op {index} ({name})");
        }
    }
    "no operator".into()
}

/// Check the shape and quantization of every tensor of `graph`.
pub(crate) fn tensors(
    path: &str,
    model: &tflite::Model<'_>,
    graph: &tflite::SubGraph<'_>,
) -> Result<(), ImportError> {
    let Some(tensors) = graph.tensors() else {
        return Ok(());
    };
    for (id, t) in tensors.iter().enumerate() {
        if let Err(what) = tensor(&t) {
            return Err(ImportError::Malformed {
                path: path.to_string(),
                what: format!(
                    "tensor {id} '{}' (used by {}): {what}",
                    t.name().unwrap_or("?"),
                    user(model, graph, id)
                ),
            });
        }
    }
    Ok(())
}

/// What is wrong with one tensor, if anything.
fn tensor(t: &tflite::Tensor<'_>) -> Result<(), String> {
    let shape: Vec<i32> = t.shape().map(|s| s.iter().collect()).unwrap_or_default();
    let mut elements: usize = 1;
    for &d in &shape {
        let d = usize::try_from(d).map_err(|_| format!("shape {shape:?} is not static"))?;
        elements = elements
            .checked_mul(d)
            .filter(|&e| e <= MAX_TENSOR_ELEMENTS)
            .ok_or_else(|| {
                format!("shape {shape:?} has more than {MAX_TENSOR_ELEMENTS} elements")
            })?;
    }
    let Some(q) = t.quantization() else {
        return Ok(());
    };
    let scales: Vec<f32> = q.scale().map(|v| v.iter().collect()).unwrap_or_default();
    let zps: Vec<i64> = q
        .zero_point()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    for (i, &s) in scales.iter().enumerate() {
        if !s.is_finite() || s <= 0.0 {
            return Err(format!(
                "scale[{i}] is {s}; quantization scales must be finite and positive"
            ));
        }
    }
    if !zps.is_empty() && zps.len() != 1 && zps.len() != scales.len() {
        return Err(format!(
            "{} zero points for {} scales",
            zps.len(),
            scales.len()
        ));
    }
    let range = match t.type_() {
        tflite::TensorType::INT8 => Some(-128..=127),
        tflite::TensorType::UINT8 => Some(0..=255),
        tflite::TensorType::INT16 => Some(-32768..=32767),
        _ => None,
    };
    if let Some(range) = range {
        if let Some((i, z)) = zps.iter().enumerate().find(|(_, z)| !range.contains(*z)) {
            return Err(format!(
                "zero_point[{i}] is {z}, outside {range:?} of its type"
            ));
        }
    }
    if scales.len() > 1 {
        let dim = q.quantized_dimension();
        let size = usize::try_from(dim)
            .ok()
            .and_then(|d| shape.get(d).copied());
        if size != Some(scales.len() as i32) {
            return Err(format!(
                "{} per-channel scales along dimension {dim} of shape {shape:?}",
                scales.len()
            ));
        }
    }
    Ok(())
}

/// Check that the lowered operators run in order: each reads only tensors written
/// before it (the model input counts as written) and writes a tensor nothing wrote yet;
/// the model output is written.
pub(crate) fn graph(path: &str, model: &Model) -> Result<(), ImportError> {
    let mut writer: Vec<Option<usize>> = vec![None; model.tensors.len()];
    let name = |t: usize| {
        model.tensors[t]
            .as_ref()
            .map_or_else(|| format!("{t}"), |x| format!("{t} '{}'", x.name))
    };
    let err = |what: String| ImportError::Malformed {
        path: path.to_string(),
        what,
    };
    for node in &model.nodes {
        let here = format!("op {} ({})", node.index, node.op_name);
        for &i in &node.inputs {
            if !model.inputs.contains(&i) && writer[i].is_none() {
                let later = model.nodes.iter().find(|n| n.output == i);
                return Err(err(match later {
                    Some(n) => format!(
                        "{here} reads tensor {} before op {} ({}) writes it: the operators are not in execution order",
                        name(i), n.index, n.op_name
                    ),
                    None => format!(
                        "{here} reads tensor {}, which neither a model input nor any operator provides",
                        name(i)
                    ),
                }));
            }
        }
        let o = node.output;
        // One TFLite op may lower into several nodes that each write a part of its output
        // (CONCATENATION, SPLIT): a second writer is an error only when it is another op.
        if model.inputs.contains(&o) || writer[o].is_some_and(|w| w != node.index) {
            let by = writer[o].map_or("it is the model input".to_string(), |w| {
                format!("op {w} already wrote it")
            });
            return Err(err(format!("{here} writes tensor {}, but {by}", name(o))));
        }
        if let Some(s) = node.consts.shifts.iter().find(|s| !(-31..=30).contains(*s)) {
            return Err(err(format!(
                "{here}: requantization shift {s} is outside [-31, 30] (the scales of tensor {} and its inputs are too far apart)",
                name(o)
            )));
        }
        writer[o] = Some(node.index);
    }
    for &out in &model.outputs {
        if !model.inputs.contains(&out) && writer[out].is_none() {
            return Err(err(format!(
                "no operator writes the model output, tensor {}",
                name(out)
            )));
        }
    }
    Ok(())
}
