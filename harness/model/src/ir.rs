//! The imported model's own types: activation tensors, the constants of a layer, the
//! lowered nodes and the model. A leaf module: the importer, the lowering, the validation
//! and the planner all read these, and it reads none of them.

use tinybench_kernels::graph::LayerOp;

/// The element type of an activation tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemType {
    /// int8 (the int8 models).
    Int8,
    /// int16, little-endian in the arena (the activations of 16x8 models).
    Int16,
}

impl ElemType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            ElemType::Int8 => 1,
            ElemType::Int16 => 2,
        }
    }
}

/// An activation tensor (int8, or int16 in a 16x8 model): name, shape, element type and
/// quantization.
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
    /// Element type.
    pub elem: ElemType,
}

impl Tensor {
    /// Elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// Bytes in the arena (`len() · elem.size()`).
    pub fn bytes(&self) -> usize {
        self.len() * self.elem.size()
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
    /// int32 bias, one per output channel (int64 as two words, low first, for the 16x8
    /// layers).
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
        self.inputs.iter().map(|&t| self.tensor(t).bytes()).sum()
    }

    /// Bytes of all model outputs.
    pub fn output_bytes(&self) -> usize {
        self.outputs.iter().map(|&t| self.tensor(t).bytes()).sum()
    }
}
