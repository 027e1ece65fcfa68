//! The fully-connected kernels' inner product of one input row with two weight rows, and
//! their requantization with its 64-bit shift hoisted.
//!
//! On DSP cores the body is one asm loop (`fc2_groups`): per four inputs one `LDR` and
//! two `SXTAB16` (the input offset added to two inputs at once), per weight row one
//! `LDR`, two `SXTB16` and two `SMLAD`: 13 instructions for 8 MACs, two groups per loop
//! branch. In asm because LLVM, given the same loop through the `mac::dsp` wrappers,
//! kept about four more instructions a group of pointer and counter updates (the kernels
//! suite's FC rows 2.07–3.04 instructions per MAC on the emulated M4, the small heads
//! worst). On ARMv6-M
//! (Cortex-M0+; `tinybench_thumb1`) it is another asm loop (`fc2_thumb`: 9 instructions
//! an input for 2 MACs); elsewhere (M3, RISC-V, the host) [`crate::mac`]'s portable loop,
//! which LLVM compiles better where it has Thumb-2's registers and `MLA` (measured on the
//! emulated M3: FC 4.30–5.36 per MAC portable, 4.70–5.73 with `fc2_thumb`).

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
    #[cfg(tinybench_thumb1)]
    {
        let n = x.len();
        let full = n - n % 4;
        let (w0, w1) = (&w0[..n], &w1[..n]);
        let mut a = [0i32; 2];
        fc2_thumb(&x[..full], offset, &w0[..full], &w1[..full], &mut a);
        for i in full..n {
            let xv = x[i] as i32 + offset;
            a[0] = a[0].wrapping_add(xv * w0[i] as i32);
            a[1] = a[1].wrapping_add(xv * w1[i] as i32);
        }
        a
    }
    #[cfg(all(not(tinybench_thumb1), not(tinybench_dsp)))]
    {
        crate::mac::dot_i8_2rows(x, offset, w0, w1)
    }
}

/// One input against two weight rows on ARMv6-M: `r3` is a
/// negative index from the rows' ends, so one register-offset `LDRSB` per operand and one
/// `ADDS` per input step all three rows.
#[cfg(tinybench_thumb1)]
macro_rules! fc2_thumb_step {
    () => {
        concat!(
            "ldrsb r4, [r0, r3]\n",
            "add r4, r10\n",
            "ldrsb r5, [r1, r3]\n",
            "muls r5, r4, r5\n",
            "add r8, r5\n",
            "ldrsb r5, [r2, r3]\n",
            "muls r5, r4, r5\n",
            "add r11, r5\n",
            "adds r3, #1\n",
        )
    };
}

