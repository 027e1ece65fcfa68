//! Energy per case, one pipeline for every source (`tinybench-energy`): a trace of power
//! samples and one window per timed repetition on the same clock, integrated per window.
//!
//! * `--energy model`: the emulator's modeled-cycle timeline and the target's datasheet
//!   figure synthesise the samples ("energy, modeled (datasheet …)").
//! * `--energy ina226` / `ina219`: the firmware's `TB power` readings and `TB region`
//!   starts, on the cycle-counter clock ([`measured`]; "energy, measured (INA226)").
//! * `--energy ppk2[:PORT]`: a PPK2 stream, windows from its logic port ([`measured`];
//!   "energy, measured (PPK2)").

pub mod measured;

use crate::config::target::{Connection, I2cPins, Pin, Ppk2Wiring, Target};
use std::collections::BTreeMap;
use tinybench_energy::datasheet::PowerModel;
use tinybench_energy::ppk2_serial::{Capture, Ppk2Error, Recording};
use tinybench_energy::{integrate, Trace, TraceError, Window};
use tinybench_results::CaseEnergy;

/// Synthesised sample rate: what a PPK2 delivers (100 kS/s).
const SAMPLE_RATE_HZ: f64 = 100e3;

/// One timed region on the modeled-cycle timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The case it timed, or `None` for an empty (overhead) region.
    pub case: Option<u32>,
    /// Modeled cycles since reset at the region's first counter read.
    pub start: u64,
    /// … and at its second.
    pub end: u64,
}

/// What `--energy` asked for: `none`, `model`, `ppk2[:PORT]`, `ina226`, `ina219`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Energy {
    /// No energy figures.
    None,
    /// The target's datasheet figure applied to the modeled cycles.
    Model,
    /// A PPK2 on the host; `None` finds its port.
    Ppk2(Option<String>),
    /// The INA226/INA219 named, on the board (firmware feature `power-<kind>`).
    Monitor(String),
}

impl std::str::FromStr for Energy {
    type Err = String;
    fn from_str(s: &str) -> Result<Energy, String> {
        Ok(match s {
            "none" => Energy::None,
            "model" => Energy::Model,
            "ppk2" => Energy::Ppk2(None),
            "ina226" | "ina219" => Energy::Monitor(s.to_string()),
            _ => match s.strip_prefix("ppk2:") {
                Some(port) if !port.is_empty() => Energy::Ppk2(Some(port.to_string())),
                _ => {
                    return Err(format!(
                        "`{s}`: use none, model, ppk2, ppk2:PORT (e.g. ppk2:/dev/ttyACM0), ina226 or ina219"
                    ))
                }
            },
        })
    }
}

/// Why energy figures cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum EnergyError {
    /// The target file lacks what the source needs.
    #[error("{0}")]
    Config(String),
    /// A measured source on an emulated target.
    #[error("no power monitor on an emulated target ({0}); use --energy model")]
    Emulated(String),
    /// The PPK2 could not be found or driven.
    #[error(transparent)]
    Ppk2(#[from] Ppk2Error),
    /// The samples could not be integrated.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// Samples, markers and timed regions do not line up.
    #[error("{0}")]
    Pairing(String),
    /// A monitor on a board whose I2C bus the firmware cannot drive.
    #[error(
        "no I2C bus glue for board {board}{chip}; supported: {supported}. The firmware could not \
         read the monitor (every reading would be a power-error); see docs/energy.md"
    )]
    NoBusGlue {
        /// Target name.
        board: String,
        /// ` (chip …)` when the target names one.
        chip: String,
        /// Boards that have glue.
        supported: &'static str,
    },
}

/// A board's I2C bus glue in the firmware, for the monitor (`targets/firmware/src/power/bus.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusGlue {
    /// The nRF52840's TWIM0 (firmware feature `i2c-nrf52840`).
    Nrf52840,
    /// The STM32L4R5's I2C1 (firmware feature `i2c-stm32l4r5`).
    Stm32l4r5,
}

impl BusGlue {
    /// The boards that have glue, for messages.
    pub const SUPPORTED: &'static str = "nrf52840, stm32l4r5";

