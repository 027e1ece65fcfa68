//! The optimized conv2d's inner engine: a block of [`PIX`] output pixels' receptive fields
//! packed once (input offset added, padding as 0) into scratch, then one pass per output
//! channel computing all [`PIX`] pixels, so each weight is loaded and unpacked once per
//! block and the four accumulators stay in registers.
//!
//! Block layouts (u32 words; only this module reads or writes them):
//!
//! - DSP cores (`SMLAD`): element group `g` (elements `4g..4g+4` of the patch) of pixel
//!   `p` is the two words `[8g + 2p]` = halfwords `(v0, v2)` and `[8g + 2p + 1]` =
//!   `(v1, v3)` — the order `SXTB16`/`SXTB16 ROR 8` unpack a weight word in — so one
//!   weight word feeds eight `SMLAD`s with all operands at constant offsets from one
//!   pointer. The patch's last `patch % 4` elements follow as whole words,
//!   `[8G + 4j + p]`.
//! - elsewhere: element `e` of pixel `p` is the word `[4e + p]`, a ready int32, so each
//!   weight byte feeds four word loads and multiplies.

use crate::requant::Requant;

/// Output pixels per block.
pub(crate) const PIX: usize = 4;

/// u32 words a packed block of `patch` elements needs (the larger of the two layouts).
pub(crate) fn block_words(patch: usize) -> usize {
    PIX * patch
}

/// Writes receptive fields into a block.
pub(crate) struct Packer<'a> {
    words: &'a mut [u32],
    /// Full groups of four elements.
    #[cfg(tinybench_dsp)]
    groups: usize,
    offset: i32,
}

