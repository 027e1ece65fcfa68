//! The `[power]` section of a target file: the datasheet figure, `[power.monitor]` (an
//! INA226/INA219 and the I2C pins it is on) and `[power.ppk2]` (docs/energy.md).

use super::super::{ConfigError, Source};
use super::pin::{Pin, PinStyle};
use serde::Deserialize;
use serde_spanned::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPower {
    run_ua_per_mhz: f64,
    supply_v: f64,
    source: String,
    monitor: Option<Spanned<RawMonitor>>,
    ppk2: Option<Spanned<RawPpk2>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitor {
    kind: String,
    shunt_ohm: f64,
    sda: Option<Spanned<String>>,
    scl: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPpk2 {
    marker_pin: String,
    logic_port: Option<u8>,
    vdd_mv: Option<u16>,
    marker: Option<RawMarker>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarker {
    #[serde(default)]
    init: Vec<[u64; 3]>,
    set: [u64; 2],
    clear: [u64; 2],
}

/// A datasheet run-mode power figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Power {
    /// Run-mode current per MHz, µA/MHz.
    pub run_ua_per_mhz: f64,
    /// Supply voltage the figure is given at.
    pub supply_v: f64,
    /// Citation: document, section, conditions.
    pub source: String,
    /// An INA226/INA219 on the board's I2C bus (`[power.monitor]`).
    pub monitor: Option<tinybench_energy::ina::Monitor>,
    /// The I2C pins the monitor is on (`[power.monitor]` `sda`, `scl`), if given.
    pub monitor_bus: Option<I2cPins>,
    /// How a PPK2 is wired to this board (`[power.ppk2]`).
    pub ppk2: Option<Ppk2Wiring>,
}

/// How a PPK2 is wired to a board (`[power.ppk2]`; docs/energy.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ppk2Wiring {
    /// The board pin the firmware drives high around each timed region, as the board
    /// names it (e.g. `P0.13`).
    pub marker_pin: String,
    /// The PPK2 logic-port input that pin is wired to (0 = D0).
    pub logic_port: u8,
    /// Source voltage the PPK2 supplies the board with, mV.
    pub vdd_mv: u16,
    /// The registers that drive the pin (`[power.ppk2.marker]`), if the file gives them.
    pub marker: Option<MarkerRegs>,
}

/// Register writes that drive the marker pin, compiled into the firmware (feature
/// `power-marker`): `init` is read-modify-write `(address, bits to clear, bits to set)`
/// (clock enable, pin direction); `set`/`clear` are plain writes `(address, value)`
/// (e.g. nRF OUTSET/OUTCLR, STM32 BSRR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerRegs {
    /// Start-up writes.
    pub init: Vec<(u32, u32, u32)>,
    /// Drive the pin high.
    pub set: (u32, u32),
    /// Drive it low.
    pub clear: (u32, u32),
}

impl MarkerRegs {
    /// The generated `marker.rs` the firmware includes.
    pub fn rust(&self) -> String {
        let init: Vec<String> = self
            .init
            .iter()
            .map(|(a, c, s)| format!("({a:#010x}, {c:#010x}, {s:#010x})"))
            .collect();
        format!(
            "pub const MARKER_INIT: &[(u32, u32, u32)] = &[{}];\npub const MARKER_SET: (u32, u32) = ({:#010x}, {:#010x});\npub const MARKER_CLEAR: (u32, u32) = ({:#010x}, {:#010x});\n",
            init.join(", "),
            self.set.0,
            self.set.1,
            self.clear.0,
            self.clear.1
        )
    }
}

/// The I2C pins a power monitor is on (`[power.monitor]` `sda`, `scl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct I2cPins {
    /// Data.
    pub sda: Pin,
    /// Clock.
    pub scl: Pin,
}

