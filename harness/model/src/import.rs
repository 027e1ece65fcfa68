//! `.tflite` → [`Model`]: read the flatbuffer with the generated TFLite schema, check that
//! every operator and tensor is something the kernel crate runs bit-exactly, and compute
//! each layer's quantization parameters the way TFLite's kernels prepare them.

use crate::ctx::Ctx;
pub use crate::ir::{Consts, ElemType, Model, Node, Tensor};
use crate::ImportError;
use sha2::{Digest, Sha256};
use tinybench_kernels::graph::LayerOp;
use tract_tflite::tflite;

/// Operators tinybench maps onto its kernels, by their TFLite names.
pub const SUPPORTED_OPS: &[&str] = &[
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "FULLY_CONNECTED",
    "AVERAGE_POOL_2D",
    "MAX_POOL_2D",
    "SOFTMAX",
    "ADD",
    "MUL",
    "RESHAPE",
    "SUB",
    "MAXIMUM",
    "MINIMUM",
    "MEAN",
    "PAD",
    "PADV2",
    "CONCATENATION",
    "PACK",
    "UNPACK",
    "SPLIT",
    "STRIDED_SLICE",
    "SLICE",
    "TRANSPOSE",
    "SQUEEZE",
    "EXPAND_DIMS",
    "LOGISTIC",
    "TANH",
    "RELU",
    "RELU6",
    "RELU_N1_TO_1",
    "LEAKY_RELU",
    "QUANTIZE",
    "HARD_SWISH",
    "TRANSPOSE_CONV",
    "BATCH_MATMUL",
];

/// The TFLite name of operator `op`'s code (`CONV_2D`).
fn op_name(
    codes: &flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<tflite::OperatorCode<'_>>>,
    op: &tflite::Operator<'_>,
) -> Option<String> {
    let code = codes.iter().nth(op.opcode_index() as usize)?;
    // Newer files carry the code in `builtin_code`, older ones in the deprecated int8
    // field; TFLite reads the larger of the two.
    let builtin = tflite::BuiltinOperator(
        code.builtin_code()
            .0
            .max(code.deprecated_builtin_code() as i32),
    );
    Some(
        builtin
            .variant_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("BUILTIN_{}", builtin.0)),
    )
}

/// The graph's input (or output) tensor list.
fn graph_tensors(
    path: &str,
    v: Option<flatbuffers::Vector<'_, i32>>,
    n_tensors: usize,
    what: &str,
) -> Result<Vec<usize>, ImportError> {
    let ids: Vec<i32> = v.map(|v| v.iter().collect()).unwrap_or_default();
    let malformed = |what: String| ImportError::Malformed {
        path: path.to_string(),
        what,
    };
    if ids.is_empty() {
        return Err(malformed(format!("the model has no {what}s")));
    }
    ids.iter()
        .map(|&i| {
            usize::try_from(i)
                .ok()
                .filter(|&i| i < n_tensors)
                .ok_or_else(|| {
                    malformed(format!(
                        "model {what} {i} is not a tensor of the graph, which has {n_tensors}"
                    ))
                })
        })
        .collect()
}

/// Every operator tinybench has no kernel for, refused at once, before any lowering.
fn refuse_unsupported(path: &str, names: &[String]) -> Result<(), ImportError> {
    let bad: Vec<(usize, &String)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !SUPPORTED_OPS.contains(&n.as_str()) && n.as_str() != "DEQUANTIZE")
        .collect();
    match bad[..] {
        [] => Ok(()),
        [(index, op)] => Err(ImportError::UnsupportedOp {
            path: path.to_string(),
            index,
            op: op.clone(),
        }),
        _ => Err(ImportError::UnsupportedOps {
            path: path.to_string(),
            ops: bad
                .iter()
                .map(|(i, n)| format!("op {i} ({n})"))
                .collect::<Vec<_>>()
                .join(", "),
            count: bad.len(),
        }),
    }
}

