//! The inner products of the optimized kernels, one implementation per core class,
//! chosen at compile time:
//!
//! - `tinybench_dsp` (set by `build.rs` for ARMv7E-M: Cortex-M4/M7, and for ARMv8-M
//!   Mainline built with `+dsp`: Cortex-M33): `SXTB16`/`SXTAB16` unpack four int8 into two
//!   pairs of int16 and `SMLAD` does two 16-bit MACs per instruction, through
//!   `core::arch::asm!` because Rust has no stable intrinsics for them. (`cfg(target_feature
//!   = "dsp")` cannot be used: ARM target features are unstable and stable rustc does not
//!   expose them to `cfg`.)
//! - everything else (Cortex-M0+, RV32IMC, the host): portable Rust unrolled by four,
//!   which LLVM turns into straight-line multiply-adds on small cores and vectorizes on
//!   x86_64.
//!
//! All arithmetic wraps modulo 2^32 exactly like the reference kernels' accumulation, and
//! integer addition is associative and commutative modulo 2^32, so any summation order
//! gives the reference's bits.
//!
//! The conv2d block engine ([`crate::gemm`]) uses the DSP wrappers directly.

#[cfg(tinybench_dsp)]
#[allow(unsafe_code)]
pub(crate) mod dsp {
    //! The DSP instructions. Each is a pure register operation (no memory, no stack, no
    //! flags that Rust observes), so `pure, nomem, nostack` hold.
    use core::arch::asm;

    /// Four int8 as one little-endian word, with one `LDR` (ARMv7E-M/ARMv8-M Mainline
    /// allow unaligned word loads; LLVM does not merge the byte loads of
    /// `u32::from_le_bytes` into one on these targets).
    #[inline(always)]
    pub fn word8_ldr(s: &[i8]) -> u32 {
        let s: &[i8; 4] = s[..4].try_into().expect("four bytes");
        // SAFETY: `s` is four readable bytes; `read_unaligned` has no alignment needs.
        unsafe { core::ptr::read_unaligned(s.as_ptr() as *const u32) }
    }

