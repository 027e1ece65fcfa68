//! `.tflite` → [`Model`]: read the flatbuffer with the generated TFLite schema, check that
//! every operator and tensor is something the kernel crate runs bit-exactly, and compute
//! each layer's quantization parameters the way TFLite's kernels prepare them.

use crate::ImportError;
use sha2::{Digest, Sha256};
use tinybench_kernels::activation::Activation;
use tinybench_kernels::graph::LayerOp;
use tinybench_kernels::window::{Padding, Window};
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
];

/// An activation tensor (int8): name, shape and quantization.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Name in the model.
    pub name: String,
    /// Shape (NHWC for images).
    pub shape: Vec<usize>,
    /// Quantization scale.
    pub scale: f32,
    /// Quantization zero point.
    pub zero_point: i32,
}

impl Tensor {
    /// Elements (= bytes, int8).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// True for a tensor without elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Shape as `1x49x10x1`.
    pub fn shape_text(&self) -> String {
        let dims: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
        dims.join("x")
    }
}

/// A layer's constant tensors, already in the kernels' layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consts {
    /// int8 weights (OHWI for conv, 1HWO for depthwise, OI for fully connected).
    pub weights: Vec<i8>,
    /// int32 bias, one per output channel.
    pub bias: Vec<i32>,
    /// Per-channel Q31 requantization multipliers (conv, depthwise).
    pub multipliers: Vec<i32>,
    /// Per-channel shifts.
    pub shifts: Vec<i32>,
}

/// One operator of the model, lowered onto a kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Operator index in the model's subgraph.
    pub index: usize,
    /// TFLite operator name (`CONV_2D`).
    pub op_name: String,
    /// The kernel op with its shape and quantization.
    pub op: LayerOp,
    /// Activation tensors read (one, two for the binary ops, none for a constant load).
    pub inputs: Vec<usize>,
    /// Activation tensor written.
    pub output: usize,
    /// Constants.
    pub consts: Consts,
}

/// An imported model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// File name without the extension.
    pub name: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Every tensor of the subgraph; only activation tensors are filled in (constants
    /// live in the nodes), the others are `None`.
    pub tensors: Vec<Option<Tensor>>,
    /// Operators, in execution order.
    pub nodes: Vec<Node>,
    /// Model input tensors, in the graph's order.
    pub inputs: Vec<usize>,
    /// Model output tensors, in the graph's order.
    pub outputs: Vec<usize>,
}

impl Model {
    /// An activation tensor (every tensor a node reads or writes is one).
    pub fn tensor(&self, id: usize) -> &Tensor {
        self.tensors[id]
            .as_ref()
            .expect("nodes only refer to activation tensors")
    }

    /// The shapes of tensors `ids`, as `1x4 + 1x4`.
    pub fn shapes_text(&self, ids: &[usize]) -> String {
        let v: Vec<String> = ids.iter().map(|&t| self.tensor(t).shape_text()).collect();
        v.join(" + ")
    }

    /// Bytes of all model inputs (the size of one dataset sample, inputs back to back).
    pub fn input_bytes(&self) -> usize {
        self.inputs.iter().map(|&t| self.tensor(t).len()).sum()
    }

    /// Bytes of all model outputs.
    pub fn output_bytes(&self) -> usize {
        self.outputs.iter().map(|&t| self.tensor(t).len()).sum()
    }
}

type Fb<'a> = tflite::Model<'a>;

/// A constant int8 tensor: data, shape, scales, zero points.
pub(crate) type Weights = (Vec<i8>, Vec<usize>, Vec<f32>, Vec<i64>);

/// Everything one operator needs to see while it is lowered.
pub(crate) struct Ctx<'a> {
    model: Fb<'a>,
    graph: tflite::SubGraph<'a>,
    pub(crate) path: &'a str,
    pub(crate) index: usize,
    pub(crate) op_name: String,
}

impl<'a> Ctx<'a> {
    pub(crate) fn err(&self, what: impl Into<String>) -> ImportError {
        ImportError::Unsupported {
            path: self.path.to_string(),
            index: self.index,
            op: self.op_name.clone(),
            what: what.into(),
        }
    }

