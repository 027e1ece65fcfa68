//! The fully-connected kernels' inner product of one input row with two weight rows, and
//! their requantization with its 64-bit shift hoisted.
//!
//! On DSP cores the body is one asm loop (`fc2_groups`): per four inputs one `LDR` and
//! two `SXTAB16` (the input offset added to two inputs at once), per weight row one
//! `LDR`, two `SXTB16` and two `SMLAD`: 13 instructions for 8 MACs, two groups per loop
//! branch. In asm because LLVM, given the same loop through the `mac::dsp` wrappers,
//! kept about four more instructions a group of pointer and counter updates (fc_256x64
//! 2.07–3.04 instructions per MAC on the emulated M4, the small heads worst). Elsewhere
//! it is [`crate::mac`]'s portable loop.

/// `[Σ (x + offset)·w0, Σ (x + offset)·w1]` over `x.len()` inputs, wrapping (any order:
/// the sum is modulo 2^32).
#[inline(always)]
pub(crate) fn dot_2rows(x: &[i8], offset: i32, w0: &[i8], w1: &[i8]) -> [i32; 2] {
    #[cfg(tinybench_dsp)]
    {
        let n = x.len();
        let full = n - n % 4;
        let (w0, w1) = (&w0[..n], &w1[..n]);
        let mut a = [0i32; 2];
        fc2_groups(
            &x[..full],
            crate::mac::dup16(offset),
            &w0[..full],
            &w1[..full],
            &mut a,
        );
        for i in full..n {
            let xv = x[i] as i32 + offset;
            a[0] = a[0].wrapping_add(xv * w0[i] as i32);
            a[1] = a[1].wrapping_add(xv * w1[i] as i32);
        }
        a
    }
    #[cfg(not(tinybench_dsp))]
    {
        crate::mac::dot_i8_2rows(x, offset, w0, w1)
    }
}

/// One group of [`fc2_groups`]: four inputs against two weight rows.
#[cfg(all(tinybench_dsp, target_arch = "arm"))]
macro_rules! fc2_group {
    () => {
        concat!(
            "ldr {x}, [{xp}], #4\n",
            "sxtab16 {xb}, {off}, {x}, ror #8\n",
            "sxtab16 {xa}, {off}, {x}\n",
            "ldr {w}, [{p0}], #4\n",
            "sxtb16 {wb}, {w}, ror #8\n",
            "sxtb16 {w}, {w}\n",
            "smlad {a0}, {xa}, {w}, {a0}\n",
            "smlad {a0}, {xb}, {wb}, {a0}\n",
            "ldr {w}, [{p1}], #4\n",
            "sxtb16 {wb}, {w}, ror #8\n",
            "sxtb16 {w}, {w}\n",
            "smlad {a1}, {xa}, {w}, {a1}\n",
            "smlad {a1}, {xb}, {wb}, {a1}",
        )
    };
}

/// `a[r] += Σ (x + off)·w_r` over whole groups of four (`x.len()` a multiple of four,
/// `off` the offset in both halfwords). Twelve registers.
#[cfg(all(tinybench_dsp, target_arch = "arm"))]
#[allow(unsafe_code)]
#[inline(always)]
fn fc2_groups(x: &[i8], off: u32, w0: &[i8], w1: &[i8], a: &mut [i32; 2]) {
    let groups = x.len() / 4;
    if groups == 0 {
        return;
    }
    let (w0, w1) = (&w0[..4 * groups], &w1[..4 * groups]);
    // SAFETY: the loop reads exactly `x[..4·groups]`, `w0[..4·groups]` and
    // `w1[..4·groups]` (bounds-checked above; unaligned `LDR` is allowed on these cores)
    // and writes only registers and flags.
    unsafe {
        core::arch::asm!(
            "tst {n}, #1",
            "beq 3f",
            fc2_group!(),
            "3:",
            "lsrs {n}, {n}, #1",
            "beq 4f",
            "2:",
            fc2_group!(),
            fc2_group!(),
            "subs {n}, {n}, #1",
            "bne 2b",
            "4:",
            xp = inout(reg) x.as_ptr() => _,
            p0 = inout(reg) w0.as_ptr() => _,
            p1 = inout(reg) w1.as_ptr() => _,
            n = inout(reg) groups => _,
            off = in(reg) off,
            x = out(reg) _,
            xa = out(reg) _,
            xb = out(reg) _,
            w = out(reg) _,
            wb = out(reg) _,
            a0 = inout(reg) a[0],
            a1 = inout(reg) a[1],
            options(nostack, readonly),
        );
    }
}

/// The same loop in plain Rust through the host's model of the DSP instructions
/// (`--cfg tinybench_dsp` on the host checks the data layout).
#[cfg(all(tinybench_dsp, not(target_arch = "arm")))]
fn fc2_groups(x: &[i8], off: u32, w0: &[i8], w1: &[i8], a: &mut [i32; 2]) {
    use crate::mac::dsp;
    for ((g, v0), v1) in x
        .chunks_exact(4)
        .zip(w0.chunks_exact(4))
        .zip(w1.chunks_exact(4))
    {
        let xv = dsp::word8_ldr(g);
        let (xa, xb) = (dsp::sxtab16(off, xv), dsp::sxtab16_ror8(off, xv));
        for (acc, v) in a.iter_mut().zip([v0, v1]) {
            let w = dsp::word8_ldr(v);
            *acc = dsp::smlad(
                xb,
                dsp::sxtb16_ror8(w),
                dsp::smlad(xa, dsp::sxtb16(w), *acc),
            );
        }
    }
}

/// [`crate::quant::multiply_by_quantized_multiplier_single_rounding`] with its shift
/// split at 32: for a right shift (`shift ≤ −1`, a total shift of 32..=62) the rounded
/// 64-bit product's high word shifted by `total − 32` is the same floor division, and
/// needs no 64-bit variable shift (a dozen branchy instructions on 32-bit cores).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FcRequant {
    mult: i32,
    round: i64,
    hi_shift: u32,
}

impl FcRequant {
    /// The split form, if `shift` is a right shift TFLite can produce (−31..=−1).
    pub(crate) fn new(mult: i32, shift: i32) -> Option<FcRequant> {
        if !(-31..=-1).contains(&shift) {
            return None;
        }
        let total = (31 - shift) as u32;
        Some(FcRequant {
            mult,
            round: 1i64 << (total - 1),
            hi_shift: total - 32,
        })
    }

    /// The requantized accumulator (before the output offset).
    #[inline(always)]
    pub(crate) fn apply(&self, x: i32) -> i32 {
        (((x as i64 * self.mult as i64 + self.round) >> 32) as i32) >> self.hi_shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::multiply_by_quantized_multiplier_single_rounding as single;
    use crate::rng::Rng;

    #[test]
    fn split_shift_equals_the_64_bit_shift() {
        let mut rng = Rng::new(11);
        for shift in -31..=-1 {
            for _ in 0..500 {
                let m = (rng.next_u32() >> 1) as i32;
                let q = FcRequant::new(m, shift).unwrap();
                let v = rng.next_u32() as i32;
                for x in [v, v >> (rng.next_u32() % 31), 0, -1, 1, i32::MIN, i32::MAX] {
                    assert_eq!(q.apply(x), single(x, m, shift), "x {x} m {m} shift {shift}");
                }
            }
        }
        assert!(FcRequant::new(1 << 30, 0).is_none());
        assert!(FcRequant::new(1 << 30, -32).is_none());
    }
}
