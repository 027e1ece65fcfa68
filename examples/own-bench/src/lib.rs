//! The code being measured: plain `no_std` Rust that builds for the microcontroller (the
//! benchmarks in `main.rs`) and for the host (the tests below, which pin the checksums
//! the device must report).
#![no_std]

pub mod crc;
pub mod fir;

/// A seeded pseudo-random sequence for inputs (a 32-bit LCG, Numerical Recipes' constants):
/// the same bytes on the host and on every target.
pub struct Lcg(pub u32);

impl Lcg {
    /// The next value.
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinybench_target::checksum;

    #[test]
    fn crc32_of_the_standard_check_string() {
        assert_eq!(crc::crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn fir_of_an_impulse_is_its_coefficients() {
        let mut f = fir::Fir {
            coeffs: [0; fir::TAPS],
            input: [0; fir::N + fir::TAPS - 1],
            output: [0; fir::N],
        };
        f.coeffs[0] = 0x4000; // 0.5 in Q15
        f.coeffs[1] = -0x2000; // -0.25
        f.input[fir::TAPS - 1] = 0x7000;
        fir::run(&mut f);
        assert_eq!(&f.output[..3], &[0x3800, -0x1c00, 0]);
    }

    /// What the device must report: the host runs the same functions on the same inputs
    /// and the same checksum (`tinybench_target::checksum` of the result and the state).
    #[test]
    fn the_pinned_checksums_are_the_hosts() {
        let mut f = fir::setup();
        let r = fir::run(&mut f);
        assert_eq!(
            checksum(&(r, &f)),
            fir::EXPECTED,
            "fir: {:#010x}",
            checksum(&(r, &f))
        );
        let mut c = crc::setup();
        let r = crc::run(&mut c);
        assert_eq!(
            checksum(&(r, &c)),
            crc::EXPECTED,
            "crc: {:#010x}",
            checksum(&(r, &c))
        );
    }
}
