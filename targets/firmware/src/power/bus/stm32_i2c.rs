//! `embedded_hal::i2c::I2c` on the STM32L4R5's I2C1 (the STM32L4 "I2C v2" peripheral:
//! TIMINGR, CR2 with NBYTES/AUTOEND, ISR/ICR) at 100 kHz standard mode, SCL and SDA
//! from the target file's `[power.monitor]` (generated into `i2c.rs`; PB8/PB9 on the
//! NUCLEO-L4R5ZI's Arduino D15/D14).
//!
//! Written by hand on the `stm32l4` PAC (feature `stm32l4r5`, registers only, no `rt`)
//! rather than taken from `stm32l4xx-hal`, for the same reasons as the nRF52840's TWIM
//! glue: the HAL's I2C waits for its flags in unbounded loops, so a bus held low would
//! hang the firmware before it reports anything, and it brings a tree of HAL crates for
//! one peripheral. Here every wait is a bounded poll, and a dead bus is an error the host
//! sees as `TB power-error`. Never run on hardware (docs/energy.md).
//!
//! Clocks: the firmware sets none. At reset the L4R5 runs from the 4 MHz MSI with
//! PCLK1 = 4 MHz, and I2C1's kernel clock (RCC_CCIPR.I2C1SEL = 00 at reset) is PCLK1;
//! TIMINGR is computed for that in [`super::stm32_i2c_plan::timingr_standard`].
//!
//! Everything that is not a register access is in [`super::stm32_i2c_plan`], tested on
//! the host.

use super::stm32_i2c_plan::{
    gpio_fields, i2c1_pins, rcc_ahb2enr_gpioen, step, timingr_standard, Failure, GpioFields, Phase,
    Plan, Step, AF_I2C1, CR1_PE, CR2_STOP, ICR_ALL, ISR_RXNE, ISR_STOPF, ISR_TXIS, MODER_AF,
    PHASE_MAX, PUPDR_UP, RCC_APB1ENR1_I2C1EN,
};
use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, Operation};
use stm32l4::stm32l4r5::{i2c1, GPIOB, I2C1, RCC};

/// `SDA` and `SCL` as `(port, pin)` (port A = 0), from the target file.
mod pins {
    include!(concat!(env!("OUT_DIR"), "/i2c.rs"));
}

/// I2C1's kernel clock: PCLK1 at reset (4 MHz MSI, no prescaler; the firmware sets no
/// clocks). Must follow clock_hz in targets/stm32l4r5.toml if that ever changes.
const KERNEL_CLOCK_HZ: u32 = 4_000_000;

/// TIMINGR for 100 kHz at [`KERNEL_CLOCK_HZ`] (0x0042_0F13; derivation in the plan).
const TIMINGR: u32 = match timingr_standard(KERNEL_CLOCK_HZ) {
    Some(t) => t,
    None => panic!("no standard-mode TIMINGR at this kernel clock"),
};

/// The pins, checked at compile time: I2C1's on port B (the only GPIO block used here).
const SCL: GpioFields = checked(pins::SCL);
const SDA: GpioFields = checked(pins::SDA);
const _: () = assert!(
    i2c1_pins(pins::SCL, pins::SDA),
    "i2c-stm32l4r5 drives I2C1 on SCL PB6/PB8 and SDA PB7/PB9 only"
);

const fn checked(pin: (u8, u8)) -> GpioFields {
    match gpio_fields(pin) {
        Some(f) => f,
        None => panic!("not a GPIO pin of the STM32L4R5"),
    }
}

/// Polls of ISR before a wait is abandoned. One byte at 100 kHz is 90 µs, 360 CPU cycles
/// at 4 MHz; a poll is a few cycles, so 20 000 polls (tens of milliseconds) is far
/// beyond any byte, STOP or repeated START here.
const POLLS: u32 = 20_000;

/// I2C1, configured. Only one exists (the firmware takes the bus once; a second `take`
/// reconfigures the same peripheral).
pub struct I2c1 {
    _private: (),
}

fn i2c() -> &'static i2c1::RegisterBlock {
    // SAFETY: I2C1's fixed MMIO block; the firmware is single-threaded, has no
    // interrupts and nothing else uses I2C1.
    unsafe { &*I2C1::ptr() }
}

