//! Optimized elementwise add and mul of two same-shape int8 tensors: exactly the bytes of
//! [`crate::elementwise`]'s reference loops, with the per-element work cut down.
//!
//! - **add**: each input's rescaling, `MultiplyByQuantizedMultiplier((x + offset) ·
//!   2^left_shift, m, s)`, depends only on the int8 value `x`, so it is computed once per
//!   call for all 256 values (with the reference function itself: bit-exact by
//!   construction) into two tables on the stack; per element two table loads, one add and
//!   the output requantization in its folded one-multiply form ([`crate::requant`]). The
//!   reference spends three two-step requantizations per element (122 instructions an
//!   element on the emulated M4). The tables cost 512 requantizations per call, so calls
//!   of fewer than [`TABLE_MIN`] elements run the reference.
//! - **mul**: the product of the offset inputs and the folded requantization, with the
//!   clamp a constant `−128..=127` (LLVM's `SSAT`) when the layer has no activation clamp.
//!
//! Both fall back to the reference when the output multiplier has no folded form
//! (`Requant::fits`: a multiplier ≤ 2^30 or a shift ≥ 0). Broadcasting stays on
//! [`crate::binary`]'s reference path.

use crate::elementwise::{add, check_add, check_mul, mul, AddParams, MulParams};
use crate::quant::multiply_by_quantized_multiplier;
use crate::requant::Requant;
use crate::KernelError;

/// Fewest elements for which [`add_optimized`] builds its tables (below, the 512 table
/// entries would cost more than they save).
pub const TABLE_MIN: usize = 256;

/// Elementwise int8 add of `n` elements, exactly [`add`]'s bytes.
#[inline(never)]
pub fn add_optimized(
    p: &AddParams,
    n: usize,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    check_add(p, n, a, b, output)?;
    if n < TABLE_MIN {
        return add(p, n, a, b, output);
    }
    if !Requant::fits(p.output_multiplier, p.output_shift) {
        // An output multiplier of exactly 2^30 (output scale = the larger input's, as
        // in residual adds): the tables with the reference output requantization.
        return crate::binary_opt::add_tables_exact(p, n, a, b, output);
    }
    let q = Requant::new(p.output_multiplier, p.output_shift);
    if (p.act_min, p.act_max) == (i8::MIN, i8::MAX) {
        add_by_tables::<true>(p, q, &a[..n], &b[..n], &mut output[..n]);
    } else {
        add_by_tables::<false>(p, q, &a[..n], &b[..n], &mut output[..n]);
    }
    Ok(())
}

/// One input's rescaled value for every int8 `x`, indexed by `x as u8` (also the
/// broadcasting add's, `binary_opt`).
pub(crate) fn rescale_table(
    offset: i32,
    left_shift: i32,
    multiplier: i32,
    shift: i32,
) -> [i32; 256] {
    core::array::from_fn(|i| {
        let v = (i as u8 as i8 as i32 + offset) << left_shift;
        multiply_by_quantized_multiplier(v, multiplier, shift)
    })
}

/// The table loop; out of line so its 2 KiB of tables are on the stack only while it
/// runs. `FULL_RANGE`: no activation clamp.
#[inline(never)]
fn add_by_tables<const FULL_RANGE: bool>(
    p: &AddParams,
    q: Requant,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) {
    let t1 = rescale_table(
        p.input1_offset,
        p.left_shift,
        p.input1_multiplier,
        p.input1_shift,
    );
    let t2 = rescale_table(
        p.input2_offset,
        p.left_shift,
        p.input2_multiplier,
        p.input2_shift,
    );
    let (lo, hi) = if FULL_RANGE {
        (-128, 127)
    } else {
        (p.act_min as i32, p.act_max as i32)
    };
    let off = p.output_offset;
    for ((&x1, &x2), y) in a.iter().zip(b).zip(output.iter_mut()) {
        let s = t1[x1 as u8 as usize].wrapping_add(t2[x2 as u8 as usize]);
        *y = q.requantize(s, off, lo, hi);
    }
}

/// Elementwise int8 mul of `n` elements, exactly [`mul`]'s bytes.
#[inline(never)]
pub fn mul_optimized(
    p: &MulParams,
    n: usize,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    check_mul(p, n, a, b, output)?;
    if !Requant::fits(p.output_multiplier, p.output_shift) {
        return mul(p, n, a, b, output);
    }
    let q = Requant::new(p.output_multiplier, p.output_shift);
    if (p.act_min, p.act_max) == (i8::MIN, i8::MAX) {
        mul_folded::<true>(p, q, &a[..n], &b[..n], &mut output[..n]);
    } else {
        mul_folded::<false>(p, q, &a[..n], &b[..n], &mut output[..n]);
    }
    Ok(())
}

#[inline(always)]
fn mul_folded<const FULL_RANGE: bool>(
    p: &MulParams,
    q: Requant,
    a: &[i8],
    b: &[i8],
    output: &mut [i8],
) {
    let (lo, hi) = if FULL_RANGE {
        (-128, 127)
    } else {
        (p.act_min as i32, p.act_max as i32)
    };
    let (o1, o2, off) = (p.input1_offset, p.input2_offset, p.output_offset);
    for ((&x1, &x2), y) in a.iter().zip(b).zip(output.iter_mut()) {
        let prod = (x1 as i32 + o1) * (x2 as i32 + o2);
        *y = q.requantize(prod, off, lo, hi);
    }
}
