//! The register-free half of the STM32L4R5 I2C1 driver ([`super::stm32_i2c`]): which
//! transactions it does and the CR2 value of each phase, ISR flags → `embedded_hal`
//! error kinds, the TIMINGR value, and the GPIO fields of a pin.
//!
//! Only `core` and `embedded-hal` are used here, so tinybench's host tests compile this
//! same file (`harness/tests/stm32_i2c_plan.rs`); nothing here touches hardware.
//!
//! Register layouts are from RM0432 (STM32L4+ reference manual), chapter
//! "Inter-integrated circuit (I2C) interface", section "I2C registers", and chapter
//! "General-purpose I/Os (GPIO)"; RCC bits from the "Reset and clock control" chapter.

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};

/// Bytes one phase may move: NBYTES is 8 bits and the driver does not use RELOAD (the
/// INA226 moves at most 3).
pub const PHASE_MAX: usize = 255;

/// I2C_CR1.PE: peripheral enable.
pub const CR1_PE: u32 = 1 << 0;

/// I2C_CR2 fields: SADD[7:1] holds a 7-bit address, RD_WRN, START, STOP, NBYTES, AUTOEND.
pub const CR2_RD_WRN: u32 = 1 << 10;
/// START: generate a (repeated) start and the address.
pub const CR2_START: u32 = 1 << 13;
/// STOP: generate a stop after the current byte.
pub const CR2_STOP: u32 = 1 << 14;
/// NBYTES shift (bits 23:16).
pub const CR2_NBYTES_SHIFT: u32 = 16;
/// AUTOEND: a STOP follows the last of NBYTES by itself.
pub const CR2_AUTOEND: u32 = 1 << 25;

/// I2C_ISR bits.
pub const ISR_TXIS: u32 = 1 << 1;
/// RXNE: a received byte is in RXDR.
pub const ISR_RXNE: u32 = 1 << 2;
/// NACKF: a NACK was received (the master then sends STOP by itself).
pub const ISR_NACKF: u32 = 1 << 4;
/// STOPF: a STOP was detected.
pub const ISR_STOPF: u32 = 1 << 5;
/// TC: NBYTES moved with AUTOEND = 0 (a repeated start may follow).
pub const ISR_TC: u32 = 1 << 6;
/// BERR: misplaced START or STOP.
pub const ISR_BERR: u32 = 1 << 8;
/// ARLO: arbitration lost.
pub const ISR_ARLO: u32 = 1 << 9;
/// OVR: overrun/underrun (slave mode only; mapped for completeness).
pub const ISR_OVR: u32 = 1 << 10;

/// I2C_ICR: clear ADDR, NACK, STOP, BERR, ARLO, OVR, PEC, TIMEOUT, ALERT (bits 3–5, 8–13).
pub const ICR_ALL: u32 = 0b11_1111 << 8 | 0b111 << 3;

/// RCC_APB1ENR1.I2C1EN.
pub const RCC_APB1ENR1_I2C1EN: u32 = 1 << 21;

/// RCC_AHB2ENR.GPIOxEN for port index `port` (A = 0): bits 0–8 are GPIOA–GPIOI.
pub const fn rcc_ahb2enr_gpioen(port: u8) -> u32 {
    1 << port
}

/// Alternate function of I2C1's SCL/SDA on PB6–PB9 (datasheet, alternate function table).
pub const AF_I2C1: u32 = 4;

/// One direction of a transaction: a START (repeated when it follows a write), the
/// address with RD_WRN, `nbytes` bytes, and a STOP by itself when `autoend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// A read (RD_WRN = 1).
    pub read: bool,
    /// Bytes moved.
    pub nbytes: u8,
    /// AUTOEND: STOP after the last byte; else TC and a repeated START follow.
    pub autoend: bool,
}

impl Phase {
    /// I2C_CR2 for this phase with START set, to 7-bit `address`.
    pub fn cr2(&self, address: u8) -> u32 {
        let mut v = (u32::from(address & 0x7F) << 1)
            | (u32::from(self.nbytes) << CR2_NBYTES_SHIFT)
            | CR2_START;
        if self.read {
            v |= CR2_RD_WRN;
        }
        if self.autoend {
            v |= CR2_AUTOEND;
        }
        v
    }