    /// The glue for a target's chip (its probe-rs chip name), if the firmware has one.
    pub fn for_target(t: &Target) -> Option<BusGlue> {
        match &t.connection {
            Connection::Probe { chip } => {
                let c = chip.to_ascii_lowercase();
                if c.starts_with("nrf52840") {
                    Some(BusGlue::Nrf52840)
                } else if c.starts_with("stm32l4r5") {
                    Some(BusGlue::Stm32l4r5)
                } else {
                    None
                }
            }
            Connection::Emulator => None,
        }
    }

    /// The firmware feature that compiles it in.
    pub fn feature(self) -> &'static str {
        match self {
            BusGlue::Nrf52840 => "i2c-nrf52840",
            BusGlue::Stm32l4r5 => "i2c-stm32l4r5",
        }
    }

    /// The pins to write in `[power.monitor]`, for messages.
    fn example(self) -> &'static str {
        match self {
            BusGlue::Nrf52840 => "sda = \"P0.26\", scl = \"P0.27\" on the nRF52840-DK",
            BusGlue::Stm32l4r5 => "sda = \"PB9\", scl = \"PB8\" on the NUCLEO-L4R5ZI (D14/D15)",
        }
    }

    /// Why the glue cannot drive these pins, if it cannot: the STM32L4R5's I2C1 is on
    /// SCL PB6/PB8 and SDA PB7/PB9 (AF4; PG14/PG13 need VDDIO2, not set up). The firmware
    /// checks the same at compile time (stm32_i2c_plan::i2c1_pins); this says it first.
    pub fn check_pins(self, bus: &I2cPins) -> Result<(), String> {
        match self {
            BusGlue::Nrf52840 => Ok(()),
            BusGlue::Stm32l4r5 => {
                let on = |p: &Pin, port: u8, pins: [u8; 2]| p.port == port && pins.contains(&p.pin);
                if on(&bus.scl, 1, [6, 8]) && on(&bus.sda, 1, [7, 9]) {
                    Ok(())
                } else {
                    Err(format!(
                        "sda = {}, scl = {}: the stm32l4r5 glue drives I2C1, whose SCL is PB6 or PB8 \
                         and SDA PB7 or PB9 ({})",
                        bus.sda,
                        bus.scl,
                        self.example()
                    ))
                }
            }
        }
    }
}

/// Everything a source needs, checked before the firmware is built.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Datasheet model.
    Model(PowerModel),
    /// A monitor on the board, read by the firmware over the board's I2C glue.
    Monitor(measured::MonitorPlan, BusGlue),
    /// A PPK2 at `port`, wired as the target file says.
    Ppk2 {
        /// Serial port.
        port: String,
        /// Wiring.
        wiring: Ppk2Wiring,
    },
}

impl Plan {
    /// The firmware features this source needs: the monitor's driver and the board's
    /// I2C glue, or the PPK2 marker pin.
    pub fn firmware_features(&self) -> Vec<String> {
        match self {
            Plan::Monitor(m, glue) => vec![
                format!("power-{}", m.monitor.chip.name().to_lowercase()),
                glue.feature().to_string(),
            ],
            Plan::Ppk2 { .. } => vec!["power-marker".into()],
            Plan::Model(_) => Vec::new(),
        }
    }
}

/// A plan with what was recorded during the run.
#[derive(Debug, Clone)]
pub enum Input {
    /// Datasheet model.
    Model(PowerModel),
    /// Monitor readings come with the firmware's events.
    Monitor(measured::MonitorPlan),
    /// The PPK2 stream recorded while the firmware ran.
    Ppk2(Box<Recording>, Ppk2Wiring),
}

/// Check that `energy` can be measured or modeled on `target`; for a PPK2, find it.
pub fn plan(energy: &Energy, target: &Target) -> Result<Option<Plan>, EnergyError> {
    if matches!(energy, Energy::Ppk2(_) | Energy::Monitor(_)) && target.is_emulated() {
        return Err(EnergyError::Emulated(target.name.clone()));
    }
    Ok(match energy {
        Energy::None => None,
        Energy::Model => Some(Plan::Model(model_for(target).map_err(EnergyError::Config)?)),
        Energy::Monitor(kind) => Some(monitor_plan(kind, target)?),
        Energy::Ppk2(port) => Some(ppk2_plan(port.as_deref(), target)?),
    })
}

