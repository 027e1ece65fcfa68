//! A planned model as the firmware runs it: the kernels' [`Layer`] list, one blob of
//! constants (4-byte aligned sections) and the arena/scratch sizes — and running it on
//! the host with the very same [`run_layer`], which gives each layer's expected output.

use crate::ir::Model;
use crate::plan::Plan;
use tinybench_kernels::case::Variant;
use tinybench_kernels::checksum::fnv1a32;
use tinybench_kernels::graph::{run_layer, Layer, LayerOp, Span};
use tinybench_kernels::KernelError;

/// What the per-layer table shows of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Operator index in the model.
    pub index: usize,
    /// TFLite operator name.
    pub op: String,
    /// Kernel it runs (`conv2d`), or `reshape`.
    pub kernel: String,
    /// `input → output` shapes.
    pub shape: String,
    /// Multiply-accumulates (pooling: taps; softmax: exponentials; add/mul: elements).
    pub macs: u64,
    /// Arena bytes alive while the layer runs.
    pub arena_bytes: usize,
    /// Scratch bytes the layer's kernel uses.
    pub scratch_bytes: usize,
    /// Constant bytes (weights, bias, requantization) the layer reads from flash.
    pub const_bytes: usize,
}

/// A compiled model.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Model name.
    pub name: String,
    /// Kernel variant every layer runs.
    pub variant: Variant,
    /// Layers in execution order.
    pub layers: Vec<Layer>,
    /// What the report shows of each layer.
    pub info: Vec<LayerInfo>,
    /// The constant blob, as words so it is 4-byte aligned on the host too.
    pub data: Vec<u32>,
    /// Arena size in bytes.
    pub arena_bytes: usize,
    /// Scratch size in int16 elements (at least 1).
    pub scratch_elems: usize,
    /// Model inputs in the arena, in the graph's order.
    pub inputs: Vec<Span>,
    /// Model outputs in the arena, in the graph's order.
    pub outputs: Vec<Span>,
}

/// The host's run of a model on one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRun {
    /// FNV-1a of each layer's output, in order.
    pub layer_checksums: Vec<u32>,
    /// The model's output tensors, back to back in the graph's order.
    pub output: Vec<i8>,
}

fn span(offset: usize, len: usize) -> Span {
    Span {
        offset: offset as u32,
        len: len as u32,
    }
}

/// Appends constants to the blob, each section 4-byte aligned.
#[derive(Default)]
struct Blob(Vec<u8>);

impl Blob {
    fn i8s(&mut self, v: &[i8]) -> Span {
        let s = span(self.0.len(), v.len());
        self.0.extend(v.iter().map(|&b| b as u8));
        self.0.resize(self.0.len().next_multiple_of(4), 0);
        s
    }
    fn i32s(&mut self, v: &[i32]) -> Span {
        let s = span(self.0.len(), v.len());
        self.0.extend(v.iter().flat_map(|x| x.to_le_bytes()));
        s
    }
}

/// Compile an imported, planned model for `variant`.
pub fn compile(model: &Model, plan: &Plan, variant: Variant) -> Compiled {
    let mut blob = Blob::default();
    let at = |t: usize| {
        span(
            plan.offsets[t].expect("every activation tensor is planned"),
            model.tensor(t).bytes(),
        )
    };
    let mut layers = Vec::new();
    let mut info = Vec::new();
    let mut scratch_bytes_max = 0;
    for (i, node) in model.nodes.iter().enumerate() {
        let before = blob.0.len();
        let c = &node.consts;
        let weights = if c.weights.is_empty() {
            Span::NONE
        } else {
            blob.i8s(&c.weights)
        };
        let layer = Layer {
            op: node.op,
            input: node.inputs.first().map_or(Span::NONE, |&t| at(t)),
            input2: node.inputs.get(1).map_or(Span::NONE, |&t| at(t)),
            output: at(node.output),
            weights,
            bias: blob.i32s(&c.bias),
            multipliers: blob.i32s(&c.multipliers),
            shifts: blob.i32s(&c.shifts),
        };
        let (kernel, macs, scratch) = match &node.op {
            LayerOp::Kernel(op) => (op.name(), op.macs(), op.scratch_bytes(variant)),
            LayerOp::Reshape => ("reshape", 0, 0),
            LayerOp::Graph(op) => (op.name(), op.macs(), 0),
        };
        scratch_bytes_max = scratch_bytes_max.max(scratch);
        let ins: Vec<String> = node
            .inputs
            .iter()
            .map(|&t| model.tensor(t).shape_text())
            .collect();
        info.push(LayerInfo {
            index: node.index,
            op: node.op_name.clone(),
            kernel: kernel.to_string(),
            shape: format!(
                "{} → {}",
                ins.join(" + "),
                model.tensor(node.output).shape_text()
            ),
            macs,
            arena_bytes: plan.live_bytes[i],
            scratch_bytes: scratch,
            const_bytes: blob.0.len() - before,
        });
        layers.push(layer);
    }
    let data = blob
        .0
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(w)
        })
        .collect();
    Compiled {
        name: model.name.clone(),
        variant,
        layers,
        info,
        data,
        arena_bytes: plan.arena_bytes.max(4),
        scratch_elems: scratch_bytes_max.div_ceil(2).max(1),
        inputs: model.inputs.iter().map(|&t| at(t)).collect(),
        outputs: model.outputs.iter().map(|&t| at(t)).collect(),
    }
}

impl Compiled {
    /// The constant blob as bytes (little-endian, as every target is).
    pub fn data_bytes(&self) -> Vec<u8> {
        self.data.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Total multiply-accumulates of one inference.
    pub fn macs(&self) -> u64 {
        self.info.iter().map(|l| l.macs).sum()
    }

    /// Bytes of one sample: every model input, back to back.
    pub fn input_len(&self) -> usize {
        self.inputs.iter().map(|s| s.len as usize).sum()
    }

    /// Bytes of every model output, back to back.
    pub fn output_len(&self) -> usize {
        self.outputs.iter().map(|s| s.len as usize).sum()
    }

    /// Run the model on the host on `input` (the model's input tensors, back to back).
    pub fn run_host(&self, input: &[i8]) -> Result<HostRun, KernelError> {
        if input.len() != self.input_len() {
            return Err(KernelError::BufferTooSmall);
        }
        // The blob's words as bytes: on a little-endian host (every host tinybench builds
        // for) the same bytes the firmware gets from `include_bytes!`.
        let data: &[u8] = bytemuck::cast_slice(&self.data);
        let mut arena = vec![0i8; self.arena_bytes];
        let mut scratch = vec![0i16; self.scratch_elems];
        let range = |s: Span| s.offset as usize..(s.offset + s.len) as usize;
        let mut at = 0;
        for &s in &self.inputs {
            arena[range(s)].copy_from_slice(&input[at..at + s.len as usize]);
            at += s.len as usize;
        }
        let mut layer_checksums = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            run_layer(l, self.variant, data, &mut arena, &mut scratch)?;
            layer_checksums.push(fnv1a32(&arena[range(l.output)]));
        }
        Ok(HostRun {
            layer_checksums,
            output: self
                .outputs
                .iter()
                .flat_map(|&s| arena[range(s)].iter().copied())
                .collect(),
        })
    }
}
