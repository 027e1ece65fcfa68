//! The board's I2C bus the monitor is on: an `embedded_hal::i2c::I2c`, pins from the
//! target file's `[power.monitor]` (`sda`, `scl`). Each board's glue is a firmware
//! feature the harness turns on for that board (`harness/src/energy.rs`, `BusGlue`):
//!
//! * `i2c-nrf52840`: TWIM0 of the nRF52840 at 400 kHz ([`twim`]).
//! * `i2c-stm32l4r5`: I2C1 of the STM32L4R5 at 100 kHz ([`stm32_i2c`]).
//!
//! Without one the bus is [`NoBus`](super::NoBus): every transfer fails and the firmware
//! sends `TB power-error`; the harness refuses `--energy ina226` on such a board before
//! building, so that only happens when the firmware is built by hand.

#[cfg(all(feature = "i2c-nrf52840", feature = "i2c-stm32l4r5"))]
compile_error!("features i2c-nrf52840 and i2c-stm32l4r5 are for two different boards");

#[cfg(any(feature = "i2c-nrf52840", feature = "i2c-stm32l4r5"))]
mod transfer;
#[cfg(feature = "i2c-nrf52840")]
mod twim;
#[cfg(feature = "i2c-nrf52840")]
mod twim_plan;

#[cfg(feature = "i2c-stm32l4r5")]
mod stm32_i2c;
#[cfg(feature = "i2c-stm32l4r5")]
mod stm32_i2c_plan;

/// The bus the monitor is on.
#[cfg(feature = "i2c-nrf52840")]
pub type Bus = twim::Twim0;

/// Take the bus (configures the peripheral and pins).
#[cfg(feature = "i2c-nrf52840")]
pub fn take() -> Bus {
    twim::take()
}

/// The bus the monitor is on.
#[cfg(all(feature = "i2c-stm32l4r5", not(feature = "i2c-nrf52840")))]
pub type Bus = stm32_i2c::I2c1;

/// Take the bus (enables the clocks, configures the pins and the peripheral).
#[cfg(all(feature = "i2c-stm32l4r5", not(feature = "i2c-nrf52840")))]
pub fn take() -> Bus {
    stm32_i2c::take()
}

/// The bus the monitor is on: none on this board.
#[cfg(not(any(feature = "i2c-nrf52840", feature = "i2c-stm32l4r5")))]
pub type Bus = super::NoBus;

/// Take the bus (called once).
#[cfg(not(any(feature = "i2c-nrf52840", feature = "i2c-stm32l4r5")))]
pub fn take() -> Bus {
    super::NoBus
}