/// The target's `[power]` section, or an error saying what to add.
fn power(target: &Target) -> Result<&crate::config::target::Power, EnergyError> {
    target.power.as_ref().ok_or_else(|| {
        EnergyError::Config(format!(
            "targets/{}.toml has no [power] section: add run_ua_per_mhz, supply_v and source (the datasheet figure and where it is from)",
            target.name
        ))
    })
}

/// `--energy ina226`/`ina219`: the board's bus glue, its monitor section and its pins.
fn monitor_plan(kind: &str, target: &Target) -> Result<Plan, EnergyError> {
    // Without the board's bus glue every reading fails: refuse before building.
    let glue = BusGlue::for_target(target).ok_or_else(|| EnergyError::NoBusGlue {
        board: target.name.clone(),
        chip: match &target.connection {
            Connection::Probe { chip } => format!(" (chip {chip})"),
            Connection::Emulator => String::new(),
        },
        supported: BusGlue::SUPPORTED,
    })?;
    let m = power(target)?.monitor.ok_or_else(|| {
        EnergyError::Config(format!(
            "targets/{}.toml has no [power.monitor] (kind = \"{kind}\", shunt_ohm = …): docs/energy.md",
            target.name
        ))
    })?;
    if !m.chip.name().eq_ignore_ascii_case(kind) {
        return Err(EnergyError::Config(format!(
            "--energy {kind}, but targets/{}.toml's power.monitor.kind is {}",
            target.name,
            m.chip.name().to_lowercase()
        )));
    }
    let Some(bus) = power(target)?.monitor_bus else {
        return Err(EnergyError::Config(format!(
            "targets/{}.toml's [power.monitor] has no sda/scl: the I2C pins the {kind} is on, \
             e.g. {} (docs/energy.md)",
            target.name,
            glue.example()
        )));
    };
    glue.check_pins(&bus).map_err(|e| {
        EnergyError::Config(format!(
            "targets/{}.toml's [power.monitor]: {e}",
            target.name
        ))
    })?;
    Ok(Plan::Monitor(
        measured::MonitorPlan {
            monitor: m,
            clock_hz: target.clock_hz as f64,
            counter_bits: if target.counter().starts_with("SysTick") {
                24
            } else {
                32
            },
        },
        glue,
    ))
}

/// `--energy ppk2[:PORT]`: the wiring and marker registers, and the PPK2's port.
fn ppk2_plan(port: Option<&str>, target: &Target) -> Result<Plan, EnergyError> {
    let wiring = power(target)?.ppk2.clone().ok_or_else(|| {
        EnergyError::Config(format!(
            "targets/{}.toml has no [power.ppk2] (marker_pin = \"…\"): docs/energy.md",
            target.name
        ))
    })?;
    if wiring.marker.is_none() {
        return Err(EnergyError::Config(format!(
            "targets/{}.toml has no [power.ppk2.marker] (the registers that drive {}): docs/energy.md",
            target.name, wiring.marker_pin
        )));
    }
    let port = tinybench_energy::ppk2_serial::find_port(port)?;
    Ok(Plan::Ppk2 { port, wiring })
}

/// A source that records while the firmware runs (the PPK2) is started here.
pub struct Running(Option<Plan>, Option<Capture>);

/// Start recording, if the plan records.
pub fn start(plan: Option<Plan>) -> Result<Running, EnergyError> {
    let capture = match &plan {
        Some(Plan::Ppk2 { port, wiring }) => Some(Capture::start(port, wiring.vdd_mv)?),
        _ => None,
    };
    Ok(Running(plan, capture))
}

impl Running {
    /// Stop recording; what the analysis needs.
    pub fn finish(self) -> Result<Option<Input>, EnergyError> {
        Ok(match (self.0, self.1) {
            (None, _) => None,
            (Some(Plan::Model(m)), _) => Some(Input::Model(m)),
            (Some(Plan::Monitor(m, _)), _) => Some(Input::Monitor(m)),
            (Some(Plan::Ppk2 { wiring, .. }), Some(c)) => {
                Some(Input::Ppk2(Box::new(c.finish()?), wiring))
            }
            (Some(Plan::Ppk2 { .. }), None) => None,
        })
    }
}

