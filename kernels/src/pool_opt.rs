//! Optimized average and max pooling: exactly [`crate::pool::avg_pool`]'s and
//! [`crate::pool::max_pool`]'s bytes, with the window's valid tap range computed once per
//! output pixel (not tested per tap) and four channels per step.
//!
//! On DSP cores one word load carries four channels: the average sums them as int16 pairs
//! with `SXTAB16` (exact while a window has at most [`HALF_SUM_TAPS`] taps: 256 · 128
//! fits in an int16), the maximum keeps them as four bytes with `SSUB8` + `SEL`. Elsewhere
//! four int32 (or int8) accumulators in registers.

#[cfg(tinybench_dsp)]
use crate::mac;
use crate::pool::{PoolParams, PoolShape};
use crate::window::tap_range;
use crate::KernelError;

/// Taps of one window the int16 pair sums hold exactly (`256 · −128 = −32768`).
#[cfg(tinybench_dsp)]
const HALF_SUM_TAPS: usize = 256;

/// The valid window of one output pixel: rows `iy0..iy1`, columns `ix0..ix0 + n`.
#[derive(Clone, Copy)]
struct Taps {
    iy0: usize,
    iy1: usize,
    ix0: usize,
    n: usize,
}

impl Taps {
    fn of(shape: &PoolShape, oy: usize, ox: usize) -> Taps {
        let w = &shape.window;
        let (ky0, ky1) = tap_range(oy, w.stride_h, 1, w.pad_top, w.k_h, w.in_h);
        let (kx0, kx1) = tap_range(ox, w.stride_w, 1, w.pad_left, w.k_w, w.in_w);
        if ky0 == ky1 || kx0 == kx1 {
            return Taps {
                iy0: 0,
                iy1: 0,
                ix0: 0,
                n: 0,
            };
        }
        let iy0 = oy * w.stride_h + ky0 - w.pad_top;
        Taps {
            iy0,
            iy1: iy0 + ky1 - ky0,
            ix0: ox * w.stride_w + kx0 - w.pad_left,
            n: kx1 - kx0,
        }
    }

    fn count(&self) -> usize {
        (self.iy1 - self.iy0) * self.n
    }

    /// Call `f` with each valid row's `n` pixels from channel `ch` on (`(n − 1)·c + len`
    /// bytes: the last pixel's `len` channels).
    #[inline(always)]
    fn rows<'a>(
        &self,
        shape: &PoolShape,
        input: &'a [i8],
        ch: usize,
        len: usize,
    ) -> impl Iterator<Item = &'a [i8]> + 'a {
        let (c, in_w, t) = (shape.channels, shape.window.in_w, *self);
        (t.iy0..t.iy1).map(move |iy| {
            let start = (iy * in_w + t.ix0) * c + ch;
            &input[start..start + (t.n - 1) * c + len]
        })
    }
}

/// TFLite's rounded division of an int8 window sum, then the clamp.
#[inline(always)]
fn average(sum: i32, count: i32, p: &PoolParams) -> i8 {
    let avg = if count == 0 {
        0
    } else if sum > 0 {
        (sum + count / 2) / count
    } else {
        (sum - count / 2) / count
    };
    avg.clamp(p.act_min as i32, p.act_max as i32) as i8
}

/// The sums of channels `ch..ch + 4` over the window.
#[inline(always)]
fn sum4(shape: &PoolShape, input: &[i8], t: &Taps, ch: usize) -> [i32; 4] {
    let c = shape.channels;
    #[cfg(tinybench_dsp)]
    if t.count() <= HALF_SUM_TAPS {
        let (mut e, mut o) = (0u32, 0u32);
        for row in t.rows(shape, input, ch, 4) {
            for k in 0..t.n {
                let v = mac::dsp::word8_ldr(&row[k * c..]);
                e = mac::dsp::sxtab16(e, v);
                o = mac::dsp::sxtab16_ror8(o, v);
            }
        }
        let h = |x: u32, s: u32| (x >> s) as u16 as i16 as i32;
        return [h(e, 0), h(o, 0), h(e, 16), h(o, 16)];
    }
    let mut s = [0i32; 4];
    for row in t.rows(shape, input, ch, 4) {
        for k in 0..t.n {
            let x = &row[k * c..][..4];
            for j in 0..4 {
                s[j] += x[j] as i32;
            }
        }
    }
    s
}

