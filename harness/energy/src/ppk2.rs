//! Nordic Power Profiler Kit II (PPK2): its serial protocol, written from the public
//! descriptions of it (Nordic's nRF Connect Power Profiler and the community
//! `ppk2-api-python` / `ppk2` crate sources were read to learn the layout; none of their
//! code is used).
//!
//! Why hand-written rather than the `ppk2` crate: that crate ties parsing to an open serial
//! port (and pulls `serialport` with its default libudev feature), while we want a parser
//! that is a pure state machine — bytes in, samples out, any chunking — so it is tested on
//! recorded bytes with no device. Device I/O is in [`crate::ppk2_serial`].
//!
//! The stream: after `AVERAGE_START` the PPK2 sends one little-endian 32-bit word per
//! sample at 100 kS/s:
//!
//! | bits  | field |
//! |-------|-------|
//! | 0–13  | ADC value (14 bits; the converter's value is this × 4) |
//! | 14–16 | measurement range (resistor) index, 0–4 |
//! | 17    | unused |
//! | 18–23 | counter, +1 per sample modulo 64: a jump means lost samples |
//! | 24–31 | logic port D0–D7 |
//!
//! Current in a range r: `x = (adc·4 − O[r]) · (1.8 V / 163840) / R[r]`,
//! `A = UG[r] · (x · (GS[r]·x + GI[r]) + S[r]·Vdd + I[r])`, with R, GS, GI, O, S, I, UG
//! from the device's metadata text ([`Calibration::parse`]).

use crate::{Sample, Window};

/// Samples per second of the PPK2 stream.
pub const SAMPLE_RATE_HZ: f64 = 100_000.0;
/// Number of measurement ranges.
pub const RANGES: usize = 5;
/// Volts per step of the ADC value × 4 (1.8 V reference over 163840 steps), the constant
/// Nordic's own software converts with.
const ADC_VOLTS_PER_STEP: f64 = 1.8 / 163_840.0;
/// Lowest and highest source voltage the PPK2 regulator accepts, mV.
pub const VDD_MV: std::ops::RangeInclusive<u16> = 800..=5000;

/// Command bytes (first byte of every host → PPK2 message).
pub mod op {
    /// Start streaming samples.
    pub const AVERAGE_START: u8 = 0x06;
    /// Stop streaming samples.
    pub const AVERAGE_STOP: u8 = 0x07;
    /// Turn the DUT supply on (1) or off (0).
    pub const DEVICE_RUNNING_SET: u8 = 0x0c;
    /// Set the source voltage (two bytes follow).
    pub const REGULATOR_SET: u8 = 0x0d;
    /// Ampere-meter (1) or source-meter (2) mode.
    pub const SET_POWER_MODE: u8 = 0x11;
    /// Ask for the calibration metadata text (ends with `END`).
    pub const GET_META_DATA: u8 = 0x19;
}

/// How the PPK2 is wired to the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// In series with the board's own supply (VIN → VOUT).
    Ampere,
    /// The PPK2 supplies the board from VOUT at a set voltage.
    Source,
}

/// One command to the PPK2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Read the calibration metadata.
    GetMetadata,
    /// Ampere or source meter.
    SetMode(Mode),
    /// Source voltage in mV (800–5000; used in both modes by the current formula).
    SetVoltage(u16),
    /// DUT supply on/off (source mode).
    DutPower(bool),
    /// Start the sample stream.
    Start,
    /// Stop the sample stream.
    Stop,
}

impl Command {
    /// The bytes to write. `SetVoltage` outside 800–5000 mV is clamped, as the device
    /// would: check [`VDD_MV`] first to refuse it instead.
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Command::GetMetadata => vec![op::GET_META_DATA],
            Command::SetMode(Mode::Ampere) => vec![op::SET_POWER_MODE, 1],
            Command::SetMode(Mode::Source) => vec![op::SET_POWER_MODE, 2],
            Command::SetVoltage(mv) => {
                // The regulator word counts mV from 800 with an offset of 32, sent as a
                // big-endian pair starting at 3: 800 mV is [3, 32].
                let mv = mv.clamp(*VDD_MV.start(), *VDD_MV.end());
                let v = mv - 800 + 32;
                vec![op::REGULATOR_SET, 3 + (v / 256) as u8, (v % 256) as u8]
            }
            Command::DutPower(on) => vec![op::DEVICE_RUNNING_SET, u8::from(on)],
            Command::Start => vec![op::AVERAGE_START],
            Command::Stop => vec![op::AVERAGE_STOP],
        }
    }
}

