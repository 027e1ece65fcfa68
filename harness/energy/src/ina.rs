//! INA226 / INA219 readings sent by the firmware (`TB power` frames): raw registers to
//! µA, mV and watts, and the firmware's 32-bit (or 24-bit) counter unwrapped into one
//! monotonic clock.
//!
//! The firmware reads the shunt-voltage register (signed; LSB 2.5 µV on the INA226,
//! 10 µV on the INA219) and the bus-voltage register (INA226: LSB 1.25 mV; INA219: bits
//! 15–3, LSB 4 mV). Current is shunt voltage ÷ the shunt resistance from the target file,
//! so the monitor's own calibration register is never needed.

use crate::{Sample, Source};

/// Which monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chip {
    /// TI INA226.
    Ina226,
    /// TI INA219.
    Ina219,
}

impl Chip {
    /// Name as in labels: `INA226`.
    pub fn name(self) -> &'static str {
        match self {
            Chip::Ina226 => "INA226",
            Chip::Ina219 => "INA219",
        }
    }

    /// Shunt-voltage LSB, volts.
    pub fn shunt_lsb_v(self) -> f64 {
        match self {
            Chip::Ina226 => 2.5e-6,
            Chip::Ina219 => 10e-6,
        }
    }

    /// Bus voltage of a raw bus register, volts.
    pub fn bus_v(self, reg: u16) -> f64 {
        match self {
            Chip::Ina226 => f64::from(reg & 0x7fff) * 1.25e-3,
            Chip::Ina219 => f64::from(reg >> 3) * 4e-3,
        }
    }
}

/// A monitor on a shunt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Monitor {
    /// The chip.
    pub chip: Chip,
    /// Shunt resistance, Ω (from the target file).
    pub shunt_ohm: f64,
}

/// A raw register pair that cannot be a reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadingError {
    /// A register value that does not fit 16 bits (the frame is corrupt).
    #[error("{chip} register value {value:#x} does not fit 16 bits")]
    TooWide {
        /// Chip name.
        chip: &'static str,
        /// Value as sent.
        value: u32,
    },
}

impl Monitor {
    /// Current of a raw shunt register, µA (negative when current flows backwards).
    pub fn microamps(&self, shunt_reg: u16) -> f64 {
        f64::from(shunt_reg as i16) * self.chip.shunt_lsb_v() / self.shunt_ohm * 1e6
    }

    /// Bus voltage of a raw bus register, mV.
    pub fn millivolts(&self, bus_reg: u16) -> f64 {
        self.chip.bus_v(bus_reg) * 1e3
    }

    /// A power sample at `t` seconds from the registers as the frame carried them.
    pub fn sample(&self, t: f64, shunt: u32, bus: u32) -> Result<Sample, ReadingError> {
        let fit = |value: u32| {
            u16::try_from(value).map_err(|_| ReadingError::TooWide {
                chip: self.chip.name(),
                value,
            })
        };
        let (s, b) = (fit(shunt)?, fit(bus)?);
        Ok(Sample {
            t,
            watts: self.microamps(s) * 1e-6 * self.millivolts(b) * 1e-3,
        })
    }

    /// `measured (INA226)`.
    pub fn source(&self) -> Source {
        Source::Measured(self.chip.name().to_string())
    }
}

/// Unwraps a free-running counter of `bits` bits read in time order into one monotonic
/// count. Correct while successive reads are less than one full wrap apart (2^32 cycles:
/// 67 s at 64 MHz; 2^24 for SysTick: 0.26 s).
#[derive(Debug, Clone)]
pub struct Unwrap {
    mask: u64,
    last: Option<u64>,
}

impl Unwrap {
    /// For a counter of `bits` bits (1–32).
    pub fn new(bits: u32) -> Unwrap {
        Unwrap {
            mask: (1u64 << bits.clamp(1, 32)) - 1,
            last: None,
        }
    }

    /// The unwrapped value of the next raw read.
    pub fn next(&mut self, raw: u32) -> u64 {
        let raw = u64::from(raw) & self.mask;
        let v = match self.last {
            None => raw,
            Some(last) => last + (raw.wrapping_sub(last) & self.mask),
        };
        self.last = Some(v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_to_microamps_and_millivolts() {
        let m = Monitor {
            chip: Chip::Ina226,
            shunt_ohm: 0.1,
        };
        // 2000 · 2.5 µV = 5 mV over 0.1 Ω = 50 mA.
        assert!((m.microamps(2000) - 50_000.0).abs() < 1e-9);
        // Two's complement: 0xfff6 = −10 → −250 µA.
        assert!((m.microamps(0xfff6) + 250.0).abs() < 1e-9);
        // 2640 · 1.25 mV = 3.3 V.
        assert!((m.millivolts(2640) - 3300.0).abs() < 1e-9);
        let s = m.sample(1.0, 2000, 2640).unwrap();
        assert!((s.watts - 0.05 * 3.3).abs() < 1e-12);
        assert!(m.sample(0.0, 0x1_0000, 0).is_err());

        let m = Monitor {
            chip: Chip::Ina219,
            shunt_ohm: 0.1,
        };
        // 500 · 10 µV = 5 mV / 0.1 Ω = 50 mA; bus (825 << 3) | CNVR → 825 · 4 mV = 3.3 V.
        assert!((m.microamps(500) - 50_000.0).abs() < 1e-9);
        assert!((m.millivolts((825 << 3) | 0b10) - 3300.0).abs() < 1e-9);
        assert_eq!(m.source().label(), "energy, measured (INA219)");
    }

    #[test]
    fn counter_unwraps_across_its_wrap() {
        let mut u = Unwrap::new(32);
        assert_eq!(u.next(0xffff_fff0), 0xffff_fff0);
        assert_eq!(u.next(0x10), 0x1_0000_0010);
        assert_eq!(u.next(0x20), 0x1_0000_0020);
        let mut u = Unwrap::new(24);
        assert_eq!(u.next(0x00ff_ff00), 0x00ff_ff00);
        assert_eq!(u.next(0x0000_0100), 0x0100_0100);
    }
}