/// `a[r] += Σ (x + offset)·w_r` over `x.len()` inputs, a multiple of four, on ARMv6-M:
/// 9 instructions an input for 2 MACs, four inputs per branch.
///
/// In asm because LLVM unrolled the portable loop by eight and spilled each `x + offset`
/// and each index constant to the stack (the Cortex-M0+'s `LDRSB` has only a
/// register-offset form and the core 8 low registers; measured: FC 7.7–10.2 instructions
/// per MAC on the emulated M0+). Here the six operands of the low-register-only
/// instructions are `r0`–`r5` and the accumulators and offset live in high registers
/// (`ADD` reaches them; Thumb-1 asm may name those only as clobbers, so the offset comes
/// in `r4` and the sums go out in `r4`/`r5`), all named because the `reg` class may hand
/// out high registers.
#[cfg(tinybench_thumb1)]
#[allow(unsafe_code)]
#[inline(always)]
fn fc2_thumb(x: &[i8], offset: i32, w0: &[i8], w1: &[i8], a: &mut [i32; 2]) {
    let n = x.len();
    if n == 0 {
        return;
    }
    let (w0, w1) = (&w0[..n], &w1[..n]);
    let (a0, a1): (i32, i32);
    // SAFETY: with `r3` running from `−n` to 0, the loop reads exactly `x[..n]`,
    // `w0[..n]` and `w1[..n]` (bounds-checked above; `n` is a multiple of four, so the
    // loop ends exactly at 0) and writes only registers and flags.
    unsafe {
        core::arch::asm!(
            "mov r10, r4",
            "movs r4, #0",
            "mov r8, r4",
            "mov r11, r4",
            "2:",
            fc2_thumb_step!(),
            fc2_thumb_step!(),
            fc2_thumb_step!(),
            fc2_thumb_step!(),
            "bne 2b",
            "mov r4, r8",
            "mov r5, r11",
            inout("r0") x.as_ptr().wrapping_add(n) => _,
            inout("r1") w0.as_ptr().wrapping_add(n) => _,
            inout("r2") w1.as_ptr().wrapping_add(n) => _,
            inout("r3") n.wrapping_neg() => _,
            inout("r4") offset => a0,
            out("r5") a1,
            out("r8") _,
            out("r10") _,
            out("r11") _,
            options(nostack, readonly),
        );
    }
    a[0] = a[0].wrapping_add(a0);
    a[1] = a[1].wrapping_add(a1);
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

/// One group of [`fc_pairs`]: [`fc2_group`] with the unpacked low input pair written over
/// the loaded word (one register fewer).
#[cfg(all(tinybench_dsp, target_arch = "arm"))]
macro_rules! fc2_group_x {
    () => {
        concat!(
            "ldr {x}, [{xp}], #4\n",
            "sxtab16 {xb}, {off}, {x}, ror #8\n",
            "sxtab16 {x}, {off}, {x}\n",
            "ldr {w}, [{p0}], #4\n",
            "sxtb16 {wb}, {w}, ror #8\n",
            "sxtb16 {w}, {w}\n",
            "smlad {a0}, {x}, {w}, {a0}\n",
            "smlad {a0}, {xb}, {wb}, {a0}\n",
            "ldr {w}, [{p1}], #4\n",
            "sxtb16 {wb}, {w}, ror #8\n",
            "sxtb16 {w}, {w}\n",
            "smlad {a1}, {x}, {w}, {a1}\n",
            "smlad {a1}, {xb}, {wb}, {a1}",
        )
    };
}

/// The output side of [`fc_pairs`]: requantization (a [`FcRequant`]), output offset and
/// activation clamp.
#[cfg(tinybench_dsp)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct FcOut {
    pub(crate) q: FcRequant,
    pub(crate) offset: i32,
    pub(crate) lo: i32,
    pub(crate) hi: i32,
}

#[cfg(all(tinybench_dsp, not(target_arch = "arm")))]
impl FcOut {
    fn apply(&self, acc: i32) -> i8 {
        self.q
            .apply(acc)
            .wrapping_add(self.offset)
            .clamp(self.lo, self.hi) as i8
    }
}