/// Optimized average pooling (see the module docs); any shape [`crate::pool::avg_pool`]
/// takes.
#[inline(never)]
pub fn avg_pool_optimized(
    p: &PoolParams,
    shape: &PoolShape,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(input.len(), output.len())?;
    let (w, c) = (&shape.window, shape.channels);
    let c4 = c - c % 4;
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            let t = Taps::of(shape, oy, ox);
            let count = t.count() as i32;
            let out = &mut output[(oy * w.out_w + ox) * c..][..c];
            if count == 0 {
                out.iter_mut().for_each(|o| *o = average(0, 0, p));
                continue;
            }
            for ch in (0..c4).step_by(4) {
                let s = sum4(shape, input, &t, ch);
                for j in 0..4 {
                    out[ch + j] = average(s[j], count, p);
                }
            }
            for (ch, o) in out.iter_mut().enumerate().skip(c4) {
                let sum = t
                    .rows(shape, input, ch, 1)
                    .map(|row| (0..t.n).map(|k| row[k * c] as i32).sum::<i32>())
                    .sum();
                *o = average(sum, count, p);
            }
        }
    }
    Ok(())
}

/// The maxima of channels `ch..ch + 4` over the window, as four bytes.
#[inline(always)]
fn max4(shape: &PoolShape, input: &[i8], t: &Taps, ch: usize) -> [i8; 4] {
    let c = shape.channels;
    #[cfg(tinybench_dsp)]
    {
        let mut m = 0x8080_8080u32;
        for row in t.rows(shape, input, ch, 4) {
            for k in 0..t.n {
                m = mac::dsp::max8(m, mac::dsp::word8_ldr(&row[k * c..]));
            }
        }
        m.to_le_bytes().map(|b| b as i8)
    }
    #[cfg(not(tinybench_dsp))]
    {
        let mut m = [i8::MIN; 4];
        for row in t.rows(shape, input, ch, 4) {
            for k in 0..t.n {
                let x = &row[k * c..][..4];
                for j in 0..4 {
                    m[j] = m[j].max(x[j]);
                }
            }
        }
        m
    }
}

/// Optimized max pooling (see the module docs); any shape [`crate::pool::max_pool`] takes.
#[inline(never)]
pub fn max_pool_optimized(
    p: &PoolParams,
    shape: &PoolShape,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(input.len(), output.len())?;
    let (w, c) = (&shape.window, shape.channels);
    let c4 = c - c % 4;
    // Without an activation clamp the four maxima are stored as they are.
    let full_range = (p.act_min, p.act_max) == (i8::MIN, i8::MAX);
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            let t = Taps::of(shape, oy, ox);
            let out = &mut output[(oy * w.out_w + ox) * c..][..c];
            if t.count() == 0 {
                out.iter_mut()
                    .for_each(|o| *o = i8::MIN.clamp(p.act_min, p.act_max));
                continue;
            }
            for ch in (0..c4).step_by(4) {
                let m = max4(shape, input, &t, ch);
                let o: &mut [i8; 4] = (&mut out[ch..ch + 4]).try_into().expect("four");
                *o = if full_range {
                    m
                } else {
                    m.map(|v| v.clamp(p.act_min, p.act_max))
                };
            }
            for (ch, o) in out.iter_mut().enumerate().skip(c4) {
                let m = t
                    .rows(shape, input, ch, 1)
                    .flat_map(|row| (0..t.n).map(move |k| row[k * c]))
                    .fold(i8::MIN, i8::max);
                *o = m.clamp(p.act_min, p.act_max);
            }
        }
    }
    Ok(())
}
