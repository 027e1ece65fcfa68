//! Target definitions: `targets/<name>.toml`.

use super::{ConfigError, Source};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::path::Path;

mod pin;
mod power;
pub use pin::{Pin, PinStyle};
use power::RawPower;
pub use power::{I2cPins, MarkerRegs, Power, Ppk2Wiring};

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
    /// SHA-256 (hex) of the file's text, stored with every run so a comparison can say
    /// that the target file changed between two runs.
    pub sha256: String,
}

/// Most memory the emulator maps for one target (flash and RAM together): unicorn backs
/// every mapped byte with host memory at once, and a 3.5 GiB RAM failed only at run time
/// with `unicorn error MAP` (issue 19). The largest real part here has 2 MiB of flash.
pub const EMULATOR_MAX_BYTES: u64 = 512 << 20;

fn emulator_fits(
    src: &Source<'_>,
    ram_span: &Spanned<RawRegion>,
    flash: Region,
    ram: Region,
) -> Result<(), ConfigError> {
    if flash.size + ram.size <= EMULATOR_MAX_BYTES {
        return Ok(());
    }
    Err(src.error(
        Some(ram_span.span()),
        Some("memory"),
        format!(
            "flash {} KiB + RAM {} KiB = {} MiB is more than the {} MiB the emulator maps for a target",
            flash.size / 1024,
            ram.size / 1024,
            (flash.size + ram.size) >> 20,
            EMULATOR_MAX_BYTES >> 20
        ),
    ))
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
        if matches!(raw.connection.get_ref(), RawConnection::Emulator) {
            emulator_fits(&src, &raw.memory.ram, flash, ram)?;
        }
        let chip = match raw.connection.get_ref() {
            RawConnection::Probe { chip } => Some(chip.as_str()),
            RawConnection::Emulator => None,
        };
        let power = match raw.power {
            None => None,
            Some(p) => Some(power::validate(&src, p, chip)?),
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
            sha256: {
                use sha2::Digest;
                sha2::Sha256::digest(text.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            },
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
pub(crate) mod tests {
    use super::*;

    /// A valid emulated target file, for tests here and elsewhere in the crate.
    pub(crate) const GOOD: &str = r#"
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

    /// Parse `text` as `targets/sim-x.toml`.
    pub(crate) fn parse(text: &str) -> Result<Target, ConfigError> {
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

    #[test]
    fn overlapping_memory_is_rejected() {
        let e = parse(&GOOD.replace("0x20000000", "0x1000")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("memory.ram"), "{e}");
    }
}
