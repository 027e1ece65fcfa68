//! Binary elementwise ops with numpy-style broadcasting: add, sub, mul, maximum, minimum
//! of two int8 tensors, TFLite semantics (`BroadcastAdd6DSlow` and friends: every output
//! element is the op of the input elements its index maps to).
//!
//! The importer gives the shapes already broadcast to six dimensions, with a stride of 0
//! along every dimension an input is broadcast over (and merges neighbouring dimensions
//! where it can). A run along the innermost dimension where both inputs are contiguous
//! goes to [`crate::elementwise`]'s add and mul kernels; the rest is one element at a time.

use crate::elementwise::{add, mul, AddParams, MulParams};
use crate::quant::multiply_by_quantized_multiplier;
use crate::KernelError;

/// Dimensions of the broadcast shapes.
pub const MAX_DIMS: usize = 6;

/// The output's dimensions and each input's element strides along them (0: broadcast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BroadcastShape {
    /// Output dimensions, outermost first.
    pub dims: [u32; MAX_DIMS],
    /// Strides of the first input.
    pub a_strides: [u32; MAX_DIMS],
    /// Strides of the second input.
    pub b_strides: [u32; MAX_DIMS],
}

impl BroadcastShape {
    /// Output elements.
    pub fn len(&self) -> usize {
        self.dims.iter().map(|&d| d as usize).product()
    }
    /// True for an empty output.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Elements an input with `strides` must at least have.
    fn need(&self, strides: &[u32; MAX_DIMS]) -> Option<usize> {
        self.dims
            .iter()
            .zip(strides)
            .try_fold(1usize, |acc, (&d, &s)| {
                let d = (d as usize).checked_sub(1)?;
                acc.checked_add(d.checked_mul(s as usize)?)
            })
    }
}

/// Which op, with its quantization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum BinaryKind {
    /// `ADD`.
    AddOp(AddParams),
    /// `SUB`: the same preparation as add, the scaled inputs subtracted.
    SubOp(AddParams),
    /// `MUL`.
    MulOp(MulParams),
    /// `MAXIMUM`: of the raw int8 values (TFLite requires one quantization for all three).
    MaximumOp,
    /// `MINIMUM`.
    MinimumOp,
}

fn scaled(p: &AddParams, x1: i8, x2: i8) -> (i32, i32) {
    let v1 = (x1 as i32 + p.input1_offset) << p.left_shift;
    let v2 = (x2 as i32 + p.input2_offset) << p.left_shift;
    (
        multiply_by_quantized_multiplier(v1, p.input1_multiplier, p.input1_shift),
        multiply_by_quantized_multiplier(v2, p.input2_multiplier, p.input2_shift),
    )
}

fn finish_add(p: &AddParams, raw: i32) -> i8 {
    multiply_by_quantized_multiplier(raw, p.output_multiplier, p.output_shift)
        .wrapping_add(p.output_offset)
        .clamp(p.act_min as i32, p.act_max as i32) as i8
}

#[inline(always)]
pub(crate) fn one(kind: &BinaryKind, x1: i8, x2: i8) -> i8 {
    match kind {
        BinaryKind::AddOp(p) => {
            let (s1, s2) = scaled(p, x1, x2);
            finish_add(p, s1.wrapping_add(s2))
        }
        BinaryKind::SubOp(p) => {
            let (s1, s2) = scaled(p, x1, x2);
            finish_add(p, s1.wrapping_sub(s2))
        }
        BinaryKind::MulOp(p) => {
            let prod = (x1 as i32 + p.input1_offset) * (x2 as i32 + p.input2_offset);
            multiply_by_quantized_multiplier(prod, p.output_multiplier, p.output_shift)
                .wrapping_add(p.output_offset)
                .clamp(p.act_min as i32, p.act_max as i32) as i8
        }
        BinaryKind::MaximumOp => x1.max(x2),
        BinaryKind::MinimumOp => x1.min(x2),
    }
}

fn check_params(kind: &BinaryKind) -> Result<(), KernelError> {
    let (o1, o2) = match kind {
        BinaryKind::AddOp(p) | BinaryKind::SubOp(p) => {
            if !(0..=22).contains(&p.left_shift) || p.input1_shift > 0 || p.input2_shift > 0 {
                return Err(KernelError::BadParams);
            }
            (p.input1_offset, p.input2_offset)
        }
        BinaryKind::MulOp(p) => (p.input1_offset, p.input2_offset),
        _ => (0, 0),
    };
    crate::check_input_offset(o1)?;
    crate::check_input_offset(o2)
}

/// One contiguous inner run of `n` elements.
fn run(kind: &BinaryKind, a: &[i8], b: &[i8], out: &mut [i8]) -> Result<(), KernelError> {
    match kind {
        BinaryKind::AddOp(p) => add(p, out.len(), a, b, out),
        BinaryKind::MulOp(p) => mul(p, out.len(), a, b, out),
        _ => {
            for ((&x1, &x2), y) in a.iter().zip(b).zip(out.iter_mut()) {
                *y = one(kind, x1, x2);
            }
            Ok(())
        }
    }
}

