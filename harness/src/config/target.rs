//! Target definitions: `targets/<name>.toml`.

use super::{ConfigError, Source};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::path::Path;

/// The cores tinybench knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Core {
    /// Cortex-M0+.
    CortexM0plus,
    /// Cortex-M3.
    CortexM3,
    /// Cortex-M4(F).
    CortexM4,
    /// Cortex-M7.
    CortexM7,
    /// Cortex-M33.
    CortexM33,
    /// RV32IMAC (e.g. SiFive E31 / FE310).
    Rv32imac,
    /// RV32IMC (e.g. ESP32-C3).
    Rv32imc,
}

impl Core {
    /// Name as written in target files.
    pub fn name(self) -> &'static str {
        match self {
            Core::CortexM0plus => "cortex-m0plus",
            Core::CortexM3 => "cortex-m3",
            Core::CortexM4 => "cortex-m4",
            Core::CortexM7 => "cortex-m7",
            Core::CortexM33 => "cortex-m33",
            Core::Rv32imac => "rv32imac",
            Core::Rv32imc => "rv32imc",
        }
    }

    /// Whether this is a RISC-V core.
    pub fn is_riscv(self) -> bool {
        matches!(self, Core::Rv32imac | Core::Rv32imc)
    }

    /// Rust target triples this core can run.
    fn triples(self) -> &'static [&'static str] {
        match self {
            Core::CortexM0plus => &["thumbv6m-none-eabi"],
            Core::CortexM3 => &["thumbv7m-none-eabi"],
            Core::CortexM4 | Core::CortexM7 => &["thumbv7em-none-eabihf", "thumbv7em-none-eabi"],
            Core::CortexM33 => &["thumbv8m.main-none-eabihf", "thumbv8m.main-none-eabi"],
            Core::Rv32imac => &["riscv32imac-unknown-none-elf"],
            Core::Rv32imc => &["riscv32imc-unknown-none-elf"],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: Spanned<String>,
    description: Option<String>,
    core: Spanned<Core>,
    triple: Spanned<String>,
    clock_hz: Spanned<u64>,
    clock_source: Option<String>,
    memory: RawMemory,
    connection: Spanned<RawConnection>,
    power: Option<Spanned<RawPower>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPower {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMemory {
    flash: Spanned<RawRegion>,
    ram: Spanned<RawRegion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    origin: u64,
    size_kib: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
enum RawConnection {
    Emulator,
    Probe { chip: String },
}

/// A memory region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Start address.
    pub origin: u64,
    /// Size in bytes.
    pub size: u64,
}

/// How the device is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// The in-process emulator.
    Emulator,
    /// A board behind a debug probe; `chip` is the probe-rs chip name.
    Probe {
        /// probe-rs chip name, e.g. `nRF52840_xxAA`.
        chip: String,
    },
}

/// A validated target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Name (the file stem).
    pub name: String,
    /// One line for `list targets`.
    pub description: String,
    /// Core.
    pub core: Core,
    /// Rust target triple of the firmware.
    pub triple: String,
    /// Core clock in Hz.
    pub clock_hz: u64,
    /// How the core gets that clock (reset default, PLL set by the firmware, …).
    pub clock_source: String,
    /// Flash.
    pub flash: Region,
    /// RAM.
    pub ram: Region,
    /// How to reach it.
    pub connection: Connection,
    /// Datasheet power figure for the energy model, if the file gives one.
    pub power: Option<Power>,
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

impl Target {
    /// Load and validate `path`.
    pub fn load(path: &Path) -> Result<Target, ConfigError> {
        let text = super::read(path)?;
        Self::parse(path, &text)
    }

    /// Validate target text (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Target, ConfigError> {
        let src = Source { path, text };
        let raw: RawTarget = src.parse()?;
        src.check_name(&raw.name)?;
        let core = *raw.core.get_ref();
        if !core.triples().contains(&raw.triple.get_ref().as_str()) {
            return Err(src.error(
                Some(raw.triple.span()),
                Some("triple"),
                format!(
                    "triple `{}` cannot run on a {}; use one of: {}",
                    raw.triple.get_ref(),
                    core.name(),
                    core.triples().join(", ")
                ),
            ));
        }
        if !(1_000_000..=2_000_000_000).contains(raw.clock_hz.get_ref()) {
            return Err(src.error(
                Some(raw.clock_hz.span()),
                Some("clock_hz"),
                "clock must be between 1 MHz and 2 GHz",
            ));
        }
        let region =
            |r: &Spanned<RawRegion>, field: &str| -> Result<Region, ConfigError> {
                let v = r.get_ref();
                let size = v
                    .size_kib
                    .checked_mul(1024)
                    .filter(|&s| s > 0 && v.origin.checked_add(s).is_some_and(|e| e <= 1 << 32));
                match size {
                Some(size) if v.origin.is_multiple_of(4) => Ok(Region { origin: v.origin, size }),
                _ => Err(src.error(
                    Some(r.span()),
                    Some(field),
                    "region must be word-aligned, non-empty and inside the 32-bit address space",
                )),
            }
            };
        let flash = region(&raw.memory.flash, "memory.flash")?;
        let ram = region(&raw.memory.ram, "memory.ram")?;
        if flash.origin < ram.origin + ram.size && ram.origin < flash.origin + flash.size {
            return Err(src.error(
                Some(raw.memory.ram.span()),
                Some("memory.ram"),
                "RAM overlaps flash",
            ));
        }
        let power = match raw.power {
            None => None,
            Some(p) => {
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
                        Some(tinybench_energy::ina::Monitor {
                            chip,
                            shunt_ohm: m.shunt_ohm,
                        })
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
                Some(Power {
                    run_ua_per_mhz: p.run_ua_per_mhz,
                    supply_v: p.supply_v,
                    source: p.source,
                    monitor,
                    ppk2,
                })
            }
        };
        let connection = match raw.connection.into_inner() {
            RawConnection::Emulator => Connection::Emulator,
            RawConnection::Probe { chip } => Connection::Probe { chip },
        };
        Ok(Target {
            name: raw.name.into_inner(),
            description: raw.description.unwrap_or_default(),
            core,
            triple: raw.triple.into_inner(),
            clock_hz: raw.clock_hz.into_inner(),
            clock_source: raw.clock_source.unwrap_or_else(|| "not stated".into()),
            flash,
            ram,
            connection,
            power,
        })
    }

    /// `memory.x` for cortex-m-rt or riscv-rt, generated from this file.
    pub fn memory_x(&self) -> String {
        let mut s = format!(
            "/* Generated by tinybench from targets/{}.toml; do not edit. */\nMEMORY\n{{\n  FLASH : ORIGIN = {:#010x}, LENGTH = {}K\n  RAM : ORIGIN = {:#010x}, LENGTH = {}K\n}}\n",
            self.name,
            self.flash.origin,
            self.flash.size / 1024,
            self.ram.origin,
            self.ram.size / 1024
        );
        if self.core.is_riscv() {
            // riscv-rt places sections by region alias.
            for (alias, region) in [
                ("REGION_TEXT", "FLASH"),
                ("REGION_RODATA", "FLASH"),
                ("REGION_DATA", "RAM"),
                ("REGION_BSS", "RAM"),
                ("REGION_HEAP", "RAM"),
                ("REGION_STACK", "RAM"),
            ] {
                s.push_str(&format!("REGION_ALIAS(\"{alias}\", {region});\n"));
            }
        }
        s
    }

    /// The counter the firmware times with on this core: DWT CYCCNT on ARMv7-M/v8-M,
    /// SysTick on ARMv6-M (no CYCCNT there), `mcycle` on RISC-V.
    pub fn counter(&self) -> &'static str {
        match self.core {
            Core::CortexM0plus => "SysTick (24-bit)",
            c if c.is_riscv() => "mcycle",
            _ => "DWT CYCCNT",
        }
    }

    /// Whether this target runs in the emulator.
    pub fn is_emulated(&self) -> bool {
        self.connection == Connection::Emulator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "sim-x"
core = "cortex-m4"
triple = "thumbv7em-none-eabihf"
clock_hz = 64_000_000
[memory]
flash = { origin = 0x0, size_kib = 1024 }
ram = { origin = 0x20000000, size_kib = 256 }
[connection]
kind = "emulator"
"#;

    fn parse(text: &str) -> Result<Target, ConfigError> {
        Target::parse(Path::new("targets/sim-x.toml"), text)
    }

    #[test]
    fn good_target_parses() {
        let t = parse(GOOD).unwrap();
        assert_eq!(
            t.ram,
            Region {
                origin: 0x2000_0000,
                size: 256 * 1024
            }
        );
        assert!(t
            .memory_x()
            .contains("RAM : ORIGIN = 0x20000000, LENGTH = 256K"));
    }

    #[test]
    fn wrong_triple_names_line_and_field() {
        let e = parse(&GOOD.replace("thumbv7em-none-eabihf", "thumbv6m-none-eabi")).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(4), Some("triple")),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_and_unknown_core_are_errors() {
        let e = parse(&GOOD.replace("clock_hz", "clock_hz = 1\nspeed")).unwrap_err();
        assert!(e.to_string().contains("speed"), "{e}");
        let e = parse(&GOOD.replace("cortex-m4", "cortex-m99")).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

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
    fn overlapping_memory_is_rejected() {
        let e = parse(&GOOD.replace("0x20000000", "0x1000")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("memory.ram"), "{e}");
    }
}
