//! int8 `BATCH_MATMUL`: `out[b, i, j] = Σ_k (lhs[b, i, k] − zl)·(rhs[b, k, j] − zr)`,
//! requantized by one per-tensor multiplier (TFLite's `MultiplyByQuantizedMultiplier`),
//! as TFLite's reference kernel computes it. The operands are read through strides, so
//! the adjoint flags (`adj_x`, `adj_y`: a transposed operand) and a batch broadcast (a
//! batch stride of 0) cost no copy.
//!
//! One implementation for both kernel variants: the corpus's matmuls are a few hundred
//! MACs (attention-like products of two activations), not worth a second kernel yet.

use crate::quant::multiply_by_quantized_multiplier;
use crate::KernelError;

/// Geometry: `batches` products of a `rows`×`depth` and a `depth`×`cols` matrix, each
/// operand addressed through element strides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BatchMatMulShape {
    /// Products.
    pub batches: u32,
    /// Rows of the left operand (and of the output).
    pub rows: u32,
    /// The summed dimension.
    pub depth: u32,
    /// Columns of the right operand (and of the output).
    pub cols: u32,
    /// Left operand: elements from one batch to the next (0: broadcast), one row to the
    /// next, one depth step to the next.
    pub lhs_strides: [u32; 3],
    /// Right operand: batch, depth and column strides.
    pub rhs_strides: [u32; 3],
}

/// Quantization: both input offsets, the output's, one multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BatchMatMulParams {
    /// `-lhs_zero_point`.
    pub lhs_offset: i32,
    /// `-rhs_zero_point`.
    pub rhs_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multiplier.
    pub multiplier: i32,
    /// Its shift (positive: left).
    pub shift: i32,
}

impl BatchMatMulShape {
    /// Multiply-accumulates.
    pub fn macs(&self) -> u64 {
        self.batches as u64 * self.rows as u64 * self.depth as u64 * self.cols as u64
    }

    /// Elements of the output.
    pub fn output_len(&self) -> usize {
        self.batches as usize * self.rows as usize * self.cols as usize
    }

    /// One past the last element operand `strides` reaches, or `None` on overflow.
    fn reach(&self, s: [u32; 3], second: u32, third: u32) -> Option<usize> {
        let last = |n: u32, st: u32| (n as usize).checked_sub(1)?.checked_mul(st as usize);
        last(self.batches, s[0])?
            .checked_add(last(second, s[1])?)?
            .checked_add(last(third, s[2])?)?
            .checked_add(1)
    }
}

/// The batched product into `output` (row-major `batches × rows × cols`).
pub fn batch_matmul(
    p: &BatchMatMulParams,
    s: &BatchMatMulShape,
    lhs: &[i8],
    rhs: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    if [s.batches, s.rows, s.depth, s.cols].contains(&0) {
        return Err(KernelError::BadShape);
    }
    crate::check_input_offset(p.lhs_offset)?;
    crate::check_input_offset(p.rhs_offset)?;
    let l_end = s.reach(s.lhs_strides, s.rows, s.depth);
    let r_end = s.reach(s.rhs_strides, s.depth, s.cols);
    let (Some(l_end), Some(r_end)) = (l_end, r_end) else {
        return Err(KernelError::BadShape);
    };
    if lhs.len() < l_end || rhs.len() < r_end || output.len() < s.output_len() {
        return Err(KernelError::BufferTooSmall);
    }
    let [lb, lr, lk] = s.lhs_strides.map(|v| v as usize);
    let [rb, rk, rc] = s.rhs_strides.map(|v| v as usize);
    let mut at = 0;
    for b in 0..s.batches as usize {
        for i in 0..s.rows as usize {
            let row = b * lb + i * lr;
            for j in 0..s.cols as usize {
                let col = b * rb + j * rc;
                let mut acc = 0i32;
                for k in 0..s.depth as usize {
                    let x = lhs[row + k * lk] as i32 + p.lhs_offset;
                    let y = rhs[col + k * rk] as i32 + p.rhs_offset;
                    acc = acc.wrapping_add(x * y);
                }
                let v = multiply_by_quantized_multiplier(acc, p.multiplier, p.shift)
                    .wrapping_add(p.output_offset);
                output[at] = v.clamp(-128, 127) as i8;
                at += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_its_transpose_and_a_broadcast_batch() {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]], scale ×1.
        let p = BatchMatMulParams {
            lhs_offset: 0,
            rhs_offset: 0,
            output_offset: 0,
            multiplier: 1 << 30,
            shift: 1,
        };
        let (a, b) = ([1i8, 2, 3, 4], [5i8, 6, 7, 8]);
        let mut s = BatchMatMulShape {
            batches: 1,
            rows: 2,
            depth: 2,
            cols: 2,
            lhs_strides: [4, 2, 1],
            rhs_strides: [4, 2, 1],
        };
        let mut y = [0i8; 4];
        batch_matmul(&p, &s, &a, &b, &mut y).unwrap();
        assert_eq!(y, [19, 22, 43, 50]);
        // adj_y: b read transposed, [[5, 7], [6, 8]].
        s.rhs_strides = [4, 1, 2];
        batch_matmul(&p, &s, &a, &b, &mut y).unwrap();
        assert_eq!(y, [17, 23, 39, 53]);
        // Two batches of a against one b (broadcast), offsets −1 on a.
        let a2 = [1i8, 2, 3, 4, 2, 2, 2, 2];
        let s2 = BatchMatMulShape {
            batches: 2,
            lhs_strides: [4, 2, 1],
            rhs_strides: [0, 2, 1],
            ..s
        };
        let p2 = BatchMatMulParams {
            lhs_offset: -1,
            ..p
        };
        let mut y2 = [0i8; 8];
        batch_matmul(&p2, &s2, &a2, &b, &mut y2).unwrap();
        assert_eq!(y2, [7, 8, 31, 36, 12, 14, 12, 14]);
        assert_eq!(
            batch_matmul(&p2, &s2, &a2[..7], &b, &mut y2),
            Err(KernelError::BufferTooSmall)
        );
    }
}