impl<'a> Packer<'a> {
    pub(crate) fn new(words: &'a mut [u32], patch: usize, offset: i32) -> Packer<'a> {
        Packer {
            words: &mut words[..block_words(patch)],
            #[cfg(tinybench_dsp)]
            groups: patch / 4,
            offset,
        }
    }

    /// The input offset the packer adds.
    pub(crate) fn offset(&self) -> i32 {
        self.offset
    }

    /// Elements `e..e + run.len()` of pixel `p`: `run[k] + offset`.
    #[inline(always)]
    pub(crate) fn put_run(&mut self, p: usize, e: usize, run: &[i8]) {
        if run.is_empty() {
            return;
        }
        #[cfg(tinybench_dsp)]
        if e.is_multiple_of(4) && run.len().is_multiple_of(4) && e + run.len() <= 4 * self.groups {
            let off = crate::mac::dup16(self.offset);
            let dst = &mut self.words[2 * e + 2 * p..];
            for (k, x) in run.chunks_exact(4).enumerate() {
                let x = crate::mac::dsp::word8_ldr(x);
                dst[8 * k] = crate::mac::dsp::sxtab16(off, x);
                dst[8 * k + 1] = crate::mac::dsp::sxtab16_ror8(off, x);
            }
            return;
        }
        for (k, &x) in run.iter().enumerate() {
            self.put(p, e + k, x as i32 + self.offset);
        }
    }

    /// Elements `e..e + n` of pixel `p`: padding, 0.
    #[inline(always)]
    pub(crate) fn put_zeros(&mut self, p: usize, e: usize, n: usize) {
        for k in e..e + n {
            self.put(p, k, 0);
        }
    }

    /// Element `e` of pixel `p`.
    #[inline(always)]
    fn put(&mut self, p: usize, e: usize, v: i32) {
        #[cfg(tinybench_dsp)]
        {
            if e < 4 * self.groups {
                let (g, lane) = (e / 4, e % 4);
                let word = 8 * g + 2 * p + (lane & 1);
                let sh = 16 * (lane >> 1);
                let w = &mut self.words[word];
                *w = (*w & !(0xffff << sh)) | ((v as u16 as u32) << sh);
            } else {
                self.words[8 * self.groups + 4 * (e - 4 * self.groups) + p] = v as u32;
            }
        }
        #[cfg(not(tinybench_dsp))]
        {
            self.words[4 * e + p] = v as u32;
        }
    }
}

/// Output channel `oc` of the block: `Σ block·w_row + bias` for the [`PIX`] pixels.
#[inline(always)]
pub(crate) fn dot_block(words: &[u32], patch: usize, row: &[i8], bias: i32) -> [i32; PIX] {
    let groups = patch / 4;
    let row = &row[..patch];
    let mut a = [bias; PIX];
    #[cfg(tinybench_dsp)]
    {
        use crate::mac::dsp;
        let (body, tail) = words[..block_words(patch)].split_at(8 * groups);
        dsp::gemm4_groups(body, row, groups, &mut a);
        for (t, &wj) in tail.chunks_exact(PIX).zip(&row[4 * groups..]) {
            let wj = wj as i32;
            for p in 0..PIX {
                a[p] = a[p].wrapping_add((t[p] as i32).wrapping_mul(wj));
            }
        }
    }
    #[cfg(not(tinybench_dsp))]
    {
        let words = &words[..block_words(patch)];
        let (body, tail) = words.split_at(16 * groups);
        for (g, wv) in body.chunks_exact(16).zip(row.chunks_exact(4)) {
            for k in 0..4 {
                let w = wv[k] as i32;
                for p in 0..PIX {
                    a[p] = a[p].wrapping_add((g[4 * k + p] as i32).wrapping_mul(w));
                }
            }
        }
        for (t, &wj) in tail.chunks_exact(PIX).zip(&row[4 * groups..]) {
            let wj = wj as i32;
            for p in 0..PIX {
                a[p] = a[p].wrapping_add((t[p] as i32).wrapping_mul(wj));
            }
        }
    }
    a
}

/// The block's outputs: for each output channel, [`dot_block`] then requantization, for
/// the first `valid` pixels, written at `out[p · out_c + oc]`. `FULL_RANGE` says the
/// clamp is `-128..=127`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn run_block<const FULL_RANGE: bool>(
    words: &[u32],
    patch: usize,
    weights: &[i8],
    bias: &[i32],
    (multipliers, shifts): (&[i32], &[i32]),
    (offset, lo, hi): (i32, i32, i32),
    out: &mut [i8],
    valid: usize,
) {
    let out_c = bias.len();
    // `FULL_RANGE`: no activation clamp, so the clamp is LLVM's `SSAT`.
    let (lo, hi) = if FULL_RANGE { (-128, 127) } else { (lo, hi) };
    let chans = weights
        .chunks_exact(patch)
        .zip(bias)
        .zip(multipliers)
        .zip(shifts);
    if valid == PIX {
        // A full block: the four pixels' output rows as iterators, so the loop has no
        // per-output bounds or `valid` tests (they were ~6 instructions an output).
        let (o0, rest) = out.split_at_mut(out_c);
        let (o1, rest) = rest.split_at_mut(out_c);
        let (o2, o3) = rest.split_at_mut(out_c);
        let outs = o0.iter_mut().zip(o1.iter_mut()).zip(o2.iter_mut()).zip(o3);
        for ((((row, &b), &m), &s), (((y0, y1), y2), y3)) in chans.zip(outs) {
            let a = dot_block(words, patch, row, b);
            let q = Requant::new(m, s);
            *y0 = q.requantize(a[0], offset, lo, hi);
            *y1 = q.requantize(a[1], offset, lo, hi);
            *y2 = q.requantize(a[2], offset, lo, hi);
            *y3 = q.requantize(a[3], offset, lo, hi);
        }
        return;
    }
    for (oc, (((row, &b), &m), &s)) in chans.enumerate() {
        let a = dot_block(words, patch, row, b);
        let q = Requant::new(m, s);
        for (p, &acc) in a.iter().enumerate().take(valid) {
            out[p * out_c + oc] = q.requantize(acc, offset, lo, hi);
        }
    }
}
