//! The context one operator is imported in: the flatbuffer's tensors and buffers, the
//! operator's name and index for errors, and readers of its constants. Shared by the
//! importer and the lowering (so neither imports the other's internals).

use crate::ir::{ElemType, Tensor};
use crate::ImportError;
use tinybench_kernels::activation::Activation;
use tinybench_kernels::window::{Padding, Window};
use tract_tflite::tflite;

pub(crate) type Fb<'a> = tflite::Model<'a>;

/// A constant int8 tensor: data, shape, scales, zero points.
pub(crate) type Weights = (Vec<i8>, Vec<usize>, Vec<f32>, Vec<i64>);

/// Everything one operator needs to see while it is lowered.
pub(crate) struct Ctx<'a> {
    pub(crate) model: Fb<'a>,
    pub(crate) graph: tflite::SubGraph<'a>,
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
        let t = self.activation_any(id)?;
        if t.elem != ElemType::Int8 {
            return Err(self.err(format!(
                "tensor '{}' is INT16; int16 activations (16x8 quantization) run on {} only",
                t.name,
                crate::lower_16x8::OPS_16X8.join(", ")
            )));
        }
        Ok(t)
    }

    /// An int8 activation tensor, or an int16 one (16x8 models: zero point 0, as LiteRT
    /// requires), with per-tensor quantization.
    pub(crate) fn activation_any(&self, id: i32) -> Result<Tensor, ImportError> {
        let t = self.raw(id)?;
        let elem = match t.type_() {
            tflite::TensorType::INT8 => ElemType::Int8,
            tflite::TensorType::INT16 => ElemType::Int16,
            _ => {
                return Err(self.err(format!(
                    "tensor '{}' is {}; tinybench runs int8 activations (and int16 ones of 16x8 models) only",
                    self.name(&t),
                    Self::type_name(&t)
                )))
            }
        };
        let (scales, zps) = self.quant(&t)?;
        if scales.len() != 1 {
            return Err(self.err(format!(
                "activation '{}' has {} scales; only per-tensor activation quantization is supported",
                self.name(&t),
                scales.len()
            )));
        }
        let zero_point = zps.first().copied().unwrap_or(0);
        if elem == ElemType::Int16 && zero_point != 0 {
            return Err(self.err(format!(
                "int16 activation '{}' has zero point {zero_point}; 16x8 models have zero point 0 (LiteRT's kernels require it)",
                self.name(&t)
            )));
        }
        if !(-128..=127).contains(&zero_point) {
            return Err(self.err(format!("zero point {zero_point} is outside int8")));
        }
        Ok(Tensor {
            name: self.name(&t),
            shape: self.shape(&t)?,
            scale: scales[0],
            zero_point: zero_point as i32,
            elem,
        })
    }

    /// Whether tensor `id` is an int16 tensor (an activation of a 16x8 model).
    pub(crate) fn is_int16(&self, id: i32) -> bool {
        self.raw(id)
            .is_ok_and(|t| t.type_() == tflite::TensorType::INT16)
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

    /// The int64 bias of a 16x8 layer as two int32 words per channel (low word first:
    /// the blob's layout), or zeros when the operator has none (input index −1).
    pub(crate) fn bias64(&self, id: Option<i32>, n: usize) -> Result<Vec<i32>, ImportError> {
        let Some(id) = id.filter(|&i| i >= 0) else {
            return Ok(vec![0; 2 * n]);
        };
        let t = self.raw(id)?;
        if t.type_() != tflite::TensorType::INT64 {
            return Err(self.err(format!(
                "bias '{}' is {}; tinybench runs 16x8 layers with the int64 bias TensorFlow's converter gives them",
                self.name(&t),
                Self::type_name(&t)
            )));
        }
        let data = self.data(&t)?;
        if data.len() != 8 * n {
            return Err(self.err(format!(
                "bias '{}' has {} bytes, {n} channels need {}",
                self.name(&t),
                data.len(),
                8 * n
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
        let [n, h, w, _] = nhwc(self, input)?;
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

/// The `[n, h, w, c]` of an NHWC activation, or an error naming the tensor.
pub(crate) fn nhwc(ctx: &Ctx<'_>, t: &Tensor) -> Result<[usize; 4], ImportError> {
    match t.shape[..] {
        [n, h, w, c] => Ok([n, h, w, c]),
        _ => Err(ctx.err(format!(
            "tensor '{}' has shape {:?}, expected NHWC",
            t.name, t.shape
        ))),
    }
}
