//! Power monitor on the board (features `power-ina226` / `power-ina219`): an INA226 or
//! INA219 at I2C address 0x40 measuring the board supply over a shunt resistor.
//!
//! Measure on the target, analyse on the host: the firmware sends the raw shunt-voltage
//! and bus-voltage registers with the cycle counter at the moment of the read,
//! `TB power t={=u32} shunt={=u16} bus={=u16}`, and the counter at the start of each timed
//! repetition, `TB region id={=u16} rep={=u16} t0={=u32}` (its end is `t0 + count` of the
//! sample frame). The host turns registers into µA and mV with the shunt from the target
//! file and integrates on the cycle-counter clock.
//!
//! The frames go on RTT up channel 1 ("tinybench-power"), every other frame on channel 0
//! ("defmt"): power builds replace `defmt-rtt`, which has one up channel, with the
//! two-channel defmt logger of [`crate::logger`], and each frame here is sent inside
//! [`power_frame`]. Both channels carry defmt frames of the same ELF table; the harness
//! drains both and reads the power frames in their own stream order (its counter unwrap
//! needs that order). In `probe-rs attach` they are on the second channel, which has to be
//! decoded as defmt too.
//!
//! Readings are taken just before and just after each timed repetition, never inside it
//! (the firmware has no interrupts; the kernel's timing must not change). The monitor
//! averages over its conversion time (INA226 set to 140 µs here; INA219 at its reset
//! 532 µs), so a reading describes the last conversion before the read.
//!
//! The I2C bus is an `embedded_hal::i2c::I2c` from [`bus`]: the nRF52840's TWIM0 with
//! feature `i2c-nrf52840`, the STM32L4R5's I2C1 with `i2c-stm32l4r5` (neither has run on
//! hardware). On a board without glue, [`bus::Bus`]
//! is [`NoBus`], every read fails and the firmware sends `TB power-error t={=u32}`, which
//! the host reports.

use crate::logger::power_frame;
use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, Operation};
use tinybench_target::arch;

/// 7-bit address with A0 = A1 = GND (INA226 and INA219).
pub const ADDRESS: u8 = 0x40;
const REG_CONFIG: u8 = 0x00;
const REG_SHUNT: u8 = 0x01;
const REG_BUS: u8 = 0x02;

/// INA226 configuration: no averaging, 140 µs bus and shunt conversions, continuous
/// shunt and bus (bit 14 reads as 1 and is written so).
#[cfg(feature = "power-ina226")]
const CONFIG: Option<u16> = Some(0x4007);
/// INA219: its reset configuration (32 V, ±320 mV, 12 bit, 532 µs, continuous) is used.
#[cfg(not(feature = "power-ina226"))]
const CONFIG: Option<u16> = None;

/// The driver: two register reads per sample.
pub struct Monitor<I> {
    i2c: I,
}

impl<I: I2c> Monitor<I> {
    /// Configure the monitor (INA226) and return the driver.
    pub fn new(mut i2c: I) -> Result<Self, I::Error> {
        if let Some(c) = CONFIG {
            let [hi, lo] = c.to_be_bytes();
            i2c.write(ADDRESS, &[REG_CONFIG, hi, lo])?;
        }
        Ok(Monitor { i2c })
    }

    fn register(&mut self, reg: u8) -> Result<u16, I::Error> {
        let mut b = [0u8; 2];
        self.i2c.write_read(ADDRESS, &[reg], &mut b)?;
        Ok(u16::from_be_bytes(b))
    }

    /// Read shunt and bus registers and send them with the counter value.
    pub fn sample(&mut self) {
        let t = arch::stamp();
        match (self.register(REG_SHUNT), self.register(REG_BUS)) {
            (Ok(shunt), Ok(bus)) => power_frame(|| {
                defmt::println!("TB power t={=u32} shunt={=u16} bus={=u16}", t, shunt, bus)
            }),
            _ => power_frame(|| defmt::println!("TB power-error t={=u32}", t)),
        }
    }
}

/// A bus that is not there: every transfer fails. Used when no board glue is compiled in.
#[cfg_attr(
    any(feature = "i2c-nrf52840", feature = "i2c-stm32l4r5"),
    allow(dead_code)
)]
pub struct NoBus;

impl ErrorType for NoBus {
    type Error = ErrorKind;
}

impl I2c for NoBus {
    fn transaction(&mut self, _: u8, _: &mut [Operation<'_>]) -> Result<(), Self::Error> {
        Err(ErrorKind::Other)
    }
}

pub mod bus;

static mut MONITOR: Option<Monitor<bus::Bus>> = None;

/// Set up the monitor; a failure is reported once and every later sample reports it too.
pub fn init() {
    let m = match Monitor::new(bus::take()) {
        Ok(m) => m,
        Err(_) => {
            let t = arch::stamp();
            power_frame(|| defmt::println!("TB power-error t={=u32}", t));
            Monitor { i2c: bus::take() }
        }
    };
    // SAFETY: single-threaded firmware without interrupts; called once before any sample.
    unsafe { *core::ptr::addr_of_mut!(MONITOR) = Some(m) };
}

/// One reading (outside any timed region).
pub fn sample() {
    // SAFETY: as in `init`; no other reference to MONITOR is live.
    if let Some(m) = unsafe { (*core::ptr::addr_of_mut!(MONITOR)).as_mut() } {
        m.sample();
    }
}

/// The counter value at the start of a timed repetition.
pub fn region(id: u16, rep: u16, t0: u32) {
    power_frame(|| defmt::println!("TB region id={=u16} rep={=u16} t0={=u32}", id, rep, t0));
}