/// `y[j] = out(bias[j] + Σ (x + offset)·w[j·n..][..n])` for the first `2·(y.len() / 2)`
/// rows, two at a time (`n = x.len()` a non-zero multiple of four; an odd last row is the
/// caller's).
///
/// The whole pass over the row pairs, requantization and stores included, is one asm
/// block: [`dot_2rows`] called per pair from Rust cost about 77 instructions a pair
/// around its loop (228 for 64 inputs) — the loop state and the requantization's
/// constants spilled to the stack and reloaded for every pair (resnet_fc 2.80 per MAC).
/// Here the state lives in a control block (`ctl`) the asm loads from and updates, about
/// 45 instructions a pair. Twelve registers.
#[cfg(all(tinybench_dsp, target_arch = "arm"))]
#[allow(unsafe_code)]
pub(crate) fn fc_pairs(x: &[i8], offset: i32, w: &[i8], bias: &[i32], y: &mut [i8], out: FcOut) {
    let n = x.len();
    let groups = n / 4;
    let pairs = y.len() / 2;
    assert!(groups > 0 && n.is_multiple_of(4));
    if pairs == 0 {
        return;
    }
    let (w, bias) = (&w[..2 * pairs * n], &bias[..2 * pairs]);
    let y = &mut y[..2 * pairs];
    let ctl: [u32; 12] = [
        x.as_ptr() as u32,
        groups as u32,
        pairs as u32,
        bias.as_ptr() as u32,
        y.as_mut_ptr() as u32,
        out.q.mult as u32,
        out.q.round as u32,
        (out.q.round >> 32) as u32,
        out.q.hi_shift,
        out.offset as u32,
        out.lo as u32,
        out.hi as u32,
    ];
    let mut ctl = ctl;
    // SAFETY: per pair `k < pairs` the loop reads `x[..n]`, rows `2k`, `2k + 1` of
    // `w[..2·pairs·n]` (`p0`/`p1` walk them; after a pair `p1` is the next pair's first
    // row), `bias[2k..2k + 2]` and `ctl`, and writes `y[2k..2k + 2]` and `ctl` (all
    // bounds-checked above; `bias` and `ctl` word-aligned for `LDRD`; unaligned `LDR` of
    // `x`/`w` is allowed). No stack, nothing else.
    unsafe {
        core::arch::asm!(
            "2:",
            "ldr {x}, [{ctl}, #12]",
            "ldrd {a0}, {a1}, [{x}], #8",
            "str {x}, [{ctl}, #12]",
            "ldrd {xp}, {n}, [{ctl}]",
            "tst {n}, #1",
            "beq 3f",
            fc2_group_x!(),
            "3:",
            "lsrs {n}, {n}, #1",
            "beq 4f",
            "5:",
            fc2_group_x!(),
            fc2_group_x!(),
            "subs {n}, {n}, #1",
            "bne 5b",
            "4:",
            "ldr {x}, [{ctl}, #4]",
            "mov {p0}, {p1}",
            "add {p1}, {p1}, {x}, lsl #2",
            // (round + acc·mult) >> 32 >> hi_shift, for both sums.
            "ldr {n}, [{ctl}, #20]",
            "ldrd {w}, {x}, [{ctl}, #24]",
            "smlal {w}, {x}, {a0}, {n}",
            "ldrd {w}, {wb}, [{ctl}, #24]",
            "smlal {w}, {wb}, {a1}, {n}",
            "ldrd {n}, {w}, [{ctl}, #32]",
            "asr {x}, {x}, {n}",
            "asr {wb}, {wb}, {n}",
            "add {x}, {x}, {w}",
            "add {wb}, {wb}, {w}",
            "ldrd {n}, {xp}, [{ctl}, #40]",
            "cmp {x}, {n}",
            "it lt",
            "movlt {x}, {n}",
            "cmp {x}, {xp}",
            "it gt",
            "movgt {x}, {xp}",
            "cmp {wb}, {n}",
            "it lt",
            "movlt {wb}, {n}",
            "cmp {wb}, {xp}",
            "it gt",
            "movgt {wb}, {xp}",
            "ldr {n}, [{ctl}, #16]",
            "strb {x}, [{n}], #1",
            "strb {wb}, [{n}], #1",
            "str {n}, [{ctl}, #16]",
            "ldr {x}, [{ctl}, #8]",
            "subs {x}, {x}, #1",
            "str {x}, [{ctl}, #8]",
            "bne 2b",
            ctl = in(reg) ctl.as_mut_ptr(),
            xp = out(reg) _,
            p0 = inout(reg) w.as_ptr() => _,
            p1 = inout(reg) w[n..].as_ptr() => _,
            n = out(reg) _,
            off = in(reg) crate::mac::dup16(offset),
            x = out(reg) _,
            xb = out(reg) _,
            w = out(reg) _,
            wb = out(reg) _,
            a0 = out(reg) _,
            a1 = out(reg) _,
            options(nostack),
        );
    }
}

/// [`fc_pairs`] through the host's model of the DSP instructions.
#[cfg(all(tinybench_dsp, not(target_arch = "arm")))]
pub(crate) fn fc_pairs(x: &[i8], offset: i32, w: &[i8], bias: &[i32], y: &mut [i8], out: FcOut) {
    let n = x.len();
    assert!(n > 0 && n.is_multiple_of(4));
    let off = crate::mac::dup16(offset);
    for ((rows, b), y) in w
        .chunks_exact(2 * n)
        .zip(bias.chunks_exact(2))
        .zip(y.chunks_exact_mut(2))
    {
        let mut a = [b[0], b[1]];
        fc2_groups(x, off, &rows[..n], &rows[n..], &mut a);
        y[0] = out.apply(a[0]);
        y[1] = out.apply(a[1]);
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
