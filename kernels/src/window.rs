//! The sliding-window geometry shared by conv2d, depthwise conv2d and pooling: input and
//! output extents, kernel size, strides, dilation and the resolved padding.
//!
//! TFLite's `SAME`/`VALID` padding is resolved once, by [`Window::new`], into explicit
//! top/left paddings (`ComputePaddingHeightWidth`); kernels only see numbers. Tensors are
//! NHWC with a batch of one, as every layer of the tiny models is.

use crate::KernelError;

/// TFLite padding mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Padding {
    /// Output extent `ceil(in / stride)`; the input is padded (with its zero point) so the
    /// window stays centred, the extra row/column going after.
    Same,
    /// No padding: only windows that fit inside the input.
    Valid,
}

/// A resolved 2-D window over an `in_h × in_w` input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Window {
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Kernel (filter) height.
    pub k_h: usize,
    /// Kernel width.
    pub k_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Vertical dilation (1: dense).
    pub dil_h: usize,
    /// Horizontal dilation.
    pub dil_w: usize,
    /// Rows of padding above the input.
    pub pad_top: usize,
    /// Columns of padding left of the input.
    pub pad_left: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
}

/// Valid kernel index range `lo..hi` along one axis for output position `o`: the taps
/// whose input coordinate `o·stride + k·dil − pad` falls inside `0..extent`.
#[inline(always)]
pub(crate) fn tap_range(
    o: usize,
    stride: usize,
    dil: usize,
    pad: usize,
    k: usize,
    extent: usize,
) -> (usize, usize) {
    let start = o * stride;
    // First k with start + k·dil ≥ pad.
    let lo = if start >= pad {
        0
    } else {
        (pad - start).div_ceil(dil)
    };
    // Taps with start + k·dil − pad < extent.
    let hi = if extent + pad > start {
        (extent + pad - start).div_ceil(dil).min(k)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// Output extent and leading padding of one dimension, as TFLite computes them.
fn resolve(
    input: usize,
    k: usize,
    stride: usize,
    dil: usize,
    p: Padding,
) -> Result<(usize, usize), KernelError> {
    if input == 0 || k == 0 || stride == 0 || dil == 0 {
        return Err(KernelError::BadShape);
    }
    let eff_k = (k - 1)
        .checked_mul(dil)
        .and_then(|v| v.checked_add(1))
        .ok_or(KernelError::BadShape)?;
    match p {
        Padding::Valid => {
            if eff_k > input {
                return Err(KernelError::BadShape);
            }
            Ok(((input - eff_k) / stride + 1, 0))
        }
        Padding::Same => {
            let out = input.div_ceil(stride);
            let needed = (out - 1) * stride + eff_k;
            let total = needed.saturating_sub(input);
            Ok((out, total / 2))
        }
    }
}

impl Window {
    /// Resolve the geometry of a window; `BadShape` when a dimension is zero or a `VALID`
    /// window does not fit.
    pub fn new(
        (in_h, in_w): (usize, usize),
        (k_h, k_w): (usize, usize),
        (stride_h, stride_w): (usize, usize),
        (dil_h, dil_w): (usize, usize),
        padding: Padding,
    ) -> Result<Window, KernelError> {
        let (out_h, pad_top) = resolve(in_h, k_h, stride_h, dil_h, padding)?;
        let (out_w, pad_left) = resolve(in_w, k_w, stride_w, dil_w, padding)?;
        Ok(Window {
            in_h,
            in_w,
            k_h,
            k_w,
            stride_h,
            stride_w,
            dil_h,
            dil_w,
            pad_top,
            pad_left,
            out_h,
            out_w,
        })
    }

    /// Output positions.
    pub fn out_pixels(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Kernel taps.
    pub fn taps(&self) -> usize {
        self.k_h * self.k_w
    }

    /// Input row of kernel row `ky` for output row `oy`, if inside the input.
    #[inline(always)]
    pub fn in_y(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy * self.stride_h + ky * self.dil_h)
            .checked_sub(self.pad_top)
            .filter(|&y| y < self.in_h)
    }

    /// Input column of kernel column `kx` for output column `ox`, if inside the input.
    #[inline(always)]
    pub fn in_x(&self, ox: usize, kx: usize) -> Option<usize> {
        (ox * self.stride_w + kx * self.dil_w)
            .checked_sub(self.pad_left)
            .filter(|&x| x < self.in_w)
    }

    /// Geometry is self-consistent (guards hand-built windows, e.g. from generated code).
    pub(crate) fn check(&self) -> Result<(), KernelError> {
        let dims = [
            self.in_h,
            self.in_w,
            self.k_h,
            self.k_w,
            self.stride_h,
            self.stride_w,
            self.dil_h,
            self.dil_w,
            self.out_h,
            self.out_w,
        ];
        if dims.contains(&0) {
            return Err(KernelError::BadShape);
        }
        Ok(())
    }
}

/// `a · b`, or `BadShape` on overflow.
pub(crate) fn mul(a: usize, b: usize) -> Result<usize, KernelError> {
    a.checked_mul(b).ok_or(KernelError::BadShape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_and_valid_match_tflite() {
        // 49×10 input, 10×4 kernel, stride 2, SAME (DS-CNN's first layer): 25×5 output,
        // total padding (24·2 + 10 − 49) = 9 rows → 4 above; (4·2 + 4 − 10) = 2 → 1 left.
        let w = Window::new((49, 10), (10, 4), (2, 2), (1, 1), Padding::Same).unwrap();
        assert_eq!((w.out_h, w.out_w, w.pad_top, w.pad_left), (25, 5, 4, 1));
        let w = Window::new((5, 5), (3, 3), (2, 2), (1, 1), Padding::Valid).unwrap();
        assert_eq!((w.out_h, w.out_w, w.pad_top, w.pad_left), (2, 2, 0, 0));
        // Dilation 2 makes a 3×3 kernel span 5.
        let w = Window::new((5, 5), (3, 3), (1, 1), (2, 2), Padding::Valid).unwrap();
        assert_eq!((w.out_h, w.out_w), (1, 1));
        assert_eq!(
            Window::new((4, 4), (3, 3), (1, 1), (2, 2), Padding::Valid),
            Err(KernelError::BadShape)
        );
    }
}
