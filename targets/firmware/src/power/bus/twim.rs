//! `embedded_hal::i2c::I2c` on the nRF52840's TWIM0 (EasyDMA TWI master) at 400 kHz, SCL
//! and SDA from the target file's `[power.monitor]` (generated into `i2c.rs`).
//!
//! Written by hand on `nrf52840-pac` rather than taken from `nrf52840-hal`: the HAL's
//! `Twim` (0.19) does implement embedded-hal 1.0's `I2c` with a repeated start, but it
//! waits for STOPPED in an unbounded loop, so a bus held low would hang the firmware
//! before it reports anything, and it brings about ten more crates (USB, fixed-point,
//! storage, …) for one peripheral. Here every wait is a bounded poll, and a dead bus is
//! an error the host sees as `TB power-error`. Never run on hardware (docs/energy.md).
//!
//! Everything that is not a register access is in [`super::twim_plan`], tested on the
//! host.

use super::twim_plan::{
    gather, outcome, psel, scatter, Finished, Plan, Start, ENABLE_TWIM, FREQUENCY_K400,
    PIN_CNF_I2C, RX_MAX, TX_MAX,
};
use core::sync::atomic::{compiler_fence, Ordering};
use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, Operation};
use nrf52840_pac::{p0, twim0, P0, P1, TWIM0};

/// `SDA` and `SCL` as `(port, pin)`, from the target file.
mod pins {
    include!(concat!(env!("OUT_DIR"), "/i2c.rs"));
}

/// Polls of EVENTS_STOPPED before a transfer is abandoned. An INA226 register read is
/// about 50 bit times, 125 µs at 400 kHz; each poll is a peripheral read of a few cycles
/// at 64 MHz, so 100 000 polls is several milliseconds: far beyond any transfer here.
const POLLS: u32 = 100_000;

/// TWIM0, configured. Only one exists (the firmware takes the bus once; a second `take`
/// reconfigures the same peripheral).
pub struct Twim0 {
    _private: (),
}

fn twim() -> &'static twim0::RegisterBlock {
    // SAFETY: TWIM0's fixed MMIO block; the firmware is single-threaded, has no
    // interrupts and nothing else uses TWIM0 or the SPIM0/SPIS0/TWIS0 sharing its address.
    unsafe { &*TWIM0::ptr() }
}

fn port((port, _): (u8, u8)) -> &'static p0::RegisterBlock {
    // SAFETY: the GPIO port blocks, used here only for the two I2C pins' PIN_CNF.
    unsafe {
        if port == 0 {
            &*P0::ptr()
        } else {
            &*P1::ptr()
        }
    }
}

/// Configure the pins and TWIM0 (400 kHz) and return the bus.
pub fn take() -> Twim0 {
    let t = twim();
    // SAFETY (all `bits` writes below): values from the nRF52840 Product Specification,
    // named in twim_plan; the pins are the ones the target file gives for this bus.
    t.enable.write(|w| unsafe { w.bits(0) });
    for pin in [pins::SCL, pins::SDA] {
        port(pin).pin_cnf[usize::from(pin.1 & 31)].write(|w| unsafe { w.bits(PIN_CNF_I2C) });
    }
    t.psel.scl.write(|w| unsafe { w.bits(psel(pins::SCL)) });
    t.psel.sda.write(|w| unsafe { w.bits(psel(pins::SDA)) });
    t.frequency.write(|w| unsafe { w.bits(FREQUENCY_K400) });
    t.shorts.write(|w| unsafe { w.bits(0) });
    t.intenclr.write(|w| unsafe { w.bits(u32::MAX) });
    t.enable.write(|w| unsafe { w.bits(ENABLE_TWIM) });
    Twim0 { _private: () }
}

/// Poll EVENTS_STOPPED at most [`POLLS`] times; on EVENTS_ERROR (a NACK) trigger STOP,
/// which the TWIM does not do by itself. Returns (stopped, error seen).
fn wait_stopped(t: &twim0::RegisterBlock) -> (bool, bool) {
    let mut error = false;
    for _ in 0..POLLS {
        if t.events_stopped.read().bits() != 0 {
            return (true, error);
        }
        if !error && t.events_error.read().bits() != 0 {
            error = true;
            t.tasks_stop.write(|w| unsafe { w.bits(1) });
        }
    }
    (false, error)
}

impl ErrorType for Twim0 {
    type Error = ErrorKind;
}

impl I2c for Twim0 {
    fn transaction(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), ErrorKind> {
        let plan = Plan::new(ops, TX_MAX, RX_MAX)?;
        // EasyDMA reads and writes RAM only: the written bytes (possibly constants in
        // flash) are copied to the stack, and reads land on the stack first.
        let mut tx = [0u8; TX_MAX];
        let mut rx = [0u8; RX_MAX];
        gather(ops, &mut tx);
        let t = twim();
        // SAFETY (all `bits` writes below): the EasyDMA pointers are to `tx`/`rx`, which
        // outlive the transfer (it is finished or stopped before they go out of scope);
        // the counts are at most their lengths; the rest are task/event/short values.
        t.address
            .write(|w| unsafe { w.bits(u32::from(address & 0x7F)) });
        t.txd.ptr.write(|w| unsafe { w.bits(tx.as_ptr() as u32) });
        t.txd.maxcnt.write(|w| unsafe { w.bits(plan.tx as u32) });
        t.rxd
            .ptr
            .write(|w| unsafe { w.bits(rx.as_mut_ptr() as u32) });
        t.rxd.maxcnt.write(|w| unsafe { w.bits(plan.rx as u32) });
        t.events_stopped.write(|w| unsafe { w.bits(0) });
        t.events_error.write(|w| unsafe { w.bits(0) });
        t.events_lasttx.write(|w| unsafe { w.bits(0) });
        t.events_lastrx.write(|w| unsafe { w.bits(0) });
        // ERRORSRC bits are cleared by writing 1.
        t.errorsrc.write(|w| unsafe { w.bits(0b111) });
        t.shorts.write(|w| unsafe { w.bits(plan.shorts()) });
        // The DMA must see `tx` written before the transfer starts.
        compiler_fence(Ordering::SeqCst);
        match plan.start() {
            Start::Tx => t.tasks_starttx.write(|w| unsafe { w.bits(1) }),
            Start::Rx => t.tasks_startrx.write(|w| unsafe { w.bits(1) }),
        }
        let (stopped, error_event) = wait_stopped(t);
        if !stopped {
            // The bus is held: ask for a STOP once more, then disable and re-enable the
            // peripheral so the next transfer starts from idle (and EasyDMA no longer
            // points at this stack frame). The transfer still counts as failed.
            t.tasks_stop.write(|w| unsafe { w.bits(1) });
            let _ = wait_stopped(t);
            t.enable.write(|w| unsafe { w.bits(0) });
            t.enable.write(|w| unsafe { w.bits(ENABLE_TWIM) });
        }
        // ... and `rx` is read only after the DMA finished writing it.
        compiler_fence(Ordering::SeqCst);
        let finished = Finished {
            stopped,
            error_event,
            errorsrc: t.errorsrc.read().bits(),
            tx_amount: t.txd.amount.read().bits(),
            rx_amount: t.rxd.amount.read().bits(),
        };
        outcome(plan, finished)?;
        scatter(&rx[..plan.rx], ops);
        Ok(())
    }
}