    /// `acc + a.lo·b.lo + a.hi·b.hi` (signed 16-bit halves), wrapping.
    #[inline(always)]
    pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
        let r: i32;
        // SAFETY: register-only instruction available on every core that sets
        // `tinybench_dsp`; it sets the Q flag, which no Rust code reads.
        unsafe {
            asm!("smlad {r}, {a}, {b}, {acc}", r = lateout(reg) r, a = in(reg) a,
                 b = in(reg) b, acc = in(reg) acc, options(pure, nomem, nostack));
        }
        r
    }

    /// Bytes 0 and 2 sign-extended to two halfwords.
    #[inline(always)]
    pub fn sxtb16(x: u32) -> u32 {
        let r: u32;
        // SAFETY: register-only instruction (see `smlad`).
        unsafe {
            asm!("sxtb16 {r}, {x}", r = lateout(reg) r, x = in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        r
    }

    /// Bytes 1 and 3 sign-extended to two halfwords.
    #[inline(always)]
    pub fn sxtb16_ror8(x: u32) -> u32 {
        let r: u32;
        // SAFETY: register-only instruction (see `smlad`).
        unsafe {
            asm!("sxtb16 {r}, {x}, ror #8", r = lateout(reg) r, x = in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        r
    }

    /// Halfwords of `a` plus the sign-extended bytes 0 and 2 of `x`.
    #[inline(always)]
    pub fn sxtab16(a: u32, x: u32) -> u32 {
        let r: u32;
        // SAFETY: register-only instruction (see `smlad`).
        unsafe {
            asm!("sxtab16 {r}, {a}, {x}", r = lateout(reg) r, a = in(reg) a, x = in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        r
    }

    /// Halfwords of `a` plus the sign-extended bytes 1 and 3 of `x`.
    #[inline(always)]
    pub fn sxtab16_ror8(a: u32, x: u32) -> u32 {
        let r: u32;
        // SAFETY: register-only instruction (see `smlad`).
        unsafe {
            asm!("sxtab16 {r}, {a}, {x}, ror #8", r = lateout(reg) r, a = in(reg) a,
                 x = in(reg) x, options(pure, nomem, nostack, preserves_flags));
        }
        r
    }

    /// `acc + a.lo·b.lo` (signed halfwords), wrapping.
    #[inline(always)]
    pub fn smlabb(a: u32, b: u32, acc: i32) -> i32 {
        let r: i32;
        // SAFETY: register-only instruction (see `smlad`).
        unsafe {
            asm!("smlabb {r}, {a}, {b}, {acc}", r = lateout(reg) r, a = in(reg) a,
                 b = in(reg) b, acc = in(reg) acc, options(pure, nomem, nostack));
        }
        r
    }

    /// `acc + a.hi·b.hi` (signed halfwords), wrapping.
    #[inline(always)]
    pub fn smlatt(a: u32, b: u32, acc: i32) -> i32 {
        let r: i32;
        // SAFETY: register-only instruction (see `smlad`).
        unsafe {
            asm!("smlatt {r}, {a}, {b}, {acc}", r = lateout(reg) r, a = in(reg) a,
                 b = in(reg) b, acc = in(reg) acc, options(pure, nomem, nostack));
        }
        r
    }
}

/// Which inner-product implementation this build uses, for reports.
pub const IMPLEMENTATION: &str = if cfg!(tinybench_dsp) {
    "dsp (SMLAD/SXTB16)"
} else {
    "portable (unrolled)"
};

#[cfg(tinybench_dsp)]
use dsp::word8_ldr;

/// Both halfwords set to `v` (for `SXTAB16`'s offset add).
#[cfg(tinybench_dsp)]
#[inline(always)]
pub(crate) fn dup16(v: i32) -> u32 {
    (v as u16 as u32) | ((v as u16 as u32) << 16)
}

/// `[Σ (x + offset)·w0, Σ (x + offset)·w1]` straight from int8 input, wrapping.
#[inline(always)]
pub(crate) fn dot_i8_2rows(x: &[i8], offset: i32, w0: &[i8], w1: &[i8]) -> [i32; 2] {
    let n = x.len();
    let (w0, w1) = (&w0[..n], &w1[..n]);
    let full = n - n % 4;
    let mut a = [0i32; 2];
    #[cfg(tinybench_dsp)]
    {
        let off = dup16(offset);
        for ((g, v0), v1) in x[..full]
            .chunks_exact(4)
            .zip(w0[..full].chunks_exact(4))
            .zip(w1[..full].chunks_exact(4))
        {
            let xv = word8_ldr(g);
            let (xa, xb) = (dsp::sxtab16(off, xv), dsp::sxtab16_ror8(off, xv));
            let (p0, p1) = (word8_ldr(v0), word8_ldr(v1));
            a[0] = dsp::smlad(
                xa,
                dsp::sxtb16(p0),
                dsp::smlad(xb, dsp::sxtb16_ror8(p0), a[0]),
            );
            a[1] = dsp::smlad(
                xa,
                dsp::sxtb16(p1),
                dsp::smlad(xb, dsp::sxtb16_ror8(p1), a[1]),
            );
        }
    }
    #[cfg(not(tinybench_dsp))]
    for ((g, v0), v1) in x[..full]
        .chunks_exact(4)
        .zip(w0[..full].chunks_exact(4))
        .zip(w1[..full].chunks_exact(4))
    {
        for k in 0..4 {
            let xv = g[k] as i32 + offset;
            a[0] = a[0].wrapping_add(xv * v0[k] as i32);
            a[1] = a[1].wrapping_add(xv * v1[k] as i32);
        }
    }
    for i in full..n {
        let xv = x[i] as i32 + offset;
        a[0] = a[0].wrapping_add(xv * w0[i] as i32);
        a[1] = a[1].wrapping_add(xv * w1[i] as i32);
    }
    a
}

/// `acc[k] += (x[k] + offset)·w[k]` for four channels side by side (depthwise), wrapping.
#[inline(always)]
pub(crate) fn mac4_lanes(acc: &mut [i32; 4], x: &[i8], offset: i32, w: &[i8]) {
    #[cfg(tinybench_dsp)]
    {
        let off = dup16(offset);
        let (xv, wv) = (word8_ldr(x), word8_ldr(w));
        let (xa, xb) = (dsp::sxtab16(off, xv), dsp::sxtab16_ror8(off, xv));
        let (wa, wb) = (dsp::sxtb16(wv), dsp::sxtb16_ror8(wv));
        acc[0] = dsp::smlabb(xa, wa, acc[0]);
        acc[2] = dsp::smlatt(xa, wa, acc[2]);
        acc[1] = dsp::smlabb(xb, wb, acc[1]);
        acc[3] = dsp::smlatt(xb, wb, acc[3]);
    }
    #[cfg(not(tinybench_dsp))]
    {
        let (x, w) = (&x[..4], &w[..4]);
        for k in 0..4 {
            acc[k] = acc[k].wrapping_add((x[k] as i32 + offset) * w[k] as i32);
        }
    }
}
