//! Optimized broadcasting add, sub and mul: exactly [`crate::binary`]'s bytes.
//!
//! - **add, sub**: as [`crate::elementwise_opt::add_optimized`], each input's rescaling
//!   depends only on its int8 value, so it is tabulated once per call (the second table
//!   negated for sub: `s1 − s2 = s1 + (−s2)`, wrapping as the reference wraps); every
//!   output element is then two table loads, an add and the folded requantization,
//!   whatever its broadcast pattern (the reference: two rescalings and a two-step
//!   requantization per element, 118–214 instructions an element on the emulated M4).
//!   Calls of fewer than [`TABLE_MIN`] elements run the reference.
//! - **mul**: rows contiguous in both inputs go to [`mul_optimized`]; a broadcast along
//!   the innermost dimension runs the reference element formula.
//! - maximum, minimum: the reference (one compare an element already).

use crate::binary::{binary, checked, for_each_row, one, BinaryKind, BroadcastShape, MAX_DIMS};
use crate::elementwise::AddParams;
use crate::elementwise_opt::{mul_optimized, rescale_table, TABLE_MIN};
use crate::quant::multiply_by_quantized_multiplier;
use crate::requant::Requant;
use crate::KernelError;

/// `output = a ∘ b` over the broadcast shape, the same bytes as [`binary`].
#[inline(never)]
pub fn binary_optimized(
    kind: &BinaryKind,
    shape: &BroadcastShape,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let n = checked(kind, shape, a, b, output)?;
    let (ia, ib) = (
        shape.a_strides[MAX_DIMS - 1] as usize,
        shape.b_strides[MAX_DIMS - 1] as usize,
    );
    match kind {
        BinaryKind::AddOp(p) | BinaryKind::SubOp(p) if n >= TABLE_MIN => {
            let sub = matches!(kind, BinaryKind::SubOp(_));
            if Requant::fits(p.output_multiplier, p.output_shift) {
                add_by_tables::<false>(p, sub, shape, (a, ia), (b, ib), output)
            } else {
                // A multiplier of exactly 2^30 (an output scale equal to the larger
                // input's, common in residual adds) has no folded form: the reference
                // requantization, still without the two per-element rescalings.
                add_by_tables::<true>(p, sub, shape, (a, ia), (b, ib), output)
            }
        }
        BinaryKind::MulOp(p) => for_each_row(shape, output, |row, ao, bo| {
            let inner = row.len();
            if ia == 1 && ib == 1 {
                mul_optimized(p, inner, &a[ao..ao + inner], &b[bo..bo + inner], row)
            } else {
                for (k, y) in row.iter_mut().enumerate() {
                    *y = one(kind, a[ao + k * ia], b[bo + k * ib]);
                }
                Ok(())
            }
        }),
        _ => binary(kind, shape, a, b, output),
    }
}

/// Same-shape add of `n` elements through the tables with the reference output
/// requantization: [`crate::elementwise_opt::add_optimized`]'s path for an output
/// multiplier without a folded form.
pub(crate) fn add_tables_exact(
    p: &AddParams,
    n: usize,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let len = u32::try_from(n).map_err(|_| KernelError::BadShape)?;
    let shape = BroadcastShape {
        dims: [1, 1, 1, 1, 1, len],
        a_strides: [0, 0, 0, 0, 0, 1],
        b_strides: [0, 0, 0, 0, 0, 1],
    };
    binary_optimized(&BinaryKind::AddOp(*p), &shape, a, b, output)
}