/// What is wrong with a metadata text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetadataError {
    /// The text does not end with `END` (read cut short).
    #[error("PPK2 metadata does not end with END (incomplete read?)")]
    Unterminated,
    /// A `KEY: value` line whose value is not a number.
    #[error("PPK2 metadata line {line}: `{key}` is not a number: `{value}`")]
    NotANumber {
        /// 1-based line.
        line: usize,
        /// Key.
        key: String,
        /// Value as sent.
        value: String,
    },
    /// A required calibration value is missing.
    #[error("PPK2 metadata has no `{0}`")]
    Missing(String),
    /// A range resistor that is zero or negative (would divide by it).
    #[error("PPK2 metadata: `{key}` = {value} is not a positive resistance")]
    BadResistor {
        /// Key.
        key: String,
        /// Value.
        value: f64,
    },
}

/// The per-range calibration of one PPK2.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Range resistors, Ω.
    pub r: [f64; RANGES],
    /// Gain, square term.
    pub gs: [f64; RANGES],
    /// Gain, linear term.
    pub gi: [f64; RANGES],
    /// ADC offset (in ADC×4 steps).
    pub o: [f64; RANGES],
    /// Supply-dependent offset, A/V.
    pub s: [f64; RANGES],
    /// Fixed offset, A.
    pub i: [f64; RANGES],
    /// User gain (1 when the firmware sends none).
    pub ug: [f64; RANGES],
}

impl Calibration {
    /// Parse the metadata text (`KEY: value` lines ending with `END`). Every one of
    /// `R0..R4`, `GS0..`, `GI0..`, `O0..`, `S0..`, `I0..` is required; `UG0..` default to 1
    /// (older firmware sends none); other keys (`Calibrated`, `HW`, `mode`, `IA`, `VDD`)
    /// are ignored.
    pub fn parse(text: &str) -> Result<Calibration, MetadataError> {
        if !text.lines().any(|l| l.trim() == "END") {
            return Err(MetadataError::Unterminated);
        }
        let mut values = std::collections::BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let known = ["R", "GS", "GI", "O", "S", "I", "UG"].iter().any(|p| {
                key.strip_prefix(p)
                    .is_some_and(|d| d.len() == 1 && d.as_bytes()[0].is_ascii_digit())
            });
            if !known {
                continue;
            }
            let v: f64 = value
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| MetadataError::NotANumber {
                    line: n + 1,
                    key: key.to_string(),
                    value: value.to_string(),
                })?;
            values.insert(key.to_string(), v);
        }
        let get = |p: &str, default: Option<f64>| -> Result<[f64; RANGES], MetadataError> {
            let mut out = [0.0; RANGES];
            for (k, o) in out.iter_mut().enumerate() {
                let key = format!("{p}{k}");
                *o = match (values.get(&key), default) {
                    (Some(v), _) => *v,
                    (None, Some(d)) => d,
                    (None, None) => return Err(MetadataError::Missing(key)),
                };
            }
            Ok(out)
        };
        let r = get("R", None)?;
        if let Some(k) = r.iter().position(|v| *v <= 0.0) {
            return Err(MetadataError::BadResistor {
                key: format!("R{k}"),
                value: r[k],
            });
        }
        Ok(Calibration {
            r,
            gs: get("GS", None)?,
            gi: get("GI", None)?,
            o: get("O", None)?,
            s: get("S", None)?,
            i: get("I", None)?,
            ug: get("UG", Some(1.0))?,
        })
    }

    /// Microamps of a raw 14-bit ADC value in `range` at supply `vdd_mv`.
    pub fn microamps(&self, range: usize, adc14: u16, vdd_mv: u16) -> f64 {
        let x = (f64::from(adc14) * 4.0 - self.o[range]) * ADC_VOLTS_PER_STEP / self.r[range];
        let amps = self.ug[range]
            * (x * (self.gs[range] * x + self.gi[range])
                + self.s[range] * f64::from(vdd_mv) / 1000.0
                + self.i[range]);
        amps * 1e6
    }
}

