//! The shape of an I2C transaction both bus drivers can do, register-free: writes, then
//! reads after a repeated start ([`super::twim_plan`], [`super::stm32_i2c_plan`] add what
//! each peripheral needs on top).
//!
//! Only `core` and `embedded-hal` are used here, so tinybench's host tests compile this
//! same file next to each driver's plan (`harness/tests/twim_plan.rs`,
//! `harness/tests/stm32_i2c_plan.rs`).

use embedded_hal::i2c::{ErrorKind, Operation};

/// A transaction: `tx` bytes written, then (repeated start, no STOP between) `rx` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Bytes written (all write operations, in order, back to back).
    pub tx: usize,
    /// Bytes read (all read operations, in order, back to back).
    pub rx: usize,
}

impl Plan {
    /// Plan a transaction: writes followed by reads (`write`, `read`, `write_read`, the
    /// INA226's register reads needing the repeated start). Consecutive operations of one
    /// kind are one run of bytes, as `embedded_hal`'s transaction contract says. A write
    /// after a read, nothing to transfer, or more than `tx_max` bytes written or `rx_max`
    /// read is `ErrorKind::Other`: the monitor never asks for them.
    pub fn new(ops: &[Operation<'_>], tx_max: usize, rx_max: usize) -> Result<Plan, ErrorKind> {
        let mut plan = Plan { tx: 0, rx: 0 };
        for op in ops {
            match op {
                Operation::Write(b) if plan.rx == 0 => plan.tx += b.len(),
                Operation::Write([]) => {}
                Operation::Write(_) => return Err(ErrorKind::Other),
                Operation::Read(b) => plan.rx += b.len(),
            }
        }
        if plan.tx + plan.rx == 0 || plan.tx > tx_max || plan.rx > rx_max {
            return Err(ErrorKind::Other);
        }
        Ok(plan)
    }
}
