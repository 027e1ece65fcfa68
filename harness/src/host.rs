//! The host's own answer for each case: same kernel crate, same seeded inputs.

use crate::config::suite::{Case, KernelCase};
use tinybench_kernels::{checksum::fnv1a32, fc};

/// Output checksum the device must reproduce for `case`.
pub fn expected_checksum(case: &Case) -> u32 {
    match case.kernel {
        KernelCase::FullyConnected { shape, params } => {
            let b = case.buffers();
            let (mut x, mut w, mut bias, mut y) = (
                vec![0i8; b.input],
                vec![0i8; b.weights],
                vec![0i32; b.bias],
                vec![0i8; b.output],
            );
            fc::fill_case(case.seed, shape, &mut x, &mut w, &mut bias);
            // Shapes were validated when the suite was loaded; a refusal here would mean
            // the validation and the kernel disagree, which the checksum then exposes.
            if fc::fully_connected(&params, shape, &x, &w, &bias, &mut y).is_err() {
                return 0;
            }
            fnv1a32(&y)
        }
    }
}
