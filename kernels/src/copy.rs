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

/// The copy's dimensions with every pair of neighbours that is contiguous in both source
/// and destination merged into one (and extents of 1 dropped), right-aligned: the same
/// element order, with inner runs as long as the layout allows (a concatenation along
/// channels of `[1, 12, 12, 8]` tensors copies 8-byte runs, not 8 single bytes).
fn merged(s: &CopyShape) -> ([usize; COPY_DIMS], [usize; COPY_DIMS], [usize; COPY_DIMS]) {
    let mut d = [1usize; COPY_DIMS];
    let mut ss = [0usize; COPY_DIMS];
    let mut ds = [0usize; COPY_DIMS];
    // Filled from the innermost dimension outwards; `n` dimensions kept so far.
    let mut n = 0;
    for k in (0..COPY_DIMS).rev() {
        let (e, a, b) = (
            s.dims[k] as usize,
            s.src_strides[k] as usize,
            s.dst_strides[k] as usize,
        );
        if e == 1 {
            continue;
        }
        let at = COPY_DIMS - n;
        if n > 0 && a == d[at] * ss[at] && b == d[at] * ds[at] {
            d[at] *= e;
            continue;
        }
        n += 1;
        (d[at - 1], ss[at - 1], ds[at - 1]) = (e, a, b);
    }
    (d, ss, ds)
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
    let (d, ss, ds) = merged(s);
    let inner = d[COPY_DIMS - 1];
    let rows = s.len() / inner;
    let (is, id) = (ss[COPY_DIMS - 1], ds[COPY_DIMS - 1]);
    let mut idx = [0usize; COPY_DIMS - 1];
    // Row offsets are stepped, not recomputed: one add per row, a subtract per wrap.
    let (mut so, mut dof) = (s.src_start as usize, s.dst_start as usize);
    for _ in 0..rows {
        let (src_row, dst_row) = (&src[so..], &mut dst[dof..]);
        if is == 1 && id == 1 {
            dst_row[..inner].copy_from_slice(&src_row[..inner]);
        } else {
            for k in 0..inner {
                dst_row[k * id] = src_row[k * is];
            }
        }
        for k in (0..COPY_DIMS - 1).rev() {
            idx[k] += 1;
            so += ss[k];
            dof += ds[k];
            if idx[k] < d[k] {
                break;
            }
            so -= d[k] * ss[k];
            dof -= d[k] * ds[k];
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

    /// The copy one element at a time, straight from the definition.
    fn naive(s: &CopyShape, src: &[i8], dst: &mut [i8]) {
        if let Some(v) = s.fill {
            dst.fill(v);
        }
        for flat in 0..s.len() {
            let (mut rest, mut so, mut dof) = (flat, s.src_start as usize, s.dst_start as usize);
            for k in (0..COPY_DIMS).rev() {
                let i = rest % s.dims[k] as usize;
                rest /= s.dims[k] as usize;
                so += i * s.src_strides[k] as usize;
                dof += i * s.dst_strides[k] as usize;
            }
            dst[dof] = src[so];
        }
    }

    #[test]
    fn merged_dimensions_copy_the_same_elements_as_the_definition() {
        let mut rng = crate::rng::Rng::new(17);
        for _ in 0..400 {
            // A random tensor in a random layout, copied into a random sub-box of a
            // larger one: contiguous, strided and permuted dimensions mixed.
            let mut dims = [1u32; COPY_DIMS];
            for d in dims.iter_mut().skip(2) {
                *d = 1 + rng.next_u32() % 4;
            }
            let mut src_strides = [0u32; COPY_DIMS];
            let mut dst_strides = [0u32; COPY_DIMS];
            let (mut sa, mut da) = (1u32, 1u32);
            // The source's dimension order: natural, or the inner four reversed (a
            // transpose); either may leave gaps between rows.
            let mut order = [0, 1, 2, 3, 4, 5];
            if rng.next_u32().is_multiple_of(2) {
                order[2..].reverse();
            }
            for k in (0..COPY_DIMS).rev() {
                let j = order[k];
                src_strides[j] = sa;
                sa *= dims[j] + rng.next_u32() % 2;
                dst_strides[k] = da;
                da *= dims[k] + rng.next_u32() % 2;
            }
            let s = CopyShape {
                dims,
                src_strides,
                src_start: rng.next_u32() % 3,
                dst_strides,
                dst_start: rng.next_u32() % 3,
                fill: (rng.next_u32().is_multiple_of(2)).then_some(-3),
            };
            let (Some(ls), Some(ld)) = (
                s.last(s.src_start, &s.src_strides),
                s.last(s.dst_start, &s.dst_strides),
            ) else {
                continue;
            };
            let src: std::vec::Vec<i8> = (0..=ls).map(|i| (i * 7 % 251) as i8).collect();
            let (mut want, mut got) = (vec![9i8; ld + 1], vec![9i8; ld + 1]);
            naive(&s, &src, &mut want);
            strided_copy(&s, &src, &mut got).unwrap();
            assert_eq!(got, want, "{s:?}");
        }
    }

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