/// One decoded word.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ppk2Sample {
    /// Position in the stream, lost samples included (so `index / 100 kHz` is its time).
    pub index: u64,
    /// Current, µA.
    pub microamps: f64,
    /// Measurement range, 0–4.
    pub range: u8,
    /// Logic port D0–D7 (bit 0 = D0).
    pub logic: u8,
}

impl Ppk2Sample {
    /// Seconds since the first sample.
    pub fn t(&self) -> f64 {
        self.index as f64 / SAMPLE_RATE_HZ
    }
}

/// Samples missing from the stream, found by a counter jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lost {
    /// Index of the first missing sample.
    pub at: u64,
    /// How many (modulo 64: a loss of 64 or more samples in one go cannot be told from
    /// a shorter one).
    pub count: u64,
}

/// The stream decoder: feed it reads of any length; a word split across reads is kept
/// until its last byte arrives.
#[derive(Debug, Clone)]
pub struct Parser {
    cal: Calibration,
    vdd_mv: u16,
    partial: Vec<u8>,
    expected: Option<u8>,
    next_index: u64,
    /// Every counter jump so far.
    pub lost: Vec<Lost>,
    /// Words with a range index above 4 (corrupt), skipped but counted in time.
    pub invalid: u64,
}

impl Parser {
    /// A decoder with the device's calibration at source voltage `vdd_mv`.
    pub fn new(cal: Calibration, vdd_mv: u16) -> Parser {
        Parser {
            cal,
            vdd_mv,
            partial: Vec::with_capacity(4),
            expected: None,
            next_index: 0,
            lost: Vec::new(),
            invalid: 0,
        }
    }

    /// Decode `bytes`, appending whole samples to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Ppk2Sample>) {
        if !self.partial.is_empty() {
            let need = 4 - self.partial.len();
            let take = need.min(bytes.len());
            self.partial.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.partial.len() < 4 {
                return;
            }
            let w = u32::from_le_bytes([
                self.partial[0],
                self.partial[1],
                self.partial[2],
                self.partial[3],
            ]);
            self.partial.clear();
            self.word(w, out);
        }
        let mut words = bytes.chunks_exact(4);
        for c in &mut words {
            self.word(u32::from_le_bytes([c[0], c[1], c[2], c[3]]), out);
        }
        self.partial.extend_from_slice(words.remainder());
    }

    /// Bytes of an unfinished word held back (0–3).
    pub fn pending(&self) -> usize {
        self.partial.len()
    }

    /// Total samples lost so far.
    pub fn lost_samples(&self) -> u64 {
        self.lost.iter().map(|l| l.count).sum()
    }

    fn word(&mut self, w: u32, out: &mut Vec<Ppk2Sample>) {
        let adc = (w & 0x3fff) as u16;
        let range = ((w >> 14) & 0x7) as u8;
        let counter = ((w >> 18) & 0x3f) as u8;
        let logic = (w >> 24) as u8;
        if let Some(e) = self.expected {
            let missing = u64::from(counter.wrapping_sub(e) & 0x3f);
            if missing > 0 {
                self.lost.push(Lost {
                    at: self.next_index,
                    count: missing,
                });
                self.next_index += missing;
            }
        }
        self.expected = Some((counter + 1) & 0x3f);
        let index = self.next_index;
        self.next_index += 1;
        if usize::from(range) >= RANGES {
            self.invalid += 1;
            return;
        }
        out.push(Ppk2Sample {
            index,
            microamps: self.cal.microamps(usize::from(range), adc, self.vdd_mv),
            range,
            logic,
        });
    }
}

/// The PPK2 switches its shunt (measurement range) by itself as the current changes, and
/// the first few samples after a switch carry a transient of the switch, not of the board.
/// Nordic's Power Profiler app smooths them; this is the same idea, written from its
/// documented settings ("samples to smooth" and a smoothing coefficient for ranges 1–4 and
/// one for range 5): an exponential moving average of the current runs over every sample,
/// and for `samples` samples starting at a range switch the average replaces the raw value.
/// Everywhere else the raw value is kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeFilter {
    /// Samples smoothed from each range switch on (0 turns the filter off).
    pub samples: u32,
    /// Smoothing coefficient in ranges 0–3 (weight of the new sample).
    pub alpha: f64,
    /// Smoothing coefficient in range 4, the highest-current shunt.
    pub alpha_top: f64,
}