/// The table loop; `EXACT`: the reference output requantization instead of the folded
/// one. Out of line so its 2 KiB of tables are on the stack only while it runs.
#[inline(never)]
fn add_by_tables<const EXACT: bool>(
    p: &AddParams,
    sub: bool,
    shape: &BroadcastShape,
    (a, ia): (&[i8], usize),
    (b, ib): (&[i8], usize),
    output: &mut [i8],
) -> Result<(), KernelError> {
    let (o1, o2, ls) = (p.input1_offset, p.input2_offset, p.left_shift);
    let t1 = rescale_table(o1, ls, p.input1_multiplier, p.input1_shift);
    let mut t2 = rescale_table(o2, ls, p.input2_multiplier, p.input2_shift);
    if sub {
        // The subtrahend's table negated: `s1 − s2 = s1 + (−s2)`, wrapping as the
        // reference wraps.
        // In place: `map` would put a third 1 KiB table on the stack.
        t2.iter_mut().for_each(|v| *v = v.wrapping_neg());
    }
    let (m, sh) = (p.output_multiplier, p.output_shift);
    let q = if EXACT {
        Requant::default()
    } else {
        Requant::new(m, sh)
    };
    let (lo, hi, off) = (p.act_min as i32, p.act_max as i32, p.output_offset);
    for_each_row(shape, output, |row, ao, bo| {
        for (k, y) in row.iter_mut().enumerate() {
            let x1 = a[ao + k * ia] as u8 as usize;
            let s = t1[x1].wrapping_add(t2[b[bo + k * ib] as u8 as usize]);
            *y = if EXACT {
                multiply_by_quantized_multiplier(s, m, sh)
                    .wrapping_add(off)
                    .clamp(lo, hi) as i8
            } else {
                q.requantize(s, off, lo, hi)
            };
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elementwise::MulParams;
    use crate::rng::Rng;

    /// Random broadcast shapes (each input broadcast along random dimensions) and random
    /// quantizations: the optimized op gives the reference's bytes.
    #[test]
    fn optimized_broadcasting_equals_the_reference() {
        let mut rng = Rng::new(23);
        let mut checked_tables = 0;
        for case in 0..300 {
            let mut dims = [1u32; MAX_DIMS];
            for d in dims.iter_mut().skip(3) {
                *d = 1 + rng.next_u32() % 9;
            }
            let (mut a_strides, mut b_strides) = ([0u32; MAX_DIMS], [0u32; MAX_DIMS]);
            let (mut sa, mut sb) = (1u32, 1u32);
            for k in (0..MAX_DIMS).rev() {
                // Each input keeps or broadcasts each dimension.
                if dims[k] > 1 && !rng.next_u32().is_multiple_of(3) {
                    a_strides[k] = sa;
                    sa *= dims[k];
                }
                if dims[k] > 1 && !rng.next_u32().is_multiple_of(3) {
                    b_strides[k] = sb;
                    sb *= dims[k];
                }
            }
            let shape = BroadcastShape {
                dims,
                a_strides,
                b_strides,
            };
            let a: std::vec::Vec<i8> = (0..sa).map(|_| rng.next_u32() as i8).collect();
            let b: std::vec::Vec<i8> = (0..sb).map(|_| rng.next_u32() as i8).collect();
            let scale = |r: &mut Rng| 0.002 + (r.next_u32() % 1000) as f64 * 0.0003;
            let zp = |r: &mut Rng| (r.next_u32() % 256) as i32 - 128;
            let clamp = if case % 4 == 0 {
                (-20, 90)
            } else {
                (-128, 127)
            };
            let (s1, s2) = (scale(&mut rng), scale(&mut rng));
            // Every third case: the output scale equals the larger input's (an output
            // multiplier of exactly 2^30, which has no folded form).
            let sy = if case % 3 == 0 {
                s1.max(s2)
            } else {
                scale(&mut rng)
            };
            let add = AddParams::new(
                (s1, zp(&mut rng)),
                (s2, zp(&mut rng)),
                (sy, zp(&mut rng)),
                clamp,
            );
            let (m, s) = crate::quant::quantize_multiplier(scale(&mut rng) * 0.01);
            let mul = MulParams {
                input1_offset: -zp(&mut rng).clamp(-127, 127),
                input2_offset: -zp(&mut rng).clamp(-127, 127),
                output_multiplier: m,
                output_shift: s,
                output_offset: zp(&mut rng),
                act_min: clamp.0,
                act_max: clamp.1,
            };
            for kind in [
                BinaryKind::AddOp(add),
                BinaryKind::SubOp(add),
                BinaryKind::MulOp(mul),
            ] {
                let n = shape.len();
                let (mut want, mut got) = (vec![0i8; n], vec![0i8; n]);
                binary(&kind, &shape, &a, &b, &mut want).unwrap();
                binary_optimized(&kind, &shape, &a, &b, &mut got).unwrap();
                assert_eq!(got, want, "{kind:?} {shape:?}");
                if n >= TABLE_MIN && !matches!(kind, BinaryKind::MulOp(_)) {
                    checked_tables += 1;
                }
            }
        }
        assert!(
            checked_tables > 50,
            "only {checked_tables} cases took the tables"
        );
    }
}
