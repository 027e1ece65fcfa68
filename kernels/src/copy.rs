//! Data movement without arithmetic, as one strided copy over up to six dimensions:
//! `TRANSPOSE` (permuted source strides), `STRIDED_SLICE`/`SLICE`/`SPLIT`/`UNPACK`
//! (a source start and strides), one input of `CONCATENATION`/`PACK` (a destination
//! start and strides into the output) and `PAD` (the output filled with the zero point,
//! the input copied into its interior). The importer computes the strides; the kernel
//! only walks them.

use crate::KernelError;

/// Dimensions of a copy.
pub const COPY_DIMS: usize = 6;

/// One strided copy: for every index `i` over `dims`,
/// `dst[dst_start + Σ i·dst_strides] = src[src_start + Σ i·src_strides]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CopyShape {
    /// Extent of each dimension, outermost first.
    pub dims: [u32; COPY_DIMS],
    /// Source element strides.
    pub src_strides: [u32; COPY_DIMS],
    /// First source element.
    pub src_start: u32,
    /// Destination element strides.
    pub dst_strides: [u32; COPY_DIMS],
    /// First destination element.
    pub dst_start: u32,
    /// Fill the whole destination with this value first (`PAD`, and the first input of
    /// a concatenation so no byte of the output depends on what the arena held before).
    pub fill: Option<i8>,
}

impl CopyShape {
    /// Elements copied.
    pub fn len(&self) -> usize {
        self.dims.iter().map(|&d| d as usize).product()
    }
    /// True when nothing is copied.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn last(&self, start: u32, strides: &[u32; COPY_DIMS]) -> Option<usize> {
        self.dims
            .iter()
            .zip(strides)
            .try_fold(start as usize, |acc, (&d, &s)| {
                let d = (d as usize).checked_sub(1)?;
                acc.checked_add(d.checked_mul(s as usize)?)
            })
    }
}

/// Run the copy.
#[inline(never)]
pub fn strided_copy(s: &CopyShape, src: &[i8], dst: &mut [i8]) -> Result<(), KernelError> {
    if s.is_empty() {
        return Err(KernelError::BadShape);
    }
    let (Some(ls), Some(ld)) = (
        s.last(s.src_start, &s.src_strides),
        s.last(s.dst_start, &s.dst_strides),
    ) else {
        return Err(KernelError::BadShape);
    };
    if ls >= src.len() || ld >= dst.len() {
        return Err(KernelError::BufferTooSmall);
    }
    if let Some(v) = s.fill {
        dst.fill(v);
    }
    let d = s.dims.map(|v| v as usize);
    let (ss, ds) = (
        s.src_strides.map(|v| v as usize),
        s.dst_strides.map(|v| v as usize),
    );
    let inner = d[COPY_DIMS - 1];
    let rows = s.len() / inner;
    let contiguous = ss[COPY_DIMS - 1] == 1 && ds[COPY_DIMS - 1] == 1;
    let mut idx = [0usize; COPY_DIMS - 1];
    for _ in 0..rows {
        let so = s.src_start as usize + idx.iter().zip(&ss).map(|(i, s)| i * s).sum::<usize>();
        let dof = s.dst_start as usize + idx.iter().zip(&ds).map(|(i, s)| i * s).sum::<usize>();
        if contiguous {
            dst[dof..dof + inner].copy_from_slice(&src[so..so + inner]);
        } else {
            let (is, id) = (ss[COPY_DIMS - 1], ds[COPY_DIMS - 1]);
            for k in 0..inner {
                dst[dof + k * id] = src[so + k * is];
            }
        }
        for k in (0..COPY_DIMS - 1).rev() {
            idx[k] += 1;
            if idx[k] < d[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    Ok(())
}

/// A 256-entry table lookup, `output[i] = table[input[i] + 128]`: every int8 → int8
/// pointwise op (`LOGISTIC`, `TANH`, `HARD_SWISH`, `LEAKY_RELU`, `RELU`, `RELU6`,
/// requantizing `QUANTIZE`, …). The host fills the table by running TFLite's integer
/// arithmetic on each of the 256 inputs, so the lookup is bit-exact with it by
/// construction (TFLite's own optimized int8 kernels use tables the same way).
#[inline(never)]
pub fn lookup(table: &[i8], input: &[i8], output: &mut [i8]) -> Result<(), KernelError> {
    let table: &[i8; 256] = table.try_into().map_err(|_| KernelError::BadParams)?;
    if input.is_empty() {
        return Err(KernelError::BadShape);
    }
    if output.len() < input.len() {
        return Err(KernelError::BufferTooSmall);
    }
    for (y, &x) in output.iter_mut().zip(input) {
        *y = table[(x as i32 + 128) as usize];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_pad_and_lookup() {
        // 2x3 → 3x2 transpose: output dims 3x2, source strides (1, 3).
        let t = CopyShape {
            dims: [1, 1, 1, 1, 3, 2],
            src_strides: [0, 0, 0, 0, 1, 3],
            src_start: 0,
            dst_strides: [0, 0, 0, 0, 2, 1],
            dst_start: 0,
            fill: None,
        };
        let mut out = [0i8; 6];
        strided_copy(&t, &[1, 2, 3, 4, 5, 6], &mut out).unwrap();
        assert_eq!(out, [1, 4, 2, 5, 3, 6]);
        // Pad a 2-vector by one on each side with −7.
        let p = CopyShape {
            dims: [1, 1, 1, 1, 1, 2],
            src_strides: [0, 0, 0, 0, 0, 1],
            src_start: 0,
            dst_strides: [0, 0, 0, 0, 0, 1],
            dst_start: 1,
            fill: Some(-7),
        };
        let mut out = [0i8; 4];
        strided_copy(&p, &[5, 6], &mut out).unwrap();
        assert_eq!(out, [-7, 5, 6, -7]);
        assert_eq!(
            strided_copy(&p, &[5], &mut out),
            Err(KernelError::BufferTooSmall)
        );
        let table: [i8; 256] = core::array::from_fn(|i| (i as i32 - 128).max(0) as i8);
        let mut y = [0i8; 3];
        lookup(&table, &[-5, 0, 9], &mut y).unwrap();
        assert_eq!(y, [0, 0, 9]);
    }
}