/// The datasheet model of a target, or an error naming the file to fix.
pub fn model_for(target: &Target) -> Result<PowerModel, String> {
    let p = target.power.as_ref().ok_or_else(|| {
        format!(
            "targets/{}.toml has no [power] section: add run_ua_per_mhz, supply_v and source (the datasheet figure and where it is from)",
            target.name
        )
    })?;
    Ok(PowerModel {
        ua_per_mhz: p.run_ua_per_mhz,
        supply_v: p.supply_v,
        clock_hz: target.clock_hz as f64,
        citation: p.source.clone(),
    })
}

/// Energy per case and issues in words, from a datasheet model: a trace synthesised from
/// the model over the modeled-cycle timeline, one window per timed region.
pub fn per_case(
    model: &PowerModel,
    regions: &[Region],
) -> Result<(BTreeMap<u32, CaseEnergy>, Vec<String>), TraceError> {
    let end = regions.iter().map(|r| r.end).max().unwrap_or(0) + 1;
    let trace = Trace::new(model.synthesise(end, SAMPLE_RATE_HZ))?;
    let windows: Vec<Timed> = regions
        .iter()
        .map(|r| Timed {
            case: r.case,
            window: Window {
                start: model.seconds(r.start),
                end: model.seconds(r.end.max(r.start + 1)),
            },
            extra_bound: 0.0,
        })
        .collect();
    per_window(&trace, &windows)
}

/// One timed region on a trace's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed {
    /// The case it timed, or `None` for an empty (overhead) region.
    pub case: Option<u32>,
    /// Its window.
    pub window: Window,
    /// Error bound to add beyond the sampling (e.g. edge uncertainty), joules.
    pub extra_bound: f64,
}

