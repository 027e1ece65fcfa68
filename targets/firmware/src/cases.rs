//! The case types the generated `suite.rs` instantiates, and running one case.

use crate::{arch, suite};
use core::hint::black_box;
use tinybench_kernels::{checksum::fnv1a32, fc};

/// One compiled-in benchmark case.
pub struct Case {
    pub kernel: Kernel,
    pub seed: u32,
    pub warmup: u16,
    pub reps: u16,
}

/// The kernel a case measures, with its parameters.
pub enum Kernel {
    FullyConnected { shape: fc::FcShape, params: fc::FcParams },
}

struct Buffers {
    input: [i8; suite::MAX_INPUT],
    weights: [i8; suite::MAX_WEIGHTS],
    bias: [i32; suite::MAX_BIAS],
    output: [i8; suite::MAX_OUTPUT],
}

static mut BUFFERS: Buffers = Buffers {
    input: [0; suite::MAX_INPUT],
    weights: [0; suite::MAX_WEIGHTS],
    bias: [0; suite::MAX_BIAS],
    output: [0; suite::MAX_OUTPUT],
};

pub fn run(id: u16, case: &Case) {
    // SAFETY: single-threaded firmware, no interrupts touch the buffers, and `run` is
    // never re-entered: this is the only live reference.
    let b = unsafe { &mut *core::ptr::addr_of_mut!(BUFFERS) };
    defmt::println!("TB case id={=u16}", id);
    match &case.kernel {
        Kernel::FullyConnected { shape, params } => {
            fc::fill_case(case.seed, *shape, &mut b.input, &mut b.weights, &mut b.bias);
            let n_out = shape.batches * shape.out_features;
            let call = |out: &mut [i8]| {
                fc::fully_connected(
                    black_box(params),
                    black_box(*shape),
                    black_box(&b.input[..]),
                    black_box(&b.weights[..]),
                    black_box(&b.bias[..]),
                    out,
                )
            };
            for _ in 0..case.warmup {
                if let Err(e) = call(&mut b.output[..n_out]) {
                    defmt::println!("TB kernel-error id={=u16} code={=u8}", id, e as u8);
                    return;
                }
            }
            for rep in 0..case.reps {
                let t0 = arch::read_counter();
                let r = call(&mut b.output[..n_out]);
                // --- selftest-slow-fc (issue 8): a fixed extra cost inside the timed
                // region of the larger FC cases, so compare has a known regression to find.
                #[cfg(feature = "selftest-slow-fc")]
                if shape.macs() > 1000 {
                    for i in 0..2000u32 {
                        black_box(i);
                    }
                }
                // --- end selftest-slow-fc
                let t1 = arch::read_counter();
                black_box(&r);
                defmt::println!("TB sample id={=u16} rep={=u16} count={=u32}", id, rep, arch::elapsed(t0, t1));
            }
            #[cfg(feature = "selftest-wrong-output")]
            if id == 0 {
                b.output[0] = b.output[0].wrapping_add(1);
            }
            defmt::println!("TB checksum id={=u16} value={=u32}", id, fnv1a32(&b.output[..n_out]));
        }
    }
}