/// Every operator that reads or writes an int16 tensor (a 16x8 model) but has no 16x8
/// kernel, refused at once, before any lowering (QUANTIZE/DEQUANTIZE at a float model
/// input or output are edges, not kernels, and pass).
fn refuse_unsupported_16x8(
    path: &str,
    graph: &tflite::SubGraph<'_>,
    ops: &flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<tflite::Operator<'_>>>,
    names: &[String],
) -> Result<(), ImportError> {
    let Some(tensors) = graph.tensors() else {
        return Ok(());
    };
    let ty = |t: i32| {
        usize::try_from(t)
            .ok()
            .filter(|&t| t < tensors.len())
            .map(|t| tensors.get(t).type_())
    };
    let bad: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|(i, name)| {
            let op = ops.get(*i);
            let ids: Vec<i32> = op
                .inputs()
                .into_iter()
                .chain(op.outputs())
                .flat_map(|v| v.iter())
                .collect();
            let int16 = ids
                .iter()
                .any(|&t| ty(t) == Some(tflite::TensorType::INT16));
            let float = ids
                .iter()
                .any(|&t| ty(t) == Some(tflite::TensorType::FLOAT32));
            let edge = float && matches!(name.as_str(), "QUANTIZE" | "DEQUANTIZE");
            int16 && !edge && !crate::lower_16x8::OPS_16X8.contains(&name.as_str())
        })
        .map(|(i, name)| format!("op {i} ({name})"))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(ImportError::Unsupported16x8 {
        path: path.to_string(),
        ops: bad.join(", "),
        count: bad.len(),
    })
}

/// A node that copies constant tensor `t` from the blob into the arena, for an operator
/// that reads a constant where the kernels read an activation (`MUL` by a constant, a
/// `CONCATENATION` with a constant part).
fn load_node(ctx: &Ctx<'_>, t: usize) -> Result<Node, ImportError> {
    let data = ctx.const_i8(t as i32)?;
    Ok(Node {
        index: ctx.index,
        op_name: ctx.op_name.clone(),
        op: LayerOp::Graph(tinybench_kernels::graph_ops::GraphOp::Load {
            len: data.len() as u32,
        }),
        inputs: Vec::new(),
        output: t,
        consts: Consts {
            weights: data,
            ..Consts::default()
        },
    })
}