impl SpikeFilter {
    /// The Power Profiler app's defaults: 3 samples, 0.18 and 0.06.
    pub const DEFAULT: SpikeFilter = SpikeFilter {
        samples: 3,
        alpha: 0.18,
        alpha_top: 0.06,
    };

    /// Smooth `samples` in place; returns (range switches, samples replaced).
    pub fn apply(&self, samples: &mut [Ppk2Sample]) -> (u64, u64) {
        let (mut switches, mut replaced) = (0u64, 0u64);
        let mut avg: Option<f64> = None;
        let mut left = 0u32;
        let mut range = None;
        for s in samples.iter_mut() {
            if range.is_some_and(|r| r != s.range) {
                switches += 1;
                left = self.samples;
            }
            range = Some(s.range);
            let a = if usize::from(s.range) == RANGES - 1 {
                self.alpha_top
            } else {
                self.alpha
            };
            let next = match avg {
                Some(m) => a * s.microamps + (1.0 - a) * m,
                None => s.microamps,
            };
            avg = Some(next);
            if left > 0 {
                left -= 1;
                s.microamps = next;
                replaced += 1;
            }
        }
        (switches, replaced)
    }
}

/// Power samples (watts at `supply_v`) for the integration pipeline.
pub fn to_power(samples: &[Ppk2Sample], supply_v: f64) -> Vec<Sample> {
    samples
        .iter()
        .map(|s| Sample {
            t: s.t(),
            watts: s.microamps * 1e-6 * supply_v,
        })
        .collect()
}

/// Marker windows from one logic-port pin (GPIO marker mode: the firmware drives the pin
/// high around each measured region). An edge lies between the last sample at the old
/// level and the first at the new one; its time is taken half-way, so each window edge is
/// known to ±half a sample period (5 µs), which [`edge_bound`] turns into joules.
#[derive(Debug, Clone, PartialEq)]
pub struct Markers {
    /// Complete high periods, in order.
    pub windows: Vec<Window>,
    /// The pin was already high at the first sample: that region is cut and dropped.
    pub cut_at_start: bool,
    /// The pin was still high at the last sample: that region is cut and dropped.
    pub cut_at_end: bool,
    /// Windows that contain lost samples (indices into `windows`).
    pub with_loss: Vec<usize>,
}

/// Find the high periods of logic pin `pin` (0 = D0). `lost` marks windows a counter
/// jump falls into: an edge could have been inside the missing samples.
pub fn markers(samples: &[Ppk2Sample], pin: u8, lost: &[Lost]) -> Markers {
    let bit = 1u8 << (pin & 7);
    let half = 0.5 / SAMPLE_RATE_HZ;
    let high = |s: &Ppk2Sample| s.logic & bit != 0;
    let mut m = Markers {
        windows: Vec::new(),
        cut_at_start: samples.first().is_some_and(high),
        cut_at_end: samples.last().is_some_and(high),
        with_loss: Vec::new(),
    };
    let mut start: Option<f64> = None;
    for p in samples.windows(2) {
        match (high(&p[0]), high(&p[1])) {
            (false, true) => start = Some(p[1].t() - half),
            (true, false) => {
                if let Some(s) = start.take() {
                    m.windows.push(Window {
                        start: s,
                        end: p[1].t() - half,
                    });
                }
            }
            _ => {}
        }
    }
    for (k, w) in m.windows.iter().enumerate() {
        let inside = lost.iter().any(|l| {
            let t = l.at as f64 / SAMPLE_RATE_HZ;
            t >= w.start && t <= w.end
        });
        if inside {
            m.with_loss.push(k);
        }
    }
    m
}

