//! `MEAN` over a run of contiguous dimensions (`GlobalAveragePooling2D` converts to a
//! mean over H and W of an NHWC tensor), int8, as LiteRT's integer mean: the sum of the
//! zero-point-corrected inputs, requantized with a multiplier that already holds the
//! division by the element count.

use crate::quant::multiply_by_quantized_multiplier;
use crate::KernelError;

/// `input` is `outer × reduce × inner`; the output `outer × inner` averages the middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MeanShape {
    /// Dimensions before the reduced ones, merged.
    pub outer: u32,
    /// Elements reduced into each output.
    pub reduce: u32,
    /// Dimensions after them, merged.
    pub inner: u32,
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// Q31 multiplier of `input_scale / output_scale / reduce`, as the importer prepared it.
    pub multiplier: i32,
    /// Its shift.
    pub shift: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
}

impl MeanShape {
    /// Input elements.
    pub fn input_len(&self) -> usize {
        self.outer as usize * self.reduce as usize * self.inner as usize
    }
    /// Output elements.
    pub fn output_len(&self) -> usize {
        self.outer as usize * self.inner as usize
    }
}

/// Run the mean.
#[inline(never)]
pub fn mean(s: &MeanShape, input: &[i8], output: &mut [i8]) -> Result<(), KernelError> {
    let (outer, reduce, inner) = (s.outer as usize, s.reduce as usize, s.inner as usize);
    if outer == 0 || reduce == 0 || inner == 0 || reduce > 1 << 23 {
        return Err(KernelError::BadShape);
    }
    if input.len() < s.input_len() || output.len() < s.output_len() {
        return Err(KernelError::BufferTooSmall);
    }
    crate::check_input_offset(s.input_offset)?;
    if !(-31..=30).contains(&s.shift) {
        return Err(KernelError::BadParams);
    }
    for (x, y) in input
        .chunks_exact(reduce * inner)
        .zip(output.chunks_exact_mut(inner))
        .take(outer)
    {
        for (c, out) in y.iter_mut().enumerate() {
            let mut acc = 0i32;
            for r in 0..reduce {
                acc += x[r * inner + c] as i32 + s.input_offset;
            }
            *out = multiply_by_quantized_multiplier(acc, s.multiplier, s.shift)
                .wrapping_add(s.output_offset)
                .clamp(-128, 127) as i8;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_middle_dimension() {
        // 1 × 4 × 2, mean over the 4: multiplier 1/4 (2^30 with shift −1).
        let s = MeanShape {
            outer: 1,
            reduce: 4,
            inner: 2,
            input_offset: 0,
            multiplier: 1 << 30,
            shift: -1,
            output_offset: 3,
        };
        let x = [1i8, 10, 2, 20, 3, 30, 5, 40];
        let mut y = [0i8; 2];
        mean(&s, &x, &mut y).unwrap();
        // 11 / 4 = 2.75 → 3, 100 / 4 = 25; plus the zero point 3.
        assert_eq!(y, [6, 28]);
        assert_eq!(mean(&s, &x[..7], &mut y), Err(KernelError::BufferTooSmall));
    }
}
