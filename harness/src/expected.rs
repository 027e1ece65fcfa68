//! The host's own answer for each case: same kernel crate, same seeded inputs, same
//! `case::run` the firmware calls — always the reference variant, so an optimized
//! variant on the device is checked against the reference's bytes.

use crate::config::suite::Case;
use tinybench_kernels::case::{self, Variant, Workspace};
use tinybench_kernels::checksum::fnv1a32;

/// Output checksum the device must reproduce for `case`.
pub fn expected_checksum(case: &Case) -> u32 {
    let b = case.buffers();
    let (mut x, mut w, mut bias, mut mult, mut shift, mut y, mut scratch) = (
        vec![0i8; b.input],
        vec![0i8; b.weights],
        vec![0i32; b.bias],
        vec![0i32; b.channels],
        vec![0i32; b.channels],
        vec![0i8; b.output],
        vec![0i16; b.scratch],
    );
    let mut ws = Workspace {
        input: &mut x,
        weights: &mut w,
        bias: &mut bias,
        multipliers: &mut mult,
        shifts: &mut shift,
        output: &mut y,
        scratch: &mut scratch,
    };
    case::fill(case.seed, &case.op, &mut ws);
    // Shapes were validated when the suite was loaded; a refusal here would mean the
    // validation and the kernel disagree, which the checksum then exposes.
    if case::run(&case.op, Variant::Reference, &mut ws).is_err() {
        return 0;
    }
    fnv1a32(&y[..case::output_len(&case.op)])
}
