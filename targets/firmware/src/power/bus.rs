//! The board's I2C bus the monitor is on: an `embedded_hal::i2c::I2c`, 400 kHz, pins from
//! the target file's `[power.monitor]` (`sda`, `scl`). Each board's glue is a firmware
//! feature the harness turns on for that board (`harness/src/energy.rs`, `BusGlue`):
//!
//! * `i2c-nrf52840`: TWIM0 of the nRF52840 ([`twim`]).
//!
//! Without one the bus is [`NoBus`](super::NoBus): every transfer fails and the firmware
//! sends `TB power-error`; the harness refuses `--energy ina226` on such a board before
//! building, so that only happens when the firmware is built by hand.

#[cfg(feature = "i2c-nrf52840")]
mod twim;
#[cfg(feature = "i2c-nrf52840")]
mod twim_plan;

/// The bus the monitor is on.
#[cfg(feature = "i2c-nrf52840")]
pub type Bus = twim::Twim0;

/// Take the bus (configures the peripheral and pins).
#[cfg(feature = "i2c-nrf52840")]
pub fn take() -> Bus {
    twim::take()
}

/// The bus the monitor is on: none on this board.
#[cfg(not(feature = "i2c-nrf52840"))]
pub type Bus = super::NoBus;

/// Take the bus (called once).
#[cfg(not(feature = "i2c-nrf52840"))]
pub fn take() -> Bus {
    super::NoBus
}
