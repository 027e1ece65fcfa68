//! The firmware's frame protocol (schema 2): defmt frames → typed events.
//!
//! The firmware sends primitive arguments only (`{=u16}`, `{=u32}`): the decoder gives
//! derived structs back only as strings. Frames are recognised by their literal text.

use crate::frames::{ArgValue, DecodedFrame};

/// Frame schema this host understands.
/// Schema 2 added the whole-model frames (`TB model`, `TB out`) and `TB stack`.
pub const SCHEMA: u32 = 2;

/// The count of a `TB sample`/`TB overhead` frame whose region did not fit the frame's
/// 32 bits (the ARMv6-M firmware's extended SysTick count is wider): refused by the host.
pub const COUNT_OVERFLOW: u32 = u32::MAX;

/// One thing the firmware said. Field names are those of the frame's arguments.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Start of run: schema, suite hash, number of cases.
    Hello {
        schema: u32,
        suite_hash: u32,
        cases: u32,
    },
    /// One empty-region measurement.
    Overhead { rep: u32, count: u32 },
    /// A case starts.
    CaseStart { id: u32 },
    /// One timed repetition.
    Sample { id: u32, rep: u32, count: u32 },
    /// Output checksum of a case.
    Checksum { id: u32, value: u32 },
    /// The kernel refused the case's arguments.
    KernelError { id: u32, code: u32 },
    /// A whole-model firmware: its layers, compiled-in inputs and arena size.
    Model {
        layers: u32,
        inputs: u32,
        arena: u32,
    },
    /// Four bytes of the output tensor for compiled-in input `input`, from byte `at`
    /// (little-endian int8).
    OutputWord { input: u32, at: u32, word: u32 },
    /// Stack high-water mark by painting: bytes used of `size`.
    Stack { used: u32, size: u32 },
    /// All cases done.
    Done,
    /// Firmware panicked.
    Panic { message: String },
    /// Firmware took a HardFault and reported its stacked frame.
    HardFault { pc: u32, lr: u32, xpsr: u32 },
    /// RISC-V firmware trapped: `mcause`, `mepc`, `mtval`.
    Trap { cause: u32, pc: u32, tval: u32 },
    /// A power-monitor reading (firmware feature `power-ina226`/`power-ina219`): counter
    /// value at the read, raw shunt-voltage and bus-voltage registers.
    Power { t: u32, shunt: u32, bus: u32 },
    /// The power monitor could not be read at counter value `t`.
    PowerError { t: u32 },
    /// Counter value at the start of a timed repetition (power-monitor builds).
    Region { id: u32, rep: u32, t0: u32 },
    /// Any other frame (a log line): shown, not interpreted.
    Log(String),
}

/// A `TB` frame whose arguments are not what its schema says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("frame `{message}` does not match protocol schema {SCHEMA}")]
pub struct ProtocolError {
    /// The frame as printed.
    pub message: String,
}

