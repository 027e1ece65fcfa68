//! The register-free half of the nRF52840 TWIM driver ([`super::twim`]): which
//! transactions one EasyDMA transfer can do, the SHORTS and start task for it, gathering
//! the written bytes into RAM, ERRORSRC → `embedded_hal` error kinds.
//!
//! Only `core` and `embedded-hal` are used here, so tinybench's host tests compile this
//! same file (`harness/tests/twim_plan.rs`); nothing here touches hardware.

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource, Operation};

/// Bytes one transaction may write: the RAM copy EasyDMA reads from (the INA226 needs 3).
pub const TX_MAX: usize = 16;
/// Bytes one transaction may read (the INA226 reads 2).
pub const RX_MAX: usize = 16;

/// SHORTS bits (nRF52840 Product Specification, TWIM registers, SHORTS).
pub const SHORT_LASTTX_STARTRX: u32 = 1 << 7;
/// LASTTX → STOP.
pub const SHORT_LASTTX_STOP: u32 = 1 << 9;
/// LASTRX → STOP.
pub const SHORT_LASTRX_STOP: u32 = 1 << 12;

/// ERRORSRC bits (same section): the read overran, the address or a data byte was NACKed.
pub const ERRORSRC_OVERRUN: u32 = 1 << 0;
/// Address NACK.
pub const ERRORSRC_ANACK: u32 = 1 << 1;
/// Data NACK.
pub const ERRORSRC_DNACK: u32 = 1 << 2;

/// GPIO PIN_CNF for both I2C lines: input buffer connected, pull-up, drive S0D1 (standard
/// 0, disconnected 1: open drain), no sense. The PS asks for S0D1 on TWIM pins; the
/// internal pull-up (about 13 kΩ) only helps a breakout's own pull-ups.
pub const PIN_CNF_I2C: u32 = (3 << 2) | (6 << 8);

/// FREQUENCY value for 400 kbps.
pub const FREQUENCY_K400: u32 = 0x0640_0000;
/// ENABLE value that enables TWIM (0 disables).
pub const ENABLE_TWIM: u32 = 6;

/// Which task starts a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// TASKS_STARTTX.
    Tx,
    /// TASKS_STARTRX.
    Rx,
}

pub use super::transfer::Plan;

/// What one EasyDMA transfer adds to a [`Plan`]: its SHORTS and start task.
impl Plan {
    /// SHORTS for the transfer: the last written byte starts the read (repeated start)
    /// or stops; the last read byte stops.
    pub fn shorts(&self) -> u32 {
        match (self.tx, self.rx) {
            (0, _) => SHORT_LASTRX_STOP,
            (_, 0) => SHORT_LASTTX_STOP,
            _ => SHORT_LASTTX_STARTRX | SHORT_LASTRX_STOP,
        }
    }

    /// The task that starts it.
    pub fn start(&self) -> Start {
        if self.tx == 0 {
            Start::Rx
        } else {
            Start::Tx
        }
    }
}

/// Copy every write operation's bytes, in order, into `tx` (EasyDMA reads only RAM, and
/// the bytes may be in flash). `tx` must hold [`Plan::tx`] bytes.
pub fn gather(ops: &[Operation<'_>], tx: &mut [u8]) {
    let mut at = 0;
    for op in ops {
        if let Operation::Write(b) = op {
            tx[at..at + b.len()].copy_from_slice(b);
            at += b.len();
        }
    }
}

/// Hand the bytes read back to the read operations, in order.
pub fn scatter(rx: &[u8], ops: &mut [Operation<'_>]) {
    let mut at = 0;
    for op in ops {
        if let Operation::Read(b) = op {
            b.copy_from_slice(&rx[at..at + b.len()]);
            at += b.len();
        }
    }
}

/// PSEL value of pin `port.pin` (PIN bits 0–4, PORT bit 5, CONNECT bit 31 = 0: connected).
pub fn psel((port, pin): (u8, u8)) -> u32 {
    u32::from(pin & 31) | (u32::from(port & 1) << 5)
}

/// The error ERRORSRC names, if any: an address NACK first (nothing answered), then a
/// data NACK, then an overrun.
pub fn error_kind(errorsrc: u32) -> Option<ErrorKind> {
    if errorsrc & ERRORSRC_ANACK != 0 {
        Some(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address))
    } else if errorsrc & ERRORSRC_DNACK != 0 {
        Some(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data))
    } else if errorsrc & ERRORSRC_OVERRUN != 0 {
        Some(ErrorKind::Overrun)
    } else {
        None
    }
}

/// What a finished (or abandoned) transfer amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// EVENTS_STOPPED came within the poll bound.
    pub stopped: bool,
    /// EVENTS_ERROR came.
    pub error_event: bool,
    /// ERRORSRC after the transfer.
    pub errorsrc: u32,
    /// TXD.AMOUNT.
    pub tx_amount: u32,
    /// RXD.AMOUNT.
    pub rx_amount: u32,
}

/// The transfer's result. No STOPPED within the poll bound means the bus is held (a
/// line stuck low, no pull-ups, nothing powered): `ErrorKind::Bus`, never a hang. An
/// ERRORSRC bit gives its kind; an ERROR event without one is `Bus`; fewer bytes moved
/// than planned is `Other`.
pub fn outcome(plan: Plan, f: Finished) -> Result<(), ErrorKind> {
    if let Some(kind) = error_kind(f.errorsrc) {
        return Err(kind);
    }
    if !f.stopped || f.error_event {
        return Err(ErrorKind::Bus);
    }
    if f.tx_amount as usize != plan.tx || f.rx_amount as usize != plan.rx {
        return Err(ErrorKind::Other);
    }
    Ok(())
}