    pub(crate) fn raw(&self, id: i32) -> Result<tflite::Tensor<'a>, ImportError> {
        let tensors = self.graph.tensors().ok_or_else(|| self.err("no tensors"))?;
        usize::try_from(id)
            .ok()
            .filter(|&i| i < tensors.len())
            .map(|i| tensors.get(i))
            .ok_or_else(|| self.err(format!("tensor index {id} out of range")))
    }

    fn name(&self, t: &tflite::Tensor<'_>) -> String {
        t.name().unwrap_or("?").to_string()
    }

    fn shape(&self, t: &tflite::Tensor<'_>) -> Result<Vec<usize>, ImportError> {
        t.shape()
            .map(|s| s.iter().map(|d| usize::try_from(d).ok()).collect())
            .unwrap_or(Some(Vec::new()))
            .ok_or_else(|| self.err(format!("tensor '{}' has a dynamic shape", self.name(t))))
    }

    /// Scales and zero points of a tensor (per-tensor: one of each).
    fn quant(&self, t: &tflite::Tensor<'_>) -> Result<(Vec<f32>, Vec<i64>), ImportError> {
        let q = t.quantization();
        let scales: Vec<f32> = q
            .and_then(|q| q.scale())
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        let zps: Vec<i64> = q
            .and_then(|q| q.zero_point())
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        if scales.is_empty() {
            return Err(self.err(format!(
                "tensor '{}' is not quantized (no scale); tinybench runs int8 models only",
                self.name(t)
            )));
        }
        Ok((scales, zps))
    }

    fn type_name(t: &tflite::Tensor<'_>) -> String {
        t.type_()
            .variant_name()
            .unwrap_or("unknown type")
            .to_string()
    }

    /// An int8 activation tensor with per-tensor quantization.
    pub(crate) fn activation(&self, id: i32) -> Result<Tensor, ImportError> {
        let t = self.raw(id)?;
        if t.type_() != tflite::TensorType::INT8 {
            return Err(self.err(format!(
                "tensor '{}' is {}; tinybench runs int8 activations only",
                self.name(&t),
                Self::type_name(&t)
            )));
        }
        let (scales, zps) = self.quant(&t)?;
        if scales.len() != 1 {
            return Err(self.err(format!(
                "activation '{}' has {} scales; only per-tensor activation quantization is supported",
                self.name(&t),
                scales.len()
            )));
        }
        let zero_point = zps.first().copied().unwrap_or(0);
        if !(-128..=127).contains(&zero_point) {
            return Err(self.err(format!("zero point {zero_point} is outside int8")));
        }
        Ok(Tensor {
            name: self.name(&t),
            shape: self.shape(&t)?,
            scale: scales[0],
            zero_point: zero_point as i32,
        })
    }

    /// The raw bytes of a constant tensor.
    fn data(&self, t: &tflite::Tensor<'_>) -> Result<&'a [u8], ImportError> {
        let buffers = self.model.buffers().ok_or_else(|| self.err("no buffers"))?;
        let b = t.buffer() as usize;
        if b == 0 || b >= buffers.len() {
            return Err(self.err(format!("tensor '{}' has no constant data", self.name(t))));
        }
        buffers
            .get(b)
            .data()
            .map(|d| d.bytes())
            .ok_or_else(|| self.err(format!("tensor '{}': buffer {b} is empty", self.name(t))))
    }

    /// An int8 constant (weights) with its scales and zero points.
    pub(crate) fn weights(&self, id: i32) -> Result<Weights, ImportError> {
        let t = self.raw(id)?;
        if t.type_() != tflite::TensorType::INT8 {
            return Err(self.err(format!(
                "weights '{}' are {}; tinybench runs int8 weights only",
                self.name(&t),
                Self::type_name(&t)
            )));
        }
        let (scales, zps) = self.quant(&t)?;
        let shape = self.shape(&t)?;
        let data = self.data(&t)?;
        if data.len() != shape.iter().product::<usize>() {
            return Err(self.err(format!(
                "weights '{}' have {} bytes for shape {shape:?}",
                self.name(&t),
                data.len()
            )));
        }
        Ok((data.iter().map(|&b| b as i8).collect(), shape, scales, zps))
    }

    /// Whether tensor `id` holds constant data (a buffer with bytes).
    pub(crate) fn is_const(&self, id: i32) -> bool {
        self.raw(id)
            .is_ok_and(|t| self.data(&t).is_ok_and(|d| !d.is_empty()))
    }

    /// A constant int32 (or int64) tensor's values: axes, permutations, paddings, slice
    /// bounds.
    pub(crate) fn ints(&self, id: i32) -> Result<Vec<i64>, ImportError> {
        let t = self.raw(id)?;
        let data = self.data(&t)?;
        match t.type_() {
            tflite::TensorType::INT32 => Ok(data
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64)
                .collect()),
            tflite::TensorType::INT64 => Ok(data
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().expect("chunk of 8")))
                .collect()),
            _ => Err(self.err(format!(
                "tensor '{}' is {}; an int32 constant is expected",
                self.name(&t),
                Self::type_name(&t)
            ))),
        }
    }

    /// A constant int8 activation-like tensor (an operand of a binary op or a
    /// concatenation): its values.
    pub(crate) fn const_i8(&self, id: i32) -> Result<Vec<i8>, ImportError> {
        let t = self.raw(id)?;
        Ok(self.data(&t)?.iter().map(|&b| b as i8).collect())
    }

    /// The int32 bias, or zeros when the operator has none (input index −1).
    pub(crate) fn bias(&self, id: Option<i32>, n: usize) -> Result<Vec<i32>, ImportError> {
        let Some(id) = id.filter(|&i| i >= 0) else {
            return Ok(vec![0; n]);
        };
        let t = self.raw(id)?;
        if t.type_() != tflite::TensorType::INT32 {
            return Err(self.err(format!(
                "bias '{}' is {}; int8 models carry an int32 bias",
                self.name(&t),
                Self::type_name(&t)
            )));
        }
        let data = self.data(&t)?;
        if data.len() != 4 * n {
            return Err(self.err(format!(
                "bias '{}' has {} bytes, {n} channels need {}",
                self.name(&t),
                data.len(),
                4 * n
            )));
        }
        Ok(data
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    pub(crate) fn activation_fn(
        &self,
        f: tflite::ActivationFunctionType,
    ) -> Result<Activation, ImportError> {
        match f {
            tflite::ActivationFunctionType::NONE => Ok(Activation::None),
            tflite::ActivationFunctionType::RELU => Ok(Activation::Relu),
            tflite::ActivationFunctionType::RELU6 => Ok(Activation::Relu6),
            other => Err(self.err(format!(
                "fused activation {} is not supported (NONE, RELU, RELU6 are)",
                other.variant_name().unwrap_or("?")
            ))),
        }
    }

    fn padding(&self, p: tflite::Padding) -> Padding {
        if p == tflite::Padding::VALID {
            Padding::Valid
        } else {
            Padding::Same
        }
    }

    pub(crate) fn window(
        &self,
        input: &Tensor,
        k: (usize, usize),
        stride: (i32, i32),
        dil: (i32, i32),
        padding: tflite::Padding,
    ) -> Result<Window, ImportError> {
        let [n, h, w, _] = crate::lower::nhwc(self, input)?;
        if n != 1 {
            return Err(self.err(format!("batch {n}: only batch 1 is supported")));
        }
        let pos = |v: i32| usize::try_from(v).ok().filter(|&v| v > 0);
        let (Some(sh), Some(sw), Some(dh), Some(dw)) =
            (pos(stride.0), pos(stride.1), pos(dil.0), pos(dil.1))
        else {
            return Err(self.err("stride and dilation must be positive"));
        };
        Window::new((h, w), k, (sh, sw), (dh, dw), self.padding(padding))
            .map_err(|e| self.err(format!("window does not fit the input: {e:?}")))
    }
}

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
                tensors[t] = Some(ctx.activation(t as i32)?);
                produced[t] = true;
                nodes.push(load);
            }
            for &t in node.inputs.iter().chain([&node.output]) {
                tensors[t] = Some(ctx.activation(t as i32)?);
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
