//! The 256-entry tables of the pointwise int8 ops: each entry is TFLite's arithmetic for
//! that one input value, so the firmware's lookup ([`tinybench_kernels::copy::lookup`])
//! gives TFLite's bytes on every input.

use crate::ir::Tensor;
use tinybench_kernels::quant::{multiply_by_quantized_multiplier, quantize_multiplier};

/// The table of `f` over every int8 input, clamped to int8.
fn table(f: impl Fn(i32) -> i32) -> [i8; 256] {
    core::array::from_fn(|i| f(i as i32 - 128).clamp(-128, 127) as i8)
}

/// RELU, RELU6, RELU_N1_TO_1 as ops: requantize by `input_scale / output_scale` (the
/// division in float, as TFLite's `ReluPrepare`), then clamp to `lo..=hi`.
pub(crate) fn relu(x: &Tensor, y: &Tensor, (lo, hi): (i8, i8)) -> [i8; 256] {
    let (m, s) = quantize_multiplier((x.scale / y.scale) as f64);
    table(|v| {
        (y.zero_point + multiply_by_quantized_multiplier(v - x.zero_point, m, s))
            .clamp(lo as i32, hi as i32)
    })
}

/// QUANTIZE from int8 to int8: TFLite's `Requantize`.
pub(crate) fn requantize(x: &Tensor, y: &Tensor) -> [i8; 256] {
    let (m, s) = quantize_multiplier(x.scale as f64 / y.scale as f64);
    table(|v| multiply_by_quantized_multiplier(v - x.zero_point, m, s) + y.zero_point)
}

/// LEAKY_RELU: the identity and the `alpha` branch each requantized with its own
/// multiplier (both products in float, as TFLite's `LeakyReluPrepare`).
pub(crate) fn leaky_relu(x: &Tensor, y: &Tensor, alpha: f32) -> [i8; 256] {
    let (ma, sa) = quantize_multiplier((x.scale * alpha / y.scale) as f64);
    let (mi, si) = quantize_multiplier((x.scale / y.scale) as f64);
    table(|v| {
        let d = v - x.zero_point;
        let (m, s) = if d >= 0 { (mi, si) } else { (ma, sa) };
        y.zero_point + multiply_by_quantized_multiplier(d, m, s)
    })
}

/// A float function tabulated as TFLite's `PopulateLookupTable` does it, in single
/// precision: dequantize, apply, divide by the output scale (multiply by its inverse),
/// round half away from zero, add the zero point.
pub(crate) fn float_table(x: &Tensor, y: &Tensor, f: impl Fn(f32) -> f32) -> [i8; 256] {
    let inverse = 1.0f32 / y.scale;
    table(|v| {
        let real = x.scale * (v - x.zero_point) as f32;
        (f(real) * inverse).round() as i32 + y.zero_point
    })
}

/// LOGISTIC.
pub(crate) fn logistic(x: &Tensor, y: &Tensor) -> [i8; 256] {
    float_table(x, y, |r| 1.0 / (1.0 + (-r).exp()))
}

/// TANH.
pub(crate) fn tanh(x: &Tensor, y: &Tensor) -> [i8; 256] {
    float_table(x, y, f32::tanh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(scale: f32, zero_point: i32) -> Tensor {
        Tensor {
            elem: crate::ir::ElemType::Int8,
            name: "t".into(),
            shape: vec![1],
            scale,
            zero_point,
        }
    }

    #[test]
    fn tables_follow_the_formulas() {
        let (x, y) = (t(0.1, 0), t(0.1, 0));
        let r = relu(&x, &y, (0, 127));
        assert_eq!((r[128 - 5], r[128], r[128 + 7]), (0, 0, 7));
        let l = leaky_relu(&x, &y, 0.5);
        assert_eq!((l[128 - 6], l[128 + 6]), (-3, 6));
        let q = requantize(&x, &t(0.2, 3));
        assert_eq!((q[128 + 10], q[128 - 10]), (8, -2));
        // sigmoid(0) = 0.5 = 128/256 → −128 + 128 = 0.
        let s = logistic(&x, &t(1.0 / 256.0, -128));
        assert_eq!(s[128], 0);
    }
}