/// Check the operands of a broadcast op; the output's element count.
pub(crate) fn checked(
    kind: &BinaryKind,
    shape: &BroadcastShape,
    a: &[i8],
    b: &[i8],
    output: &[i8],
) -> Result<usize, KernelError> {
    let n = shape.len();
    let (Some(na), Some(nb)) = (shape.need(&shape.a_strides), shape.need(&shape.b_strides)) else {
        return Err(KernelError::BadShape);
    };
    if n == 0 {
        return Err(KernelError::BadShape);
    }
    if a.len() < na || b.len() < nb || output.len() < n {
        return Err(KernelError::BufferTooSmall);
    }
    check_params(kind)?;
    Ok(n)
}

/// Call `f(row, a_offset, b_offset)` for every innermost row of the output, in order.
/// Along a row the inputs advance by their innermost strides.
pub(crate) fn for_each_row(
    shape: &BroadcastShape,
    output: &mut [i8],
    mut f: impl FnMut(&mut [i8], usize, usize) -> Result<(), KernelError>,
) -> Result<(), KernelError> {
    let d = shape.dims.map(|v| v as usize);
    let (sa, sb) = (
        shape.a_strides.map(|v| v as usize),
        shape.b_strides.map(|v| v as usize),
    );
    let mut idx = [0usize; MAX_DIMS - 1];
    // Row offsets are stepped, not recomputed: one add per row, a subtract per wrap.
    let (mut ao, mut bo) = (0usize, 0usize);
    for row in output[..shape.len()].chunks_exact_mut(d[MAX_DIMS - 1]) {
        f(row, ao, bo)?;
        // Next outer index, odometer style.
        for k in (0..MAX_DIMS - 1).rev() {
            idx[k] += 1;
            ao += sa[k];
            bo += sb[k];
            if idx[k] < d[k] {
                break;
            }
            ao -= d[k] * sa[k];
            bo -= d[k] * sb[k];
            idx[k] = 0;
        }
    }
    Ok(())
}

/// `output = a ∘ b` over the broadcast shape.
#[inline(never)]
pub fn binary(
    kind: &BinaryKind,
    shape: &BroadcastShape,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    checked(kind, shape, a, b, output)?;
    let (ia, ib) = (
        shape.a_strides[MAX_DIMS - 1] as usize,
        shape.b_strides[MAX_DIMS - 1] as usize,
    );
    for_each_row(shape, output, |row, ao, bo| {
        let inner = row.len();
        if ia == 1 && ib == 1 {
            run(kind, &a[ao..ao + inner], &b[bo..bo + inner], row)
        } else {
            for (k, y) in row.iter_mut().enumerate() {
                *y = one(kind, a[ao + k * ia], b[bo + k * ib]);
            }
            Ok(())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dims: [u32; 6], a: [u32; 6], b: [u32; 6]) -> BroadcastShape {
        BroadcastShape {
            dims,
            a_strides: a,
            b_strides: b,
        }
    }

    #[test]
    fn broadcasting_maps_each_output_to_its_inputs() {
        // a: 2x3, b: 3 (a row vector), out 2x3.
        let s = shape([1, 1, 1, 1, 2, 3], [0, 0, 0, 0, 3, 1], [0, 0, 0, 0, 0, 1]);
        let a = [1i8, 2, 3, 4, 5, 6];
        let b = [10i8, 20, 30];
        let mut out = [0i8; 6];
        binary(&BinaryKind::MaximumOp, &s, &a, &b, &mut out).unwrap();
        assert_eq!(out, [10, 20, 30, 10, 20, 30]);
        // b: 2x1 (a column), broadcast along the inner dimension.
        let s = shape([1, 1, 1, 1, 2, 3], [0, 0, 0, 0, 3, 1], [0, 0, 0, 0, 1, 0]);
        binary(&BinaryKind::MinimumOp, &s, &a, &[2, 5], &mut out).unwrap();
        assert_eq!(out, [1, 2, 2, 4, 5, 5]);
    }

    #[test]
    fn add_and_sub_agree_with_their_element_formula() {
        let p = AddParams::new((0.5, 0), (0.5, 0), (1.0, 0), (-128, 127));
        let s = shape([1, 1, 1, 1, 2, 2], [0, 0, 0, 0, 2, 1], [0, 0, 0, 0, 0, 0]);
        let mut out = [0i8; 4];
        binary(&BinaryKind::AddOp(p), &s, &[1, 2, 3, 4], &[10], &mut out).unwrap();
        // (x + 10) / 2, rounded half away from zero.
        assert_eq!(out, [6, 6, 7, 7]);
        binary(&BinaryKind::SubOp(p), &s, &[1, 2, 3, 4], &[10], &mut out).unwrap();
        // (x − 10) / 2: −4.5 → −5 (half away from zero), −4, −3.5 → −4, −3.
        assert_eq!(out, [-5, -4, -4, -3]);
        assert_eq!(
            binary(&BinaryKind::AddOp(p), &s, &[1, 2, 3], &[10], &mut out),
            Err(KernelError::BufferTooSmall)
        );
    }
}
