//! Average and max pooling, int8, TFLite semantics (`AveragePool`/`MaxPool` for int8):
//! NHWC (batch 1), input and output share scale and zero point, so no requantization —
//! only the activation clamp.

use crate::window::{mul, Window};
use crate::KernelError;

/// Shape of a pooling layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PoolShape {
    /// Spatial geometry (dilation is 1 for pooling).
    pub window: Window,
    /// Channels.
    pub channels: usize,
}

/// The activation clamp of a pooling layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PoolParams {
    /// Lower clamp.
    pub act_min: i8,
    /// Upper clamp.
    pub act_max: i8,
}

impl PoolShape {
    /// Elements of the input tensor.
    pub fn input_len(&self) -> usize {
        self.window.in_h * self.window.in_w * self.channels
    }
    /// Elements of the output tensor.
    pub fn output_len(&self) -> usize {
        self.window.out_pixels() * self.channels
    }
    /// Additions/comparisons one call performs (reported in the MACs column).
    pub fn macs(&self) -> u64 {
        self.window.out_pixels() as u64 * self.channels as u64 * self.window.taps() as u64
    }
    pub(crate) fn check(&self, input: usize, output: usize) -> Result<(), KernelError> {
        self.window.check()?;
        if self.channels == 0 || self.window.dil_h != 1 || self.window.dil_w != 1 {
            return Err(KernelError::BadShape);
        }
        let need_in = mul(mul(self.window.in_h, self.window.in_w)?, self.channels)?;
        let need_out = mul(self.window.out_pixels(), self.channels)?;
        if input < need_in || output < need_out {
            return Err(KernelError::BufferTooSmall);
        }
        Ok(())
    }
}

/// Scratch the pooling kernels need: none.
pub fn pool_scratch_size(_shape: &PoolShape) -> usize {
    0
}

/// Visit the input values of output `(oy, ox)`, channel `c` — only taps inside the input
/// (TFLite clips the window to the input; padding never contributes).
#[inline(always)]
fn window_fold<T>(
    shape: &PoolShape,
    input: &[i8],
    (oy, ox, c): (usize, usize, usize),
    init: T,
    mut f: impl FnMut(T, i8) -> T,
) -> T {
    let w = &shape.window;
    let mut acc = init;
    for ky in 0..w.k_h {
        let Some(iy) = w.in_y(oy, ky) else { continue };
        for kx in 0..w.k_w {
            let Some(ix) = w.in_x(ox, kx) else { continue };
            acc = f(acc, input[(iy * w.in_w + ix) * shape.channels + c]);
        }
    }
    acc
}

/// Average pooling: the sum over the window's in-bounds taps divided by their count,
/// rounded half away from zero, then clamped.
#[inline(never)]
pub fn avg_pool(
    p: &PoolParams,
    shape: &PoolShape,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(input.len(), output.len())?;
    let w = &shape.window;
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            for c in 0..shape.channels {
                let (sum, count) =
                    window_fold(shape, input, (oy, ox, c), (0i32, 0i32), |(s, n), v| {
                        (s + v as i32, n + 1)
                    });
                // A window always overlaps the input for SAME/VALID geometry; guard anyway.
                let avg = if count == 0 {
                    0
                } else if sum > 0 {
                    (sum + count / 2) / count
                } else {
                    (sum - count / 2) / count
                };
                output[(oy * w.out_w + ox) * shape.channels + c] =
                    avg.clamp(p.act_min as i32, p.act_max as i32) as i8;
            }
        }
    }
    Ok(())
}

/// Max pooling over the window's in-bounds taps, then clamped.
#[inline(never)]
pub fn max_pool(
    p: &PoolParams,
    shape: &PoolShape,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    shape.check(input.len(), output.len())?;
    let w = &shape.window;
    for oy in 0..w.out_h {
        for ox in 0..w.out_w {
            for c in 0..shape.channels {
                let m = window_fold(shape, input, (oy, ox, c), i8::MIN, |m, v| m.max(v));
                output[(oy * w.out_w + ox) * shape.channels + c] = m.clamp(p.act_min, p.act_max);
            }
        }
    }
    Ok(())
}