/// Read a model. `path` is only used in messages.
pub fn import(path: &str, bytes: &[u8]) -> Result<Model, ImportError> {
    let model = tflite::root_as_model(bytes).map_err(|e| ImportError::Flatbuffer {
        path: path.to_string(),
        reason: e.to_string(),
    })?;
    let malformed = |what: String| ImportError::Malformed {
        path: path.to_string(),
        what,
    };
    let graphs = model
        .subgraphs()
        .ok_or_else(|| malformed("the model has no subgraph".into()))?;
    if graphs.len() != 1 {
        return Err(malformed(format!(
            "the model has {} subgraphs; tinybench runs single-subgraph models",
            graphs.len()
        )));
    }
    let graph = graphs.get(0);
    crate::validate::tensors(path, &model, &graph)?;
    let codes = model
        .operator_codes()
        .ok_or_else(|| malformed("the model has no operator codes".into()))?;
    let ops = graph
        .operators()
        .ok_or_else(|| malformed("the model has no operators".into()))?;
    let n_tensors = graph.tensors().map_or(0, |t| t.len());
    let mut inputs = graph_tensors(path, graph.inputs(), n_tensors, "input")?;
    let mut outputs = graph_tensors(path, graph.outputs(), n_tensors, "output")?;
    let names = (0..ops.len())
        .map(|i| {
            let op = ops.get(i);
            op_name(&codes, &op).ok_or_else(|| {
                malformed(format!(
                    "op {i}: opcode index {} is out of range",
                    op.opcode_index()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    refuse_unsupported(path, &names)?;
    refuse_unsupported_16x8(path, &graph, &ops, &names)?;
    let mut tensors: Vec<Option<Tensor>> = vec![None; n_tensors];
    let mut produced = vec![false; n_tensors];
    let mut nodes = Vec::new();
    for (index, op_name) in names.into_iter().enumerate() {
        let op = ops.get(index);
        let ctx = Ctx {
            model,
            graph,
            path,
            index,
            op_name,
        };
        let ins: Vec<i32> = op.inputs().map(|v| v.iter().collect()).unwrap_or_default();
        let outs: Vec<i32> = op.outputs().map(|v| v.iter().collect()).unwrap_or_default();
        // Every index an operator names must be a tensor of the graph (-1 marks an absent
        // optional input) before anything indexes with it: a QUANTIZE edge below rewires the
        // graph's inputs to its output index (a fuzz finding, issue 19).
        for (&t, what) in ins
            .iter()
            .map(|t| (t, "input"))
            .chain(outs.iter().map(|t| (t, "output")))
        {
            let absent = t == -1 && what == "input";
            if !absent && usize::try_from(t).map_or(true, |t| t >= n_tensors) {
                return Err(ctx.err(format!(
                    "its {what} names tensor {t}, but the graph has {n_tensors} tensors"
                )));
            }
        }
        // Float edges: a QUANTIZE of a float model input, or a DEQUANTIZE into a float
        // model output, stays with the caller. The int8 tensor behind it becomes the
        // model's input (or output): inputs are given, and outputs compared, quantized.
        let float = |t: i32| {
            ctx.raw(t)
                .is_ok_and(|t| t.type_() == tflite::TensorType::FLOAT32)
        };
        match (ctx.op_name.as_str(), &ins[..], &outs[..]) {
            ("QUANTIZE", &[i], &[o]) if float(i) && inputs.contains(&(i as usize)) => {
                inputs.iter_mut().for_each(|t| {
                    if *t == i as usize {
                        *t = o as usize;
                    }
                });
                continue;
            }
            ("DEQUANTIZE", &[i], &[o]) if float(o) && outputs.contains(&(o as usize)) => {
                outputs.iter_mut().for_each(|t| {
                    if *t == o as usize {
                        *t = i as usize;
                    }
                });
                continue;
            }
            ("DEQUANTIZE", _, _) => {
                return Err(ImportError::UnsupportedOp {
                    path: path.to_string(),
                    index,
                    op: ctx.op_name.clone(),
                })
            }
            _ => {}
        }
        for &t in &inputs {
            produced[t] = true;
        }
        for node in crate::lower::lower(&ctx, &op, &ins, &outs)? {
            for &t in &node.inputs {
                if produced[t] {
                    continue;
                }
                if !ctx.is_const(t as i32) {
                    return Err(ctx.err(format!(
                        "it reads tensor {t}, which no earlier operator writes (the operators are not in execution order, or no operator writes it)"
                    )));
                }
                let load = load_node(&ctx, t)?;
                tensors[t] = Some(ctx.activation_any(t as i32)?);
                produced[t] = true;
                nodes.push(load);
            }
            for &t in node.inputs.iter().chain([&node.output]) {
                tensors[t] = Some(ctx.activation_any(t as i32)?);
            }
            produced[node.output] = true;
            nodes.push(node);
        }
    }
    if nodes.is_empty() {
        return Err(malformed("the model has no operators to run".into()));
    }
    for (&id, what) in inputs
        .iter()
        .map(|t| (t, "input"))
        .chain(outputs.iter().map(|t| (t, "output")))
    {
        // A QUANTIZE/DEQUANTIZE edge may name any tensor index (a fuzz finding, issue 19).
        if tensors.get(id).is_none_or(Option::is_none) {
            return Err(malformed(format!(
                "model {what} tensor {id} is not read or written by any operator"
            )));
        }
    }
    let name = std::path::Path::new(path)
        .file_stem()
        .map_or_else(|| "model".to_string(), |s| s.to_string_lossy().into_owned());
    let model = Model {
        name,
        sha256: Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        tensors,
        nodes,
        inputs,
        outputs,
    };
    crate::validate::graph(path, &model)?;
    Ok(model)
}
