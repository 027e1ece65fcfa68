//! The case types the generated `suite.rs` instantiates, and running one case.

use crate::{suite, timed};
use core::hint::black_box;
use tinybench_kernels::case::{self, Op, Variant, Workspace};
use tinybench_kernels::checksum::fnv1a32;
use tinybench_target::frame;

/// One compiled-in benchmark case.
pub struct Case {
    pub op: Op,
    pub variant: Variant,
    pub seed: u32,
    pub warmup: u16,
    pub reps: u16,
}

/// One case's tensors, sized by the suite's largest case (the harness checks they fit
/// the target's RAM).
struct Buffers {
    input: [i8; suite::MAX_INPUT],
    weights: [i8; suite::MAX_WEIGHTS],
    bias: [i32; suite::MAX_BIAS],
    multipliers: [i32; suite::MAX_CHANNELS],
    shifts: [i32; suite::MAX_CHANNELS],
    output: [i8; suite::MAX_OUTPUT],
    scratch: [i16; suite::MAX_SCRATCH],
}

static mut BUFFERS: Buffers = Buffers {
    input: [0; suite::MAX_INPUT],
    weights: [0; suite::MAX_WEIGHTS],
    bias: [0; suite::MAX_BIAS],
    multipliers: [0; suite::MAX_CHANNELS],
    shifts: [0; suite::MAX_CHANNELS],
    output: [0; suite::MAX_OUTPUT],
    scratch: [0; suite::MAX_SCRATCH],
};

pub fn run(id: u16, case: &Case) {
    // SAFETY: single-threaded firmware, no interrupts touch the buffers, and `run` is
    // never re-entered: this is the only live reference.
    let b = unsafe { &mut *core::ptr::addr_of_mut!(BUFFERS) };
    frame::case(id);
    let n_out = case::output_len(&case.op).min(b.output.len());
    let mut ws = Workspace {
        input: &mut b.input,
        weights: &mut b.weights,
        bias: &mut b.bias,
        multipliers: &mut b.multipliers,
        shifts: &mut b.shifts,
        output: &mut b.output[..n_out],
        scratch: &mut b.scratch,
    };
    case::fill(case.seed, &case.op, &mut ws);
    let op = &case.op;
    let variant = case.variant;
    for _ in 0..case.warmup {
        if let Err(e) = case::run(black_box(op), black_box(variant), &mut ws) {
            frame::kernel_error(id, e as u8);
            return;
        }
    }
    for rep in 0..case.reps {
        let (count, r) = timed::region(id, rep, || {
            let r = case::run(black_box(op), black_box(variant), &mut ws);
            // --- selftest-slow-fc (issue 8): a fixed extra cost inside the timed region
            // of the larger FC cases, so compare has a known regression to find.
            #[cfg(feature = "selftest-slow-fc")]
            if matches!(op, Op::FullyConnected { .. }) && op.macs() > 1000 {
                for i in 0..2000u32 {
                    black_box(i);
                }
            }
            // --- end selftest-slow-fc
            r
        });
        black_box(&r);
        frame::sample(id, rep, count);
    }
    #[cfg(feature = "selftest-wrong-output")]
    if id == 0 {
        ws.output[0] = ws.output[0].wrapping_add(1);
    }
    frame::checksum(id, fnv1a32(ws.output));
}