    /// The ISR flag that ends it: STOPF with AUTOEND, else TC.
    pub fn end_flag(&self) -> u32 {
        if self.autoend {
            ISR_STOPF
        } else {
            ISR_TC
        }
    }
}

pub use super::transfer::Plan;

/// The I2C v2 phases of a [`Plan`].
impl Plan {
    /// The write phase, if any: AUTOEND only when no read follows (`write_read` is a
    /// write without AUTOEND, then a repeated START read with AUTOEND).
    pub fn write_phase(&self) -> Option<Phase> {
        (self.tx > 0).then_some(Phase {
            read: false,
            nbytes: self.tx as u8,
            autoend: self.rx == 0,
        })
    }

    /// The read phase, if any (always AUTOEND).
    pub fn read_phase(&self) -> Option<Phase> {
        (self.rx > 0).then_some(Phase {
            read: true,
            nbytes: self.rx as u8,
            autoend: true,
        })
    }
}

/// The error the ISR flags name, if any. `moved` is how many bytes of a write phase were
/// put in TXDR: a NACK before any was the address's, after one a data byte's; a read
/// phase's NACK can only be the address's. Arbitration loss first, then bus error.
pub fn isr_error(isr: u32, read: bool, moved: usize) -> Option<ErrorKind> {
    if isr & ISR_ARLO != 0 {
        Some(ErrorKind::ArbitrationLoss)
    } else if isr & ISR_BERR != 0 {
        Some(ErrorKind::Bus)
    } else if isr & ISR_NACKF != 0 {
        Some(ErrorKind::NoAcknowledge(if read || moved == 0 {
            NoAcknowledgeSource::Address
        } else {
            NoAcknowledgeSource::Data
        }))
    } else if isr & ISR_OVR != 0 {
        Some(ErrorKind::Overrun)
    } else {
        None
    }
}

/// One poll of ISR while waiting for `want`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A flag in `want` is set.
    Ready,
    /// Nothing yet: poll again (up to the bound).
    Wait,
    /// An error flag is set.
    Failed(ErrorKind),
}

/// What one ISR value means while waiting for `want` (errors win over readiness).
pub fn step(isr: u32, want: u32, read: bool, moved: usize) -> Step {
    match isr_error(isr, read, moved) {
        Some(kind) => Step::Failed(kind),
        None if isr & want != 0 => Step::Ready,
        None => Step::Wait,
    }
}

/// Why a transaction stopped early: an error flag, or a wait that ran out of polls (the
/// bus is held: a line stuck low, no pull-ups, nothing powered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// NACKF, BERR, ARLO or OVR.
    Flag(ErrorKind),
    /// No flag within the poll bound.
    Timeout,
}

impl Failure {
    /// The error the caller gets: the flag's kind; a timeout is `ErrorKind::Bus`.
    pub fn kind(self) -> ErrorKind {
        match self {
            Failure::Flag(k) => k,
            Failure::Timeout => ErrorKind::Bus,
        }
    }

    /// Whether recovery resets the peripheral (PE = 0 then 1): after a timeout only; a
    /// flag is cleared through ICR.
    pub fn resets_peripheral(self) -> bool {
        matches!(self, Failure::Timeout)
    }

    /// Whether recovery first waits (bounded) for STOPF: after a NACK the master sends
    /// STOP by itself, and the next START must not come before it.
    pub fn waits_for_stop(self) -> bool {
        matches!(self, Failure::Flag(ErrorKind::NoAcknowledge(_)))
    }
}

