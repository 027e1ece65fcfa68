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

#[cfg(all(tinybench_dsp, target_arch = "arm"))]
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

    /// One group of [`gemm4_groups`]: a weight word, its two unpacks, four `LDRD`s of
    /// the block, eight `SMLAD`s (15 instructions, 16 MACs).
    macro_rules! gemm4_group {
        () => {
            concat!(
                "ldr {w}, [{row}], #4\n",
                "ldrd {x0}, {x1}, [{blk}], #32\n",
                "sxtb16 {wb}, {w}, ror #8\n",
                "sxtb16 {w}, {w}\n",
                "smlad {a0}, {x0}, {w}, {a0}\n",
                "smlad {a0}, {x1}, {wb}, {a0}\n",
                "ldrd {x0}, {x1}, [{blk}, #-24]\n",
                "smlad {a1}, {x0}, {w}, {a1}\n",
                "smlad {a1}, {x1}, {wb}, {a1}\n",
                "ldrd {x0}, {x1}, [{blk}, #-16]\n",
                "smlad {a2}, {x0}, {w}, {a2}\n",
                "smlad {a2}, {x1}, {wb}, {a2}\n",
                "ldrd {x0}, {x1}, [{blk}, #-8]\n",
                "smlad {a3}, {x0}, {w}, {a3}\n",
                "smlad {a3}, {x1}, {wb}, {a3}",
            )
        };
    }

    /// `a[p] += Σ_g blk[8g + 2p]·sxtb16(row_g) + blk[8g + 2p + 1]·sxtb16_ror8(row_g)` over
    /// `groups` groups: the conv2d block engine's inner loop ([`crate::gemm`]).
    ///
    /// In asm because LLVM, given the same loop in Rust, spilled the eight block words
    /// and the accumulators to the stack (measured on the emulated M4: 2.88 instructions
    /// per MAC on kws_pw, ~30 instructions per group). Here a group is 15 instructions
    /// for 16 MACs (one weight load and two unpacks, four `LDRD`s at constant offsets from
    /// one post-incremented pointer, eight `SMLAD`s), and the loop runs two groups per
    /// branch (an odd group first): 16 a group. Eleven registers, which the allocator has.
    #[inline(always)]
    pub fn gemm4_groups(blk: &[u32], row: &[i8], groups: usize, a: &mut [i32; 4]) {
        if groups == 0 {
            return;
        }
        let (blk, row) = (&blk[..8 * groups], &row[..4 * groups]);
        // SAFETY: the loop reads exactly `blk[..8·groups]` (word-aligned, as `LDRD`
        // needs) and `row[..4·groups]` (unaligned `LDR` is allowed on these cores),
        // both bounds-checked above; it writes only registers and flags.
        unsafe {
            asm!(
                "tst {n}, #1",
                "beq 3f",
                gemm4_group!(),
                "3:",
                "lsrs {n}, {n}, #1",
                "beq 4f",
                "2:",
                gemm4_group!(),
                gemm4_group!(),
                "subs {n}, {n}, #1",
                "bne 2b",
                "4:",
                row = inout(reg) row.as_ptr() => _,
                blk = inout(reg) blk.as_ptr() => _,
                n = inout(reg) groups => _,
                w = out(reg) _,
                wb = out(reg) _,
                x0 = out(reg) _,
                x1 = out(reg) _,
                a0 = inout(reg) a[0],
                a1 = inout(reg) a[1],
                a2 = inout(reg) a[2],
                a3 = inout(reg) a[3],
                options(nostack, readonly),
            );
        }
    }

    /// Three horizontally adjacent depthwise taps of four channels: `x` holds the taps
    /// at byte offsets `0`, `c`, `2c` (four channels each), `w` their unpacked weights
    /// (`[sxtb16, sxtb16_ror8]` per tap), `off` the input offset in both halfwords.
    ///
    /// In asm for the same reason as [`gemm4_groups`]: in Rust the per-tap bounds tests
    /// and spills made the tap 20+ instructions (kws_dw 14.75 per MAC); here it is 8,
    /// the register-offset `LDR`s needing no pointer updates. Twelve registers.
    #[inline(always)]
    pub fn dw_taps3(x: &[i8], c: usize, off: u32, w: &[[u32; 2]], a: &mut [i32; 4]) {
        let x = &x[..2 * c + 4];
        let w = &w[..3];
        // SAFETY: reads `x[0..4]`, `x[c..c+4]`, `x[2c..2c+4]` (inside the checked
        // slice; unaligned `LDR` is allowed) and `w[..3]` (word-aligned, for `LDRD`).
        unsafe {
            asm!(
                "ldr {x}, [{xp}]",
                "ldrd {wa}, {wb}, [{wp}]",
                "sxtab16 {xb}, {off}, {x}, ror #8",
                "sxtab16 {x}, {off}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}]",
                "ldrd {wa}, {wb}, [{wp}, #8]",
                "sxtab16 {xb}, {off}, {x}, ror #8",
                "sxtab16 {x}, {off}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}, lsl #1]",
                "ldrd {wa}, {wb}, [{wp}, #16]",
                "sxtab16 {xb}, {off}, {x}, ror #8",
                "sxtab16 {x}, {off}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                xp = in(reg) x.as_ptr(),
                wp = in(reg) w.as_ptr(),
                c = in(reg) c,
                off = in(reg) off,
                x = out(reg) _,
                xb = out(reg) _,
                wa = out(reg) _,
                wb = out(reg) _,
                a0 = inout(reg) a[0],
                a1 = inout(reg) a[1],
                a2 = inout(reg) a[2],
                a3 = inout(reg) a[3],
                options(nostack, readonly, preserves_flags),
            );
        }
    }

    /// Two horizontally adjacent depthwise taps of four channels (a window clipped at a
    /// left or right edge): `x` holds the taps at byte offsets `0` and `c`; otherwise as
    /// [`dw_taps3`] (and in asm for its reason).
    #[inline(always)]
    pub fn dw_taps2(x: &[i8], c: usize, off: u32, w: &[[u32; 2]], a: &mut [i32; 4]) {
        let x = &x[..c + 4];
        let w = &w[..2];
        // SAFETY: reads `x[0..4]`, `x[c..c+4]` (inside the checked slice; unaligned
        // `LDR` is allowed) and `w[..2]` (word-aligned, for `LDRD`).
        unsafe {
            asm!(
                "ldr {x}, [{xp}]",
                "ldrd {wa}, {wb}, [{wp}]",
                "sxtab16 {xb}, {off}, {x}, ror #8",
                "sxtab16 {x}, {off}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}]",
                "ldrd {wa}, {wb}, [{wp}, #8]",
                "sxtab16 {xb}, {off}, {x}, ror #8",
                "sxtab16 {x}, {off}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                xp = in(reg) x.as_ptr(),
                wp = in(reg) w.as_ptr(),
                c = in(reg) c,
                off = in(reg) off,
                x = out(reg) _,
                xb = out(reg) _,
                wa = out(reg) _,
                wb = out(reg) _,
                a0 = inout(reg) a[0],
                a1 = inout(reg) a[1],
                a2 = inout(reg) a[2],
                a3 = inout(reg) a[3],
                options(nostack, readonly, preserves_flags),
            );
        }
    }

    /// A whole 3×3 depthwise window of four channels, without the input offset (the
    /// caller folded `offset · Σ w` into the accumulators' start): `x` holds tap
    /// `(ky, kx)` at byte `ky·rs + kx·c` (four channels each), `w` the nine taps'
    /// unpacked weights (`[sxtb16, sxtb16_ror8]` per tap).
    ///
    /// One asm block for the window (75 instructions for 36 MACs: per tap one `LDR`, one
    /// `LDRD`, two unpacks, four multiply-adds) because the loop around [`dw_taps3`] in
    /// Rust cost about as much again in address arithmetic and spills (kws_dw 11.95 per
    /// MAC). Dropping the offset frees the register that holds the row stride. Twelve
    /// registers.
    #[inline(always)]
    pub fn dw_3x3(x: &[i8], c: usize, rs: usize, w: &[[u32; 2]], a: &mut [i32; 4]) {
        let x = &x[..2 * rs + 2 * c + 4];
        let w = &w[..9];
        // SAFETY: reads `x[ky·rs + kx·c..][..4]` for ky, kx < 3 (inside the checked
        // slice; unaligned `LDR` is allowed) and `w[..9]` (word-aligned, for `LDRD`).
        unsafe {
            asm!(
                "ldr {x}, [{xp}]",
                "ldrd {wa}, {wb}, [{wp}, #0]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}]",
                "ldrd {wa}, {wb}, [{wp}, #8]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}, lsl #1]",
                "ldrd {wa}, {wb}, [{wp}, #16]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "add {xp}, {xp}, {rs}",
                "ldr {x}, [{xp}]",
                "ldrd {wa}, {wb}, [{wp}, #24]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}]",
                "ldrd {wa}, {wb}, [{wp}, #32]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}, lsl #1]",
                "ldrd {wa}, {wb}, [{wp}, #40]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "add {xp}, {xp}, {rs}",
                "ldr {x}, [{xp}]",
                "ldrd {wa}, {wb}, [{wp}, #48]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}]",
                "ldrd {wa}, {wb}, [{wp}, #56]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                "ldr {x}, [{xp}, {c}, lsl #1]",
                "ldrd {wa}, {wb}, [{wp}, #64]",
                "sxtb16 {xb}, {x}, ror #8",
                "sxtb16 {x}, {x}",
                "smlabb {a0}, {x}, {wa}, {a0}",
                "smlatt {a2}, {x}, {wa}, {a2}",
                "smlabb {a1}, {xb}, {wb}, {a1}",
                "smlatt {a3}, {xb}, {wb}, {a3}",
                xp = inout(reg) x.as_ptr() => _,
                wp = in(reg) w.as_ptr(),
                c = in(reg) c,
                rs = in(reg) rs,
                x = out(reg) _,
                xb = out(reg) _,
                wa = out(reg) _,
                wb = out(reg) _,
                a0 = inout(reg) a[0],
                a1 = inout(reg) a[1],
                a2 = inout(reg) a[2],
                a3 = inout(reg) a[3],
                options(nostack, readonly, preserves_flags),
            );
        }
    }

    /// Bytewise signed maximum of `a` and `b` (`SSUB8` sets a GE bit per byte where
    /// `a ≥ b`, `SEL` picks those bytes of `a`): four int8 channels per instruction pair.
    #[inline(always)]
    pub fn max8(a: u32, b: u32) -> u32 {
        let r: u32;
        // SAFETY: register-only instructions; they write the APSR.GE bits, which no
        // Rust code reads (no `preserves_flags`).
        unsafe {
            asm!("ssub8 {r}, {a}, {b}", "sel {r}, {a}, {b}", r = out(reg) r,
                 a = in(reg) a, b = in(reg) b, options(pure, nomem, nostack));
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

/// The same instructions in plain Rust, for checking the DSP kernels' data layouts on the
/// host: `RUSTFLAGS="--cfg tinybench_dsp" cargo test -p tinybench-kernels` (with its own
/// `CARGO_TARGET_DIR`) runs the proptests through the DSP code paths. Written from the
/// ARMv7-M Architecture Reference Manual's pseudocode.
#[cfg(all(tinybench_dsp, not(target_arch = "arm")))]
pub(crate) mod dsp {
    fn lo(x: u32) -> i32 {
        x as u16 as i16 as i32
    }
    fn hi(x: u32) -> i32 {
        (x >> 16) as u16 as i16 as i32
    }
    fn pair(l: i32, h: i32) -> u32 {
        (l as u16 as u32) | ((h as u16 as u32) << 16)
    }
    pub fn word8_ldr(s: &[i8]) -> u32 {
        u32::from_le_bytes([s[0] as u8, s[1] as u8, s[2] as u8, s[3] as u8])
    }
    pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
        acc.wrapping_add(lo(a) * lo(b)).wrapping_add(hi(a) * hi(b))
    }
    pub fn sxtb16(x: u32) -> u32 {
        pair(x as u8 as i8 as i32, (x >> 16) as u8 as i8 as i32)
    }
    pub fn sxtb16_ror8(x: u32) -> u32 {
        sxtb16(x.rotate_right(8))
    }
    pub fn sxtab16(a: u32, x: u32) -> u32 {
        let e = sxtb16(x);
        pair(lo(a).wrapping_add(lo(e)), hi(a).wrapping_add(hi(e)))
    }
    pub fn sxtab16_ror8(a: u32, x: u32) -> u32 {
        sxtab16(a, x.rotate_right(8))
    }
    pub fn gemm4_groups(blk: &[u32], row: &[i8], groups: usize, a: &mut [i32; 4]) {
        for (g, wv) in blk[..8 * groups]
            .chunks_exact(8)
            .zip(row[..4 * groups].chunks_exact(4))
        {
            let w = word8_ldr(wv);
            let (wa, wb) = (sxtb16(w), sxtb16_ror8(w));
            for p in 0..4 {
                a[p] = smlad(g[2 * p + 1], wb, smlad(g[2 * p], wa, a[p]));
            }
        }
    }
    pub fn dw_taps2(x: &[i8], c: usize, off: u32, w: &[[u32; 2]], a: &mut [i32; 4]) {
        for (t, wt) in w[..2].iter().enumerate() {
            let v = word8_ldr(&x[t * c..]);
            let (xa, xb) = (sxtab16(off, v), sxtab16_ror8(off, v));
            a[0] = smlabb(xa, wt[0], a[0]);
            a[2] = smlatt(xa, wt[0], a[2]);
            a[1] = smlabb(xb, wt[1], a[1]);
            a[3] = smlatt(xb, wt[1], a[3]);
        }
    }
    pub fn dw_taps3(x: &[i8], c: usize, off: u32, w: &[[u32; 2]], a: &mut [i32; 4]) {
        for (t, wt) in w[..3].iter().enumerate() {
            let v = word8_ldr(&x[t * c..]);
            let (xa, xb) = (sxtab16(off, v), sxtab16_ror8(off, v));
            a[0] = smlabb(xa, wt[0], a[0]);
            a[2] = smlatt(xa, wt[0], a[2]);
            a[1] = smlabb(xb, wt[1], a[1]);
            a[3] = smlatt(xb, wt[1], a[3]);
        }
    }
    pub fn dw_3x3(x: &[i8], c: usize, rs: usize, w: &[[u32; 2]], a: &mut [i32; 4]) {
        for (t, wt) in w[..9].iter().enumerate() {
            let v = word8_ldr(&x[(t / 3) * rs + (t % 3) * c..]);
            let (xa, xb) = (sxtb16(v), sxtb16_ror8(v));
            a[0] = smlabb(xa, wt[0], a[0]);
            a[2] = smlatt(xa, wt[0], a[2]);
            a[1] = smlabb(xb, wt[1], a[1]);
            a[3] = smlatt(xb, wt[1], a[3]);
        }
    }
    pub fn max8(a: u32, b: u32) -> u32 {
        let (a, b) = (a.to_le_bytes(), b.to_le_bytes());
        u32::from_le_bytes(core::array::from_fn(|k| (a[k] as i8).max(b[k] as i8) as u8))
    }
    pub fn smlabb(a: u32, b: u32, acc: i32) -> i32 {
        acc.wrapping_add(lo(a) * lo(b))
    }
    pub fn smlatt(a: u32, b: u32, acc: i32) -> i32 {
        acc.wrapping_add(hi(a) * hi(b))
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

/// `[Σ (x + offset)·w0, Σ (x + offset)·w1]` straight from int8 input, wrapping. The
/// fully-connected kernels call it through [`crate::fc_dot`], which has its own asm loops
/// on DSP and ARMv6-M cores; the transpose convolution calls it directly on every core.
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