/// Integrate every window; per case, subtract the median empty-region energy (0 when
/// the source has no empty regions).
pub fn per_window(
    trace: &Trace,
    windows: &[Timed],
) -> Result<(BTreeMap<u32, CaseEnergy>, Vec<String>), TraceError> {
    let issues = trace
        .issues
        .iter()
        .map(|i| format!("energy trace: {i:?}"))
        .collect();
    let mut overhead = Vec::new();
    let mut cases: BTreeMap<u32, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for r in windows {
        let e = integrate(trace, r.window)?;
        match r.case {
            None => overhead.push(e.joules),
            Some(id) => {
                cases
                    .entry(id)
                    .or_default()
                    .push((e.joules, e.avg_watts, e.bound + r.extra_bound))
            }
        }
    }
    overhead.sort_by(f64::total_cmp);
    let base = overhead.get(overhead.len() / 2).copied().unwrap_or(0.0);
    let out = cases
        .into_iter()
        .map(|(id, reps)| {
            let mut uj: Vec<f64> = reps
                .iter()
                .map(|(j, _, _)| (j - base).max(0.0) * 1e6)
                .collect();
            let per_inference_uj = uj.clone();
            uj.sort_by(f64::total_cmp);
            let avg_power_mw = reps.iter().map(|r| r.1).sum::<f64>() / reps.len() as f64 * 1e3;
            let bound_uj = reps.iter().map(|r| r.2).fold(0.0, f64::max) * 1e6;
            (
                id,
                CaseEnergy {
                    per_inference_uj,
                    median_uj: uj[uj.len() / 2],
                    avg_power_mw,
                    bound_uj,
                },
            )
        })
        .collect();
    Ok((out, issues))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_matches_the_direct_model_per_case() {
        let m = PowerModel {
            ua_per_mhz: 52.0,
            supply_v: 3.0,
            clock_hz: 64e6,
            citation: "t".into(),
        };
        let regions = [
            Region {
                case: None,
                start: 100,
                end: 102,
            },
            Region {
                case: Some(0),
                start: 1_000,
                end: 153_082,
            },
            Region {
                case: Some(0),
                start: 200_000,
                end: 352_082,
            },
        ];
        let (e, _) = per_case(&m, &regions).unwrap();
        let direct_uj = m.joules(152_082 - 2) * 1e6;
        let got = e[&0].median_uj;
        assert!(
            (got - direct_uj).abs() < 1e-6 * direct_uj,
            "{got} vs {direct_uj}"
        );
        assert!((e[&0].avg_power_mw - 9.984).abs() < 1e-9);
    }

    fn board(file: &str, text: &str, extra: &str) -> Target {
        Target::parse(
            std::path::Path::new(&format!("targets/{file}.toml")),
            &format!("{text}\n{extra}"),
        )
        .unwrap()
    }

    const MONITOR: &str = "[power.monitor]\nkind = \"ina226\"\nshunt_ohm = 0.1\n";
    const PINS: &str = "sda = \"P0.26\"\nscl = \"P0.27\"\n";
    const STM_PINS: &str = "sda = \"PB9\"\nscl = \"PB8\"\n";

    #[test]
    fn monitor_needs_the_boards_bus_glue_and_its_pins() {
        let ina = Energy::Monitor("ina226".into());
        // A board without glue is refused before anything is built, even with pins.
        let stm = include_str!("../../targets/stm32f411.toml");
        let e = plan(
            &ina,
            &board("stm32f411", stm, &format!("{MONITOR}{STM_PINS}")),
        )
        .unwrap_err();
        assert!(matches!(e, EnergyError::NoBusGlue { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.starts_with(
                "no I2C bus glue for board stm32f411 (chip STM32F411RETx); supported: nrf52840, stm32l4r5"
            ),
            "{msg}"
        );
        // The nRF52840 has glue: without pins the error names the missing fields ...
        let nrf = include_str!("../../targets/nrf52840.toml");
        let e = plan(&ina, &board("nrf52840", nrf, MONITOR)).unwrap_err();
        assert!(e.to_string().contains("has no sda/scl"), "{e}");
        // ... with them the build gets the driver and the TWIM glue.
        let p = plan(&ina, &board("nrf52840", nrf, &format!("{MONITOR}{PINS}")))
            .unwrap()
            .unwrap();
        assert_eq!(p.firmware_features(), ["power-ina226", "i2c-nrf52840"]);
        // The shipped file has no [power.monitor]: that is said, not the glue.
        let e = plan(&ina, &board("nrf52840", nrf, "")).unwrap_err();
        assert!(e.to_string().contains("has no [power.monitor]"), "{e}");
        // The STM32L4R5 has I2C1 glue: its missing-pins hint is the NUCLEO's, pins off
        // I2C1 are refused before building, and PB9/PB8 get the driver and the glue.
        let l4 = include_str!("../../targets/stm32l4r5.toml");
        let e = plan(&ina, &board("stm32l4r5", l4, MONITOR)).unwrap_err();
        assert!(
            e.to_string()
                .contains("sda = \"PB9\", scl = \"PB8\" on the NUCLEO-L4R5ZI"),
            "{e}"
        );
        let off = STM_PINS.replace("PB8", "PA9");
        let e = plan(&ina, &board("stm32l4r5", l4, &format!("{MONITOR}{off}"))).unwrap_err();
        assert!(
            e.to_string()
                .contains("sda = PB9, scl = PA9: the stm32l4r5 glue drives I2C1"),
            "{e}"
        );
        for pins in [STM_PINS, "sda = \"PB7\"\nscl = \"PB6\"\n"] {
            let p = plan(&ina, &board("stm32l4r5", l4, &format!("{MONITOR}{pins}")))
                .unwrap()
                .unwrap();
            assert_eq!(p.firmware_features(), ["power-ina226", "i2c-stm32l4r5"]);
        }
        // Other sources need no glue.
        let p = plan(&Energy::Model, &board("stm32f411", stm, ""))
            .unwrap()
            .unwrap();
        assert!(p.firmware_features().is_empty());
    }

    #[test]
    fn energy_option_parses_and_rejects() {
        assert_eq!("model".parse::<Energy>(), Ok(Energy::Model));
        assert_eq!("ppk2".parse::<Energy>(), Ok(Energy::Ppk2(None)));
        assert_eq!(
            "ppk2:/dev/ttyACM0".parse::<Energy>(),
            Ok(Energy::Ppk2(Some("/dev/ttyACM0".into())))
        );
        assert_eq!(
            "ina226".parse::<Energy>(),
            Ok(Energy::Monitor("ina226".into()))
        );
        assert!("ppk2:".parse::<Energy>().is_err());
        assert!("ina999".parse::<Energy>().unwrap_err().contains("ina226"));
    }
}
