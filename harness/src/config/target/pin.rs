//! GPIO pin names in a target file (`[power.monitor]` `sda`/`scl`), in the naming of the
//! chip's family: nRF `P<port>.<pin>`, STM32 `P<port letter><pin>`.

use std::fmt;

/// How a chip family names its pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStyle {
    /// nRF: `P<port>.<pin>`, e.g. `P0.26` (ports 0–1, pins 0–31).
    Nrf,
    /// STM32: `P<port letter><pin>`, e.g. `PB8` (ports A–K, pins 0–15).
    Stm32,
}

impl PinStyle {
    /// The style of a probe-rs chip name (`nRF52840_xxAA`, `STM32L4R5ZITx`); `None` for
    /// other chips and emulated targets, which accept either (no bus glue uses them).
    pub fn for_chip(chip: &str) -> Option<PinStyle> {
        let c = chip.to_ascii_lowercase();
        if c.starts_with("nrf") {
            Some(PinStyle::Nrf)
        } else if c.starts_with("stm32") {
            Some(PinStyle::Stm32)
        } else {
            None
        }
    }

    fn example(self) -> &'static str {
        match self {
            PinStyle::Nrf => "P<port>.<pin>, e.g. P0.26",
            PinStyle::Stm32 => "P<port letter><pin>, e.g. PB9",
        }
    }
}

/// A GPIO pin, `P<port>.<pin>` (nRF, e.g. `P0.26`) or `P<port letter><pin>` (STM32,
/// e.g. `PB8`; port A is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// How it was written (and is shown).
    pub style: PinStyle,
    /// GPIO port (STM32: A = 0).
    pub port: u8,
    /// Pin within the port.
    pub pin: u8,
}

impl Pin {
    /// Parse `s` in the style of `chip` (a probe-rs chip name), or either style when the
    /// chip has none.
    pub fn parse(s: &str, chip: Option<&str>) -> Result<Pin, String> {
        let want = chip.and_then(PinStyle::for_chip);
        let p: Pin = s.parse()?;
        match (want, chip) {
            (Some(w), Some(chip)) if w != p.style => Err(format!(
                "`{s}` is {} pin name, but {chip} names its pins {}",
                match p.style {
                    PinStyle::Nrf => "an nRF",
                    PinStyle::Stm32 => "an STM32",
                },
                w.example()
            )),
            _ => Ok(p),
        }
    }
}

impl std::str::FromStr for Pin {
    type Err = String;
    fn from_str(s: &str) -> Result<Pin, String> {
        let form = || {
            format!(
                "`{s}` is not a pin name: write {} (nRF) or {} (STM32)",
                PinStyle::Nrf.example(),
                PinStyle::Stm32.example()
            )
        };
        let rest = s.strip_prefix(['P', 'p']).ok_or_else(form)?;
        let num = |t: &str| -> Result<u8, String> {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(form());
            }
            t.parse::<u8>().map_err(|_| form())
        };
        if let Some((port, pin)) = rest.split_once('.') {
            let (port, pin) = (num(port)?, num(pin)?);
            if port > 1 {
                return Err(format!(
                    "`{s}`: port {port} does not exist; ports are 0 and 1"
                ));
            }
            if pin > 31 {
                return Err(format!("`{s}`: pin {pin} does not exist; pins are 0–31"));
            }
            return Ok(Pin {
                style: PinStyle::Nrf,
                port,
                pin,
            });
        }
        let letter = rest.chars().next().ok_or_else(form)?;
        if !letter.is_ascii_alphabetic() {
            return Err(form());
        }
        let pin = num(&rest[1..])?;
        let port = letter.to_ascii_uppercase() as u8 - b'A';
        if port > 10 {
            return Err(format!(
                "`{s}`: port {} does not exist; ports are A–K",
                letter.to_ascii_uppercase()
            ));
        }
        if pin > 15 {
            return Err(format!("`{s}`: pin {pin} does not exist; pins are 0–15"));
        }
        Ok(Pin {
            style: PinStyle::Stm32,
            port,
            pin,
        })
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.style {
            PinStyle::Nrf => write!(f, "P{}.{}", self.port, self.pin),
            PinStyle::Stm32 => write!(f, "P{}{}", char::from(b'A' + self.port), self.pin),
        }
    }
}
