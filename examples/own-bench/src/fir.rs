//! A Q15 fixed-point FIR filter: 32 taps over 256 samples (8192 multiply-accumulates),
//! 64-bit accumulation, rounded and saturated back to Q15.

use tinybench_target::{Fnv1a, Output};

/// Filter taps.
pub const TAPS: usize = 32;
/// Output samples per call.
pub const N: usize = 256;
/// The checksum of [`run`]'s result and output on [`setup`]'s input (host test in lib.rs).
pub const EXPECTED: u32 = 0xbf65_8d30;

/// Coefficients, input history (TAPS − 1 older samples first) and output.
pub struct Fir {
    /// Q15 coefficients.
    pub coeffs: [i16; TAPS],
    /// Q15 input: `TAPS - 1` samples of history, then `N` new ones.
    pub input: [i16; N + TAPS - 1],
    /// Q15 output.
    pub output: [i16; N],
}

/// The checksum covers the output only (the input and coefficients never change).
impl Output for Fir {
    fn feed(&self, h: &mut Fnv1a) {
        self.output.feed(h);
    }
}

/// Seeded coefficients (small, so the sum stays in range) and input.
pub fn setup() -> Fir {
    let mut rng = crate::Lcg(0x5EED_F1F0);
    let mut f = Fir {
        coeffs: [0; TAPS],
        input: [0; N + TAPS - 1],
        output: [0; N],
    };
    for c in f.coeffs.iter_mut() {
        *c = (rng.next_u32() >> 16) as i16 >> 3;
    }
    for x in f.input.iter_mut() {
        *x = (rng.next_u32() >> 16) as i16;
    }
    f
}

/// Filter the whole input: `output[n] = sat(round(Σ coeffs[k] · input[n + TAPS-1 - k]))`.
/// Returns the number of saturated samples.
pub fn run(f: &mut Fir) -> u16 {
    let mut saturated = 0;
    for n in 0..N {
        let mut acc: i64 = 0;
        for k in 0..TAPS {
            acc += f.coeffs[k] as i64 * f.input[n + TAPS - 1 - k] as i64;
        }
        let y = (acc + (1 << 14)) >> 15;
        let clamped = y.clamp(i16::MIN as i64, i16::MAX as i64);
        saturated += (clamped != y) as u16;
        f.output[n] = clamped as i16;
    }
    saturated
}