/// Extra error bound (J) from not knowing an edge better than ±half a sample period:
/// the power at each edge times that half period.
pub fn edge_bound(start_watts: f64, end_watts: f64) -> f64 {
    (start_watts.abs() + end_watts.abs()) * 0.5 / SAMPLE_RATE_HZ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_bytes() {
        assert_eq!(Command::SetVoltage(800).bytes(), vec![0x0d, 3, 32]);
        // 3000 mV: 3000 − 800 + 32 = 2232 = 8·256 + 184.
        assert_eq!(Command::SetVoltage(3000).bytes(), vec![0x0d, 11, 184]);
        assert_eq!(
            Command::SetVoltage(9000).bytes(),
            Command::SetVoltage(5000).bytes()
        );
        assert_eq!(Command::SetMode(Mode::Source).bytes(), vec![0x11, 2]);
        assert_eq!(Command::SetMode(Mode::Ampere).bytes(), vec![0x11, 1]);
        assert_eq!(Command::Start.bytes(), vec![0x06]);
        assert_eq!(Command::Stop.bytes(), vec![0x07]);
        assert_eq!(Command::GetMetadata.bytes(), vec![0x19]);
        assert_eq!(Command::DutPower(true).bytes(), vec![0x0c, 1]);
    }

    fn at(index: u64, range: u8, microamps: f64) -> Ppk2Sample {
        Ppk2Sample {
            index,
            microamps,
            range,
            logic: 0,
        }
    }

    #[test]
    fn spike_filter_smooths_only_the_samples_after_a_range_switch() {
        // 100 µA in range 1 for 10 samples, then range 2: a 1100 µA switching spike, then
        // 100 µA again. The filter averages the spike and the two samples after it.
        let mut s: Vec<Ppk2Sample> = (0..10).map(|i| at(i, 1, 100.0)).collect();
        s.push(at(10, 2, 1100.0));
        s.extend((11..20).map(|i| at(i, 2, 100.0)));
        let raw = s.clone();
        let (switches, replaced) = SpikeFilter::DEFAULT.apply(&mut s);
        assert_eq!((switches, replaced), (1, 3));
        // The average was 100 before the spike: 0.18·1100 + 0.82·100 = 280.
        assert!(
            (s[10].microamps - 280.0).abs() < 1e-9,
            "{}",
            s[10].microamps
        );
        // Then it decays towards 100: 0.18·100 + 0.82·280 = 247.6.
        assert!(
            (s[11].microamps - 247.6).abs() < 1e-9,
            "{}",
            s[11].microamps
        );
        assert!(s[12].microamps < s[11].microamps && s[12].microamps > 100.0);
        // Outside the three samples nothing changes.
        for i in (0..10).chain(13..20) {
            assert_eq!(s[i], raw[i], "sample {i}");
        }
    }

    #[test]
    fn spike_filter_leaves_a_stream_without_switches_alone_and_can_be_off() {
        let mut s: Vec<Ppk2Sample> = (0..50).map(|i| at(i, 4, (i * 37 % 11) as f64)).collect();
        let raw = s.clone();
        assert_eq!(SpikeFilter::DEFAULT.apply(&mut s), (0, 0));
        assert_eq!(s, raw);
        let mut t = raw.clone();
        t[20].range = 3;
        let off = SpikeFilter {
            samples: 0,
            ..SpikeFilter::DEFAULT
        };
        assert_eq!(off.apply(&mut t), (2, 0));
        assert!(t.iter().zip(&raw).all(|(a, b)| a.microamps == b.microamps));
        // Range 4 uses its own coefficient: the switch back to 4 at sample 21 averages
        // with 0.06.
        let mut u = raw.clone();
        u[20].range = 3;
        SpikeFilter::DEFAULT.apply(&mut u);
        assert_ne!(u[21].microamps, raw[21].microamps);
    }

    #[test]
    fn bad_metadata_is_an_error_naming_the_key() {
        assert_eq!(
            Calibration::parse("R0: 1000\n"),
            Err(MetadataError::Unterminated)
        );
        let e = Calibration::parse("R0: 1000\nR1: abc\nEND\n").unwrap_err();
        assert!(
            matches!(&e, MetadataError::NotANumber { line: 2, key, .. } if key == "R1"),
            "{e}"
        );
        let e = Calibration::parse("R0: 1000\nEND\n").unwrap_err();
        assert_eq!(e, MetadataError::Missing("R1".into()));
    }
}