impl I2cPins {
    /// The generated `i2c.rs` the firmware's bus glue includes: `(port, pin)` pairs
    /// (STM32 port A is 0), each with the pin's name.
    pub fn rust(&self) -> String {
        format!(
            "pub const SDA: (u8, u8) = ({}, {}); // {}\npub const SCL: (u8, u8) = ({}, {}); // {}\n",
            self.sda.port, self.sda.pin, self.sda, self.scl.port, self.scl.pin, self.scl
        )
    }
}

/// One of `sda`/`scl`: present (else the other was given alone) and a valid pin. Errors
/// name the field and its line (the section's when it is missing).
/// `chip` is the probe-rs chip name, whose family sets the pin style.
fn pin(
    src: &Source<'_>,
    section: std::ops::Range<usize>,
    value: Option<Spanned<String>>,
    field: &str,
    chip: Option<&str>,
) -> Result<(std::ops::Range<usize>, Pin), ConfigError> {
    let Some(v) = value else {
        let eg = match chip.and_then(PinStyle::for_chip) {
            Some(PinStyle::Stm32) => "sda = \"PB9\", scl = \"PB8\"",
            _ => "sda = \"P0.26\", scl = \"P0.27\"",
        };
        return Err(src.error(
            Some(section),
            Some(field),
            format!("give sda and scl together, e.g. {eg}"),
        ));
    };
    match Pin::parse(v.get_ref().trim(), chip) {
        Ok(p) => Ok((v.span(), p)),
        Err(e) => Err(src.error(Some(v.span()), Some(field), e)),
    }
}

