//! The `[power]` section of a target file: the datasheet figure, `[power.monitor]` (an
//! INA226/INA219 and the I2C pins it is on) and `[power.ppk2]` (docs/energy.md).

use super::super::{ConfigError, Source};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::fmt;

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

/// A GPIO pin in nRF naming, `P<port>.<pin>` (e.g. `P0.26`): port 0–1, pin 0–31 (the
/// nRF52840's P0 and P1; the only board with I2C bus glue so far is the nRF52840).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// GPIO port.
    pub port: u8,
    /// Pin within the port.
    pub pin: u8,
}

impl std::str::FromStr for Pin {
    type Err = String;
    fn from_str(s: &str) -> Result<Pin, String> {
        let form = || format!("`{s}` is not a pin name: write P<port>.<pin>, e.g. P0.26");
        let rest = s.strip_prefix(['P', 'p']).ok_or_else(form)?;
        let (port, pin) = rest.split_once('.').ok_or_else(form)?;
        let num = |t: &str| -> Result<u8, String> {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(form());
            }
            t.parse::<u8>().map_err(|_| form())
        };
        let (port, pin) = (num(port)?, num(pin)?);
        if port > 1 {
            return Err(format!(
                "`{s}`: port {port} does not exist; ports are 0 and 1"
            ));
        }
        if pin > 31 {
            return Err(format!("`{s}`: pin {pin} does not exist; pins are 0–31"));
        }
        Ok(Pin { port, pin })
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}.{}", self.port, self.pin)
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
    /// The generated `i2c.rs` the firmware's bus glue includes: `(port, pin)` pairs.
    pub fn rust(&self) -> String {
        format!(
            "pub const SDA: (u8, u8) = ({}, {});\npub const SCL: (u8, u8) = ({}, {});\n",
            self.sda.port, self.sda.pin, self.scl.port, self.scl.pin
        )
    }
}

/// One of `sda`/`scl`: present (else the other was given alone) and a valid pin. Errors
/// name the field and its line (the section's when it is missing).
fn pin(
    src: &Source<'_>,
    section: std::ops::Range<usize>,
    value: Option<Spanned<String>>,
    field: &str,
) -> Result<(std::ops::Range<usize>, Pin), ConfigError> {
    let Some(v) = value else {
        return Err(src.error(
            Some(section),
            Some(field),
            "give sda and scl together, e.g. sda = \"P0.26\", scl = \"P0.27\"",
        ));
    };
    match v.get_ref().trim().parse::<Pin>() {
        Ok(p) => Ok((v.span(), p)),
        Err(e) => Err(src.error(Some(v.span()), Some(field), e)),
    }
}

/// Validate `[power]`.
pub(super) fn validate(src: &Source<'_>, p: Spanned<RawPower>) -> Result<Power, ConfigError> {
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
                    let sda = pin(src, span.clone(), sda, "power.monitor.sda")?;
                    let scl = pin(src, span.clone(), scl, "power.monitor.scl")?;
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
        assert_eq!(bus.sda, Pin { port: 0, pin: 26 });
        assert_eq!(bus.scl, Pin { port: 1, pin: 3 });
        assert_eq!(bus.scl.to_string(), "P1.3");
        assert_eq!(
            bus.rust(),
            "pub const SDA: (u8, u8) = (0, 26);\npub const SCL: (u8, u8) = (1, 3);\n"
        );
        // sda is on line 18 of the text, scl on line 19.
        for (bad, field, line, says) in [
            ("P0.32", "power.monitor.sda", 18, "pin 32 does not exist"),
            ("P2.1", "power.monitor.sda", 18, "port 2 does not exist"),
            ("PA5", "power.monitor.sda", 18, "not a pin name"),
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
}
