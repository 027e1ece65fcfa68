//! The output checksum a benchmark reports: 32-bit FNV-1a over the little-endian bytes of
//! its output, the function the suites' kernels use (`tinybench_kernels::checksum`), kept
//! here as a few lines rather than a dependency on the kernel crate, which your code does
//! not need. It builds on the host too: a host test of the same function computes the
//! value to pin with [`crate::Bench::expect`].

/// Incremental 32-bit FNV-1a.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u32);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a::new()
    }
}

impl Fnv1a {
    /// The FNV-1a offset basis.
    pub const fn new() -> Fnv1a {
        Fnv1a(0x811C_9DC5)
    }

    /// Feed bytes.
    #[inline]
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u32;
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }

    /// The hash so far.
    pub const fn finish(&self) -> u32 {
        self.0
    }
}

/// What a benchmark's result may be: its bytes go into the checksum, little-endian.
pub trait Output {
    /// Feed this value's bytes.
    fn feed(&self, h: &mut Fnv1a);
}

macro_rules! int_output {
    ($($t:ty),*) => {$(
        impl Output for $t {
            fn feed(&self, h: &mut Fnv1a) {
                h.write(&self.to_le_bytes());
            }
        }
    )*};
}
int_output!(u8, i8, u16, i16, u32, i32, u64, i64);

impl Output for () {
    fn feed(&self, _: &mut Fnv1a) {}
}

impl Output for bool {
    fn feed(&self, h: &mut Fnv1a) {
        h.write(&[*self as u8]);
    }
}

impl<T: Output> Output for [T] {
    fn feed(&self, h: &mut Fnv1a) {
        for v in self {
            v.feed(h);
        }
    }
}

impl<T: Output, const N: usize> Output for [T; N] {
    fn feed(&self, h: &mut Fnv1a) {
        self.as_slice().feed(h);
    }
}

impl<T: Output + ?Sized> Output for &T {
    fn feed(&self, h: &mut Fnv1a) {
        (**self).feed(h);
    }
}

impl<T: Output + ?Sized> Output for &mut T {
    fn feed(&self, h: &mut Fnv1a) {
        (**self).feed(h);
    }
}

impl<A: Output, B: Output> Output for (A, B) {
    fn feed(&self, h: &mut Fnv1a) {
        self.0.feed(h);
        self.1.feed(h);
    }
}

/// The checksum of one value, as the device reports it.
pub fn checksum<T: Output + ?Sized>(value: &T) -> u32 {
    let mut h = Fnv1a::new();
    value.feed(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_vectors_and_the_kernels_byte_order() {
        assert_eq!(checksum(&()), 0x811C_9DC5);
        assert_eq!(checksum(&b'a'), 0xE40C_292C);
        // An i16 slice is its little-endian bytes, in order.
        assert_eq!(checksum(&[0x6261i16][..]), checksum(b"ab"));
        assert_eq!(checksum(&0x6261u16), checksum(b"ab"));
    }
}