impl Event {
    /// Interpret a decoded frame.
    pub fn from_frame(f: &DecodedFrame) -> Result<Event, ProtocolError> {
        let bad = || ProtocolError {
            message: f.message.clone(),
        };
        let n = |i: usize| -> Result<u32, ProtocolError> {
            match f.args.get(i) {
                Some(ArgValue::Uint(v)) => u32::try_from(*v).map_err(|_| bad()),
                _ => Err(bad()),
            }
        };
        let arity = |k: usize| {
            if f.args.len() == k {
                Ok(())
            } else {
                Err(bad())
            }
        };
        Ok(match f.shape.as_str() {
            "TB hello schema={} suite={} cases={}" => {
                arity(3)?;
                Event::Hello {
                    schema: n(0)?,
                    suite_hash: n(1)?,
                    cases: n(2)?,
                }
            }
            "TB overhead rep={} count={}" => {
                arity(2)?;
                Event::Overhead {
                    rep: n(0)?,
                    count: n(1)?,
                }
            }
            "TB case id={}" => {
                arity(1)?;
                Event::CaseStart { id: n(0)? }
            }
            "TB sample id={} rep={} count={}" => {
                arity(3)?;
                Event::Sample {
                    id: n(0)?,
                    rep: n(1)?,
                    count: n(2)?,
                }
            }
            "TB checksum id={} value={}" => {
                arity(2)?;
                Event::Checksum {
                    id: n(0)?,
                    value: n(1)?,
                }
            }
            "TB kernel-error id={} code={}" => {
                arity(2)?;
                Event::KernelError {
                    id: n(0)?,
                    code: n(1)?,
                }
            }
            "TB model layers={} inputs={} arena={}" => {
                arity(3)?;
                Event::Model {
                    layers: n(0)?,
                    inputs: n(1)?,
                    arena: n(2)?,
                }
            }
            "TB out input={} at={} word={}" => {
                arity(3)?;
                Event::OutputWord {
                    input: n(0)?,
                    at: n(1)?,
                    word: n(2)?,
                }
            }
            "TB stack used={} size={}" => {
                arity(2)?;
                Event::Stack {
                    used: n(0)?,
                    size: n(1)?,
                }
            }
            "TB done" => Event::Done,
            "TB panic {}" => Event::Panic {
                message: f.message.trim_start_matches("TB panic ").to_string(),
            },
            "TB hardfault pc={} lr={} xpsr={}" => {
                arity(3)?;
                Event::HardFault {
                    pc: n(0)?,
                    lr: n(1)?,
                    xpsr: n(2)?,
                }
            }
            "TB trap cause={} pc={} tval={}" => {
                arity(3)?;
                Event::Trap {
                    cause: n(0)?,
                    pc: n(1)?,
                    tval: n(2)?,
                }
            }
            "TB power t={} shunt={} bus={}" => {
                arity(3)?;
                Event::Power {
                    t: n(0)?,
                    shunt: n(1)?,
                    bus: n(2)?,
                }
            }
            "TB power-error t={}" => {
                arity(1)?;
                Event::PowerError { t: n(0)? }
            }
            "TB region id={} rep={} t0={}" => {
                arity(3)?;
                Event::Region {
                    id: n(0)?,
                    rep: n(1)?,
                    t0: n(2)?,
                }
            }
            s if s.starts_with("TB ") => return Err(bad()),
            _ => Event::Log(f.message.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(shape: &str, args: Vec<ArgValue>) -> DecodedFrame {
        DecodedFrame {
            message: shape.to_string(),
            shape: shape.to_string(),
            args,
        }
    }

    #[test]
    fn sample_frame_parses() {
        let f = frame(
            "TB sample id={} rep={} count={}",
            vec![ArgValue::Uint(2), ArgValue::Uint(7), ArgValue::Uint(1234)],
        );
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::Sample {
                id: 2,
                rep: 7,
                count: 1234
            }
        );
    }

    #[test]
    fn wrong_arity_or_type_is_a_protocol_error() {
        let f = frame(
            "TB sample id={} rep={} count={}",
            vec![ArgValue::Uint(2), ArgValue::Uint(7)],
        );
        assert!(Event::from_frame(&f).is_err());
        let f = frame(
            "TB checksum id={} value={}",
            vec![ArgValue::Uint(2), ArgValue::Text("x".into())],
        );
        assert!(Event::from_frame(&f).is_err());
        let f = frame("TB unknown {}", vec![ArgValue::Uint(2)]);
        assert!(Event::from_frame(&f).is_err());
    }

    #[test]
    fn power_monitor_frames_parse() {
        let f = frame(
            "TB power t={} shunt={} bus={}",
            vec![
                ArgValue::Uint(7),
                ArgValue::Uint(0xfff6),
                ArgValue::Uint(2400),
            ],
        );
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::Power {
                t: 7,
                shunt: 0xfff6,
                bus: 2400
            }
        );
        let f = frame(
            "TB region id={} rep={} t0={}",
            vec![ArgValue::Uint(1), ArgValue::Uint(2), ArgValue::Uint(3)],
        );
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::Region {
                id: 1,
                rep: 2,
                t0: 3
            }
        );
        let f = frame("TB power-error t={}", vec![]);
        assert!(Event::from_frame(&f).is_err());
    }

    #[test]
    fn model_frames_parse() {
        let f = frame(
            "TB out input={} at={} word={}",
            vec![
                ArgValue::Uint(1),
                ArgValue::Uint(8),
                ArgValue::Uint(0x80ff_0102),
            ],
        );
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::OutputWord {
                input: 1,
                at: 8,
                word: 0x80ff_0102
            }
        );
        let f = frame(
            "TB stack used={} size={}",
            vec![ArgValue::Uint(812), ArgValue::Uint(4096)],
        );
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::Stack {
                used: 812,
                size: 4096
            }
        );
    }

    #[test]
    fn other_frames_are_logs() {
        let f = frame("hello {}", vec![ArgValue::Uint(2)]);
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::Log("hello {}".into())
        );
    }
}