/// Validate `[power]`; `chip` is the target's probe-rs chip name, if it has one.
pub(super) fn validate(
    src: &Source<'_>,
    p: Spanned<RawPower>,
    probe_chip: Option<&str>,
) -> Result<Power, ConfigError> {
    let span = p.span();
    let p = p.into_inner();
    let ok = p.run_ua_per_mhz > 0.0
        && p.run_ua_per_mhz < 10_000.0
        && p.supply_v > 0.5
        && p.supply_v < 6.0;
    if !ok || p.source.trim().is_empty() {
        return Err(src.error(
            Some(span),
            Some("power"),
            "needs run_ua_per_mhz in (0, 10000), supply_v in (0.5, 6) and a non-empty source",
        ));
    }
    let monitor = match p.monitor {
        None => None,
        Some(m) => {
            let span = m.span();
            let m = m.into_inner();
            let chip = match m.kind.as_str() {
                "ina226" => tinybench_energy::ina::Chip::Ina226,
                "ina219" => tinybench_energy::ina::Chip::Ina219,
                _ => {
                    return Err(src.error(
                        Some(span),
                        Some("power.monitor.kind"),
                        format!("unknown monitor `{}`; use ina226 or ina219", m.kind),
                    ))
                }
            };
            if !(m.shunt_ohm > 0.0 && m.shunt_ohm <= 100.0) {
                return Err(src.error(
                    Some(span),
                    Some("power.monitor.shunt_ohm"),
                    "shunt_ohm must be in (0, 100] Ω",
                ));
            }
            let bus = match (m.sda, m.scl) {
                (None, None) => None,
                (sda, scl) => {
                    let sda = pin(src, span.clone(), sda, "power.monitor.sda", probe_chip)?;
                    let scl = pin(src, span.clone(), scl, "power.monitor.scl", probe_chip)?;
                    if sda.1 == scl.1 {
                        return Err(src.error(
                            Some(scl.0),
                            Some("power.monitor.scl"),
                            format!("scl and sda are both {}; they must be two pins", sda.1),
                        ));
                    }
                    Some(I2cPins {
                        sda: sda.1,
                        scl: scl.1,
                    })
                }
            };
            Some((
                tinybench_energy::ina::Monitor {
                    chip,
                    shunt_ohm: m.shunt_ohm,
                },
                bus,
            ))
        }
    };
    let ppk2 = match p.ppk2 {
        None => None,
        Some(w) => {
            let span = w.span();
            let w = w.into_inner();
            let vdd_mv = w.vdd_mv.unwrap_or((p.supply_v * 1000.0).round() as u16);
            let logic_port = w.logic_port.unwrap_or(0);
            let field = if logic_port > 7 {
                Some(("power.ppk2.logic_port", "logic_port must be 0–7 (D0–D7)"))
            } else if !tinybench_energy::ppk2::VDD_MV.contains(&vdd_mv) {
                Some((
                    "power.ppk2.vdd_mv",
                    "vdd_mv must be 800–5000 (the PPK2's range)",
                ))
            } else if w.marker_pin.trim().is_empty() {
                Some((
                    "power.ppk2.marker_pin",
                    "marker_pin must name the board pin",
                ))
            } else {
                None
            };
            if let Some((f, msg)) = field {
                return Err(src.error(Some(span), Some(f), msg));
            }
            let word = |v: u64| u32::try_from(v).ok();
            let marker = match w.marker {
                None => None,
                Some(m) => {
                    let init: Option<Vec<(u32, u32, u32)>> = m
                        .init
                        .iter()
                        .map(|[a, c, s]| Some((word(*a)?, word(*c)?, word(*s)?)))
                        .collect();
                    let pair = |[a, v]: [u64; 2]| Some((word(a)?, word(v)?));
                    match (init, pair(m.set), pair(m.clear)) {
                        (Some(init), Some(set), Some(clear)) if set.0 != 0 && clear.0 != 0 => {
                            Some(MarkerRegs { init, set, clear })
                        }
                        _ => {
                            return Err(src.error(
                                Some(span),
                                Some("power.ppk2.marker"),
                                "marker registers: addresses and values must be 32-bit, set and clear addresses non-zero",
                            ))
                        }
                    }
                }
            };
            Some(Ppk2Wiring {
                marker_pin: w.marker_pin,
                logic_port,
                vdd_mv,
                marker,
            })
        }
    };
    Ok(Power {
        run_ua_per_mhz: p.run_ua_per_mhz,
        supply_v: p.supply_v,
        source: p.source,
        monitor: monitor.map(|m| m.0),
        monitor_bus: monitor.and_then(|m| m.1),
        ppk2,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{parse, GOOD};
    use super::super::Target;
    use super::*;
    use std::path::Path;

    const POWER: &str = "[power]\nrun_ua_per_mhz = 52.0\nsupply_v = 3.0\nsource = \"x\"\n";

    #[test]
    fn power_monitor_and_ppk2_wiring_parse_then_validate() {
        let text = format!(
            "{GOOD}{POWER}[power.monitor]\nkind = \"ina226\"\nshunt_ohm = 0.1\n[power.ppk2]\nmarker_pin = \"P0.13\"\n"
        );
        let p = parse(&text).unwrap().power.unwrap();
        assert_eq!(p.monitor.unwrap().shunt_ohm, 0.1);
        assert_eq!(
            p.ppk2.unwrap(),
            Ppk2Wiring {
                marker_pin: "P0.13".into(),
                logic_port: 0,
                vdd_mv: 3000,
                marker: None,
            }
        );
        let regs = format!(
            "{text}[power.ppk2.marker]\ninit = [[0x50000518, 0, 0x2000]]\nset = [0x50000508, 0x2000]\nclear = [0x5000050C, 0x2000]\n"
        );
        let m = parse(&regs)
            .unwrap()
            .power
            .unwrap()
            .ppk2
            .unwrap()
            .marker
            .unwrap();
        assert_eq!(m.set, (0x5000_0508, 0x2000));
        assert!(
            m.rust()
                .contains("MARKER_CLEAR: (u32, u32) = (0x5000050c, 0x00002000)"),
            "{}",
            m.rust()
        );
        let e = parse(&regs.replace("0x50000508", "0x150000508")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("power.ppk2.marker"), "{e}");
        let bad = text.replace("ina226", "ina999");
        let e = parse(&bad).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("power.monitor.kind"), "{e}");
        assert!(e.to_string().contains("sim-x.toml"), "{e}");
        let e = parse(&text.replace("0.1\n", "0.0\n")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("power.monitor.shunt_ohm"), "{e}");
        let e = parse(&format!("{text}logic_port = 9\n")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("power.ppk2.logic_port"), "{e}");
        let e = parse(&format!("{text}vdd_mv = 6000\n")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("power.ppk2.vdd_mv"), "{e}");
    }

    #[test]
    fn monitor_i2c_pins_parse_and_bad_ones_name_their_field_and_line() {
        let mon = format!("{GOOD}{POWER}[power.monitor]\nkind = \"ina226\"\nshunt_ohm = 0.1\n");
        let p = parse(&mon).unwrap().power.unwrap();
        assert_eq!(p.monitor_bus, None);
        let good = format!("{mon}sda = \"P0.26\"\nscl = \"P1.03\"\n");
        let bus = parse(&good).unwrap().power.unwrap().monitor_bus.unwrap();
        let nrf = |port, pin| Pin {
            style: PinStyle::Nrf,
            port,
            pin,
        };
        assert_eq!(bus.sda, nrf(0, 26));
        assert_eq!(bus.scl, nrf(1, 3));
        assert_eq!(bus.scl.to_string(), "P1.3");
        assert_eq!(
            bus.rust(),
            "pub const SDA: (u8, u8) = (0, 26); // P0.26\npub const SCL: (u8, u8) = (1, 3); // P1.3\n"
        );
        // sda is on line 18 of the text, scl on line 19.
        for (bad, field, line, says) in [
            ("P0.32", "power.monitor.sda", 18, "pin 32 does not exist"),
            ("P2.1", "power.monitor.sda", 18, "port 2 does not exist"),
            ("PA16", "power.monitor.sda", 18, "pin 16 does not exist"),
            ("PZ5", "power.monitor.sda", 18, "port Z does not exist"),
            ("P-5", "power.monitor.sda", 18, "not a pin name"),
            ("PB", "power.monitor.sda", 18, "not a pin name"),
            ("P0.", "power.monitor.sda", 18, "not a pin name"),
            ("0.26", "power.monitor.sda", 18, "not a pin name"),
            ("P0.999", "power.monitor.sda", 18, "not a pin name"),
        ] {
            let e = parse(&good.replace("P0.26", bad)).unwrap_err();
            assert_eq!(
                (e.field.as_deref(), e.line),
                (Some(field), Some(line)),
                "{bad}: {e}"
            );
            assert!(e.to_string().contains(says), "{bad}: {e}");
            assert!(e.to_string().contains("sim-x.toml"), "{e}");
        }
        let e = parse(&good.replace("P1.03", "P9.0")).unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.line),
            (Some("power.monitor.scl"), Some(19)),
            "{e}"
        );
        let e = parse(&good.replace("P1.03", "P0.26")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("power.monitor.scl"), "{e}");
        assert!(e.to_string().contains("both P0.26"), "{e}");
        let e = parse(&format!("{mon}sda = \"P0.26\"\n")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("power.monitor.scl"), "{e}");
        assert!(e.to_string().contains("together"), "{e}");
    }

    /// A probe target's chip sets the pin style: STM32 names on an STM32, nRF names on an
    /// nRF; the other style is an error naming the file, line and field. Emulated
    /// targets (no chip) take either.
    #[test]
    fn monitor_pins_follow_the_chips_naming_style() {
        let target = |file: &str, pins: &str| {
            let shipped = match file {
                "stm32l4r5" => include_str!("../../../../targets/stm32l4r5.toml"),
                _ => include_str!("../../../../targets/nrf52840.toml"),
            };
            let text =
                format!("{shipped}\n[power.monitor]\nkind = \"ina226\"\nshunt_ohm = 0.1\n{pins}");
            let line = text.lines().position(|l| l.starts_with("sda")).unwrap() + 1;
            let path = format!("targets/{file}.toml");
            (Target::parse(Path::new(&path), &text), line)
        };
        let (t, _) = target("stm32l4r5", "sda = \"PB9\"\nscl = \"pb8\"\n");
        let bus = t.unwrap().power.unwrap().monitor_bus.unwrap();
        let stm = |port, pin| Pin {
            style: PinStyle::Stm32,
            port,
            pin,
        };
        assert_eq!((bus.sda, bus.scl), (stm(1, 9), stm(1, 8)));
        assert_eq!(
            (bus.sda.to_string(), bus.scl.to_string()),
            ("PB9".into(), "PB8".into())
        );
        assert_eq!(
            bus.rust(),
            "pub const SDA: (u8, u8) = (1, 9); // PB9\npub const SCL: (u8, u8) = (1, 8); // PB8\n"
        );
        assert_eq!("PK15".parse::<Pin>(), Ok(stm(10, 15)));
        // nRF names on the STM32, STM32 names on the nRF: the field, its line, the chip.
        for (file, pins, says) in [
            (
                "stm32l4r5",
                "sda = \"P0.26\"\nscl = \"PB8\"\n",
                "STM32L4R5ZITx names its pins P<port letter><pin>",
            ),
            (
                "nrf52840",
                "sda = \"PB9\"\nscl = \"P0.27\"\n",
                "is an STM32 pin name",
            ),
        ] {
            let (e, line) = target(file, pins);
            let e = e.unwrap_err();
            assert_eq!(
                (e.field.as_deref(), e.line),
                (Some("power.monitor.sda"), Some(line)),
                "{e}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(says) && msg.contains(&format!("{file}.toml")),
                "{msg}"
            );
        }
        // The missing-pin hint is in the chip's style.
        let (e, _) = target("stm32l4r5", "sda = \"PB9\"\n");
        assert!(e.unwrap_err().to_string().contains("scl = \"PB8\""));
    }

    /// The `[power.monitor]` snippet docs/energy.md gives for the nRF52840-DK, appended
    /// to the shipped targets/nrf52840.toml, parses to the DK's Arduino-header pins.
    #[test]
    fn documented_nrf52840_dk_monitor_section_parses() {
        let doc = include_str!("../../../../docs/energy.md");
        let start = doc
            .find("```toml\n[power.monitor]")
            .expect("docs/energy.md has a [power.monitor] toml block");
        let block = &doc[start + "```toml\n".len()..];
        let block = &block[..block.find("```").unwrap()];
        let shipped = include_str!("../../../../targets/nrf52840.toml");
        let t = Target::parse(
            Path::new("targets/nrf52840.toml"),
            &format!("{shipped}\n{block}"),
        )
        .unwrap();
        let p = t.power.unwrap();
        assert_eq!(p.monitor.unwrap().shunt_ohm, 0.1);
        let bus = p.monitor_bus.unwrap();
        assert_eq!(
            (bus.sda.to_string(), bus.scl.to_string()),
            ("P0.26".into(), "P0.27".into())
        );
    }

    /// The NUCLEO-L4R5ZI `[power.monitor]` block of docs/energy.md, appended to the
    /// shipped targets/stm32l4r5.toml, parses to PB9/PB8.
    #[test]
    fn documented_nucleo_l4r5zi_monitor_section_parses() {
        let doc = include_str!("../../../../docs/energy.md");
        let at = doc
            .find("sda = \"PB9\"")
            .expect("docs/energy.md has the NUCLEO block");
        let start = doc[..at].rfind("```toml\n").unwrap() + "```toml\n".len();
        let block = &doc[start..];
        let block = &block[..block.find("```").unwrap()];
        let shipped = include_str!("../../../../targets/stm32l4r5.toml");
        let t = Target::parse(
            Path::new("targets/stm32l4r5.toml"),
            &format!("{shipped}\n{block}"),
        )
        .unwrap();
        let bus = t.power.unwrap().monitor_bus.unwrap();
        assert_eq!(
            (bus.sda.to_string(), bus.scl.to_string()),
            ("PB9".into(), "PB8".into())
        );
    }
}