/// Enable the clocks, put the pins on AF4 open-drain, program TIMINGR, enable I2C1.
pub fn take() -> I2c1 {
    // SAFETY (all `bits` writes below): the RCC, GPIOB and I2C1 fields named in
    // stm32_i2c_plan from RM0432; read-modify-writes leave every other field as it was.
    let (rcc, gpio, t) = unsafe { (&*RCC::ptr(), &*GPIOB::ptr(), i2c()) };
    rcc.ahb2enr().modify(|r, w| unsafe {
        w.bits(r.bits() | rcc_ahb2enr_gpioen(SCL.port) | rcc_ahb2enr_gpioen(SDA.port))
    });
    rcc.apb1enr1()
        .modify(|r, w| unsafe { w.bits(r.bits() | RCC_APB1ENR1_I2C1EN) });
    // RM0432: a peripheral is accessible two clock cycles after its enable bit is set;
    // reading the register back covers that.
    let _ = rcc.apb1enr1().read().bits();
    for p in [SCL, SDA] {
        gpio.otyper()
            .modify(|r, w| unsafe { w.bits(r.bits() | (1 << p.pin)) });
        gpio.pupdr().modify(|r, w| unsafe {
            w.bits((r.bits() & !(0b11 << p.shift2)) | (PUPDR_UP << p.shift2))
        });
        let af = |bits: u32| (bits & !(0xF << p.afr_shift)) | (AF_I2C1 << p.afr_shift);
        if p.afr_high {
            gpio.afrh().modify(|r, w| unsafe { w.bits(af(r.bits())) });
        } else {
            gpio.afrl().modify(|r, w| unsafe { w.bits(af(r.bits())) });
        }
        gpio.moder().modify(|r, w| unsafe {
            w.bits((r.bits() & !(0b11 << p.shift2)) | (MODER_AF << p.shift2))
        });
    }
    // TIMINGR may only be written with PE = 0.
    t.cr1().write(|w| unsafe { w.bits(0) });
    t.timingr().write(|w| unsafe { w.bits(TIMINGR) });
    t.icr().write(|w| unsafe { w.bits(ICR_ALL) });
    t.cr1().write(|w| unsafe { w.bits(CR1_PE) });
    I2c1 { _private: () }
}

/// Poll ISR at most [`POLLS`] times for a flag in `want`.
fn wait(t: &i2c1::RegisterBlock, want: u32, read: bool, moved: usize) -> Result<(), Failure> {
    for _ in 0..POLLS {
        match step(t.isr().read().bits(), want, read, moved) {
            Step::Ready => return Ok(()),
            Step::Wait => {}
            Step::Failed(kind) => return Err(Failure::Flag(kind)),
        }
    }
    Err(Failure::Timeout)
}

/// Write phase: START + address, each byte on TXIS, then TC (repeated START follows) or
/// STOPF (AUTOEND).
fn write(t: &i2c1::RegisterBlock, a: u8, p: Phase, ops: &[Operation<'_>]) -> Result<(), Failure> {
    t.cr2().write(|w| unsafe { w.bits(p.cr2(a)) });
    let mut moved = 0;
    for op in ops {
        if let Operation::Write(bytes) = op {
            for &b in bytes.iter() {
                wait(t, ISR_TXIS, false, moved)?;
                t.txdr().write(|w| unsafe { w.bits(u32::from(b)) });
                moved += 1;
            }
        }
    }
    wait(t, p.end_flag(), false, moved)
}

/// Read phase: (repeated) START + address, each byte on RXNE, then STOPF (AUTOEND).
fn read(
    t: &i2c1::RegisterBlock,
    a: u8,
    p: Phase,
    ops: &mut [Operation<'_>],
) -> Result<(), Failure> {
    t.cr2().write(|w| unsafe { w.bits(p.cr2(a)) });
    for op in ops.iter_mut() {
        if let Operation::Read(buf) = op {
            for b in buf.iter_mut() {
                wait(t, ISR_RXNE, true, 0)?;
                *b = t.rxdr().read().bits() as u8;
            }
        }
    }
    wait(t, p.end_flag(), true, 0)
}

/// After a failure: wait (bounded) for the STOP a NACK brings, clear every flag, and
/// after a timeout ask for STOP and reset the peripheral (PE low for at least three APB
/// cycles, RM0432 "I2C software reset") so the next transfer starts from idle.
fn recover(t: &i2c1::RegisterBlock, f: Failure) {
    if f.waits_for_stop() {
        let _ = wait(t, ISR_STOPF, false, 0);
    }
    if f.resets_peripheral() {
        t.cr2()
            .modify(|r, w| unsafe { w.bits(r.bits() | CR2_STOP) });
        t.cr1().write(|w| unsafe { w.bits(0) });
        for _ in 0..4 {
            let _ = t.cr1().read().bits();
        }
        t.cr1().write(|w| unsafe { w.bits(CR1_PE) });
    }
    t.icr().write(|w| unsafe { w.bits(ICR_ALL) });
}

impl ErrorType for I2c1 {
    type Error = ErrorKind;
}

impl I2c for I2c1 {
    fn transaction(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), ErrorKind> {
        let plan = Plan::new(ops, PHASE_MAX, PHASE_MAX)?;
        let t = i2c();
        t.icr().write(|w| unsafe { w.bits(ICR_ALL) });
        let mut done = Ok(());
        if let Some(p) = plan.write_phase() {
            done = write(t, address, p, ops);
        }
        if let (Ok(()), Some(p)) = (done, plan.read_phase()) {
            done = read(t, address, p, ops);
        }
        match done {
            Ok(()) => {
                t.icr().write(|w| unsafe { w.bits(ICR_ALL) });
                Ok(())
            }
            Err(f) => {
                recover(t, f);
                Err(f.kind())
            }
        }
    }
}