/// I2C_TIMINGR for standard mode (100 kHz) at I2C kernel clock `fclk_hz`, from the
/// formulas of RM0432's I2C section "I2C timings" (I2C initialization) and register
/// description "Timing register (I2C_TIMINGR)":
///
/// * tPRESC = (PRESC + 1) / fI2CCLK; PRESC is chosen so that tPRESC ≥ 250 ns, the
///   smallest step at which the counts below fit;
/// * tSCLL = (SCLL + 1) × tPRESC ≥ 4.7 µs (tLOW); 5.0 µs is used, as in RM0432's
///   "Examples of timing settings" tables (SCLL = 0x13 at 8 and 16 MHz);
/// * tSCLH = (SCLH + 1) × tPRESC ≥ 4.0 µs (tHIGH): SCLH = 0x0F there;
/// * tSCLDEL = (SCLDEL + 1) × tPRESC ≥ tr + tSU;DAT = 1000 + 250 ns: SCLDEL = 4;
/// * tSDADEL = SDADEL × tPRESC within [tf + tHD;DAT(min) − tAF(min) − 2 tI2CCLK,
///   tVD;DAT(max) − tr − tAF(max) − 4 tI2CCLK]; 500 ns (SDADEL = 2, the tables' value)
///   is inside at 4 MHz: [< 0, 3450 − 1000 − 260 − 1000 = 1190 ns].
///
/// At 4 MHz (the L4R5's MSI at reset; PCLK1 = I2C1's kernel clock): PRESC = 0
/// (tPRESC = 250 ns), SCLL = 0x13, SCLH = 0x0F, SDADEL = 2, SCLDEL = 4: 0x0042_0F13.
/// The SCL period is tSCLL + tSCLH + the synchronisation delays, about 10 µs: 100 kHz
/// or a little under. `None` below 2 MHz (standard mode needs fI2CCLK ≥ 2 MHz) or when
/// PRESC would exceed 15.
pub const fn timingr_standard(fclk_hz: u32) -> Option<u32> {
    if fclk_hz < 2_000_000 {
        return None;
    }
    // Smallest PRESC with (PRESC + 1) / fclk ≥ 250 ns, i.e. PRESC + 1 ≥ fclk / 4 MHz.
    let div = fclk_hz.div_ceil(4_000_000);
    if div > 16 {
        return None;
    }
    // tPRESC in picoseconds (fclk ≥ 2 MHz and div ≤ 16 keep it in range).
    let t_ps = (div as u64 * 1_000_000_000_000 / fclk_hz as u64) as u32;
    // Counts for at least the given times (in ps): SCLL/SCLH/SCLDEL last (count + 1)
    // steps, SDADEL count steps.
    let scll = (5_000_000u32).div_ceil(t_ps) - 1;
    let sclh = (4_000_000u32).div_ceil(t_ps) - 1;
    let scldel = (1_250_000u32).div_ceil(t_ps) - 1;
    let sdadel = (500_000u32).div_ceil(t_ps);
    if scll > 0xFF || sclh > 0xFF || scldel > 0xF || sdadel > 0xF {
        return None;
    }
    Some(((div - 1) << 28) | (scldel << 20) | (sdadel << 16) | (sclh << 8) | scll)
}

/// Where a GPIO pin's fields are: `(port, pin)` as generated into `i2c.rs` (port A = 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpioFields {
    /// Port index (A = 0).
    pub port: u8,
    /// Pin 0–15.
    pub pin: u8,
    /// MODER/PUPDR 2-bit field shift (2 × pin).
    pub shift2: u32,
    /// AFR register: false = AFRL (pins 0–7), true = AFRH (pins 8–15).
    pub afr_high: bool,
    /// 4-bit field shift within that AFR register.
    pub afr_shift: u32,
}

/// The GPIO fields of `(port, pin)`; `None` for a port beyond GPIOI or a pin above 15.
pub const fn gpio_fields((port, pin): (u8, u8)) -> Option<GpioFields> {
    if port > 8 || pin > 15 {
        return None;
    }
    Some(GpioFields {
        port,
        pin,
        shift2: 2 * pin as u32,
        afr_high: pin >= 8,
        afr_shift: 4 * (pin as u32 % 8),
    })
}

/// GPIO MODER value "alternate function".
pub const MODER_AF: u32 = 0b10;
/// GPIO PUPDR value "pull-up" (the internal ~40 kΩ only helps a breakout's own).
pub const PUPDR_UP: u32 = 0b01;

/// Whether `scl`/`sda` (`(port, pin)`) are I2C1's on AF4 that this glue drives: SCL PB6
/// or PB8, SDA PB7 or PB9. (PG14/PG13 also carry I2C1 but sit on VDDIO2, which needs
/// PWR_CR2.IOSV first; not done.)
pub const fn i2c1_pins(scl: (u8, u8), sda: (u8, u8)) -> bool {
    scl.0 == 1 && sda.0 == 1 && (scl.1 == 6 || scl.1 == 8) && (sda.1 == 7 || sda.1 == 9)
}
