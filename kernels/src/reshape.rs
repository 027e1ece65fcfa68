//! Reshape and flatten as views: an int8 tensor is a flat slice plus dimensions, so
//! changing its shape never copies — only the element count must agree.

use crate::KernelError;

/// A borrowed int8 tensor of up to four dimensions (unused trailing dims are 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorView<'a> {
    data: &'a [i8],
    dims: [usize; 4],
}

fn count(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

impl<'a> TensorView<'a> {
    /// View `data` with `dims` (at most four); the element count must match exactly.
    pub fn new(data: &'a [i8], dims: &[usize]) -> Result<Self, KernelError> {
        if dims.is_empty() || dims.len() > 4 || dims.contains(&0) {
            return Err(KernelError::BadShape);
        }
        if count(dims) != Some(data.len()) {
            return Err(KernelError::BadShape);
        }
        let mut d = [1; 4];
        d[..dims.len()].copy_from_slice(dims);
        Ok(TensorView { data, dims: d })
    }

    /// The same bytes with other dimensions (TFLite `RESHAPE`).
    pub fn reshape(&self, dims: &[usize]) -> Result<TensorView<'a>, KernelError> {
        TensorView::new(self.data, dims)
    }

    /// Keep the first dimension, merge the rest (Keras `Flatten`).
    pub fn flatten(&self) -> TensorView<'a> {
        let rest = self.dims[1] * self.dims[2] * self.dims[3];
        TensorView {
            data: self.data,
            dims: [self.dims[0], rest, 1, 1],
        }
    }

    /// Dimensions (trailing ones padded with 1).
    pub fn dims(&self) -> [usize; 4] {
        self.dims
    }

    /// The elements, in row-major order.
    pub fn data(&self) -> &'a [i8] {
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_is_a_view_with_checked_count() {
        let buf = [1i8, 2, 3, 4, 5, 6];
        let v = TensorView::new(&buf, &[1, 2, 3]).unwrap();
        let r = v.reshape(&[3, 2]).unwrap();
        assert_eq!(r.dims(), [3, 2, 1, 1]);
        assert!(core::ptr::eq(r.data(), &buf[..]));
        assert_eq!(v.flatten().dims(), [1, 6, 1, 1]);
        assert_eq!(v.reshape(&[4, 2]), Err(KernelError::BadShape));
        assert_eq!(TensorView::new(&buf, &[6, 0]), Err(KernelError::BadShape));
    }
}
