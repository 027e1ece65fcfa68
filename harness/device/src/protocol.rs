//! The firmware's frame protocol (schema 4; schema 3 firmware is read too): defmt frames → typed events. The firmware
//! side is `tinybench-target`'s `frame` module (targets/bench), for the suites and for
//! benchmarks of the user's own code alike.
//!
//! The firmware sends primitive arguments only (`{=u16}`, `{=u32}`): the decoder gives
//! derived structs back only as strings. Frames are recognised by their literal text.

use crate::frames::{ArgValue, DecodedFrame};

/// Frame schema this host understands.
/// Schema 2 added the whole-model frames (`TB model`, `TB out`) and `TB stack`; schema 3
/// the frames of benchmarks of the user's own code (`TB bench`, `TB expect`); schema 4
/// the declared work of one (`TB work`), an optional frame, so schema 3 firmware (which
/// never sends it) is read as before.
pub const SCHEMA: u32 = 4;

/// The oldest frame schema this host still reads ([`SCHEMA`] only added frames since).
pub const MIN_SCHEMA: u32 = 3;

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
    /// The name of benchmark `id` (benchmarks of the user's own code, sent after hello).
    Bench { id: u32, name: String },
    /// The work one call of benchmark `id` does, as its author declared it (schema 4;
    /// sent after its `TB bench` frame, only when declared).
    Work { id: u32, macs: u64, shape: String },
    /// The checksum the benchmark's author pinned for case `id`.
    Expect { id: u32, value: u32 },
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

/// The frames whose arguments are all unsigned integers: shape, arity, and the event
/// made from the arguments. A table rather than a match so every frame kind is one entry.
type Build = fn(&[u32]) -> Event;
const NUMERIC: &[(&str, usize, Build)] = &[
    ("TB hello schema={} suite={} cases={}", 3, |a| {
        Event::Hello {
            schema: a[0],
            suite_hash: a[1],
            cases: a[2],
        }
    }),
    ("TB overhead rep={} count={}", 2, |a| Event::Overhead {
        rep: a[0],
        count: a[1],
    }),
    ("TB case id={}", 1, |a| Event::CaseStart { id: a[0] }),
    ("TB expect id={} value={}", 2, |a| Event::Expect {
        id: a[0],
        value: a[1],
    }),
    ("TB sample id={} rep={} count={}", 3, |a| Event::Sample {
        id: a[0],
        rep: a[1],
        count: a[2],
    }),
    ("TB checksum id={} value={}", 2, |a| Event::Checksum {
        id: a[0],
        value: a[1],
    }),
    ("TB kernel-error id={} code={}", 2, |a| Event::KernelError {
        id: a[0],
        code: a[1],
    }),
    ("TB model layers={} inputs={} arena={}", 3, |a| {
        Event::Model {
            layers: a[0],
            inputs: a[1],
            arena: a[2],
        }
    }),
    ("TB out input={} at={} word={}", 3, |a| Event::OutputWord {
        input: a[0],
        at: a[1],
        word: a[2],
    }),
    ("TB stack used={} size={}", 2, |a| Event::Stack {
        used: a[0],
        size: a[1],
    }),
    ("TB done", 0, |_| Event::Done),
    ("TB hardfault pc={} lr={} xpsr={}", 3, |a| {
        Event::HardFault {
            pc: a[0],
            lr: a[1],
            xpsr: a[2],
        }
    }),
    ("TB trap cause={} pc={} tval={}", 3, |a| Event::Trap {
        cause: a[0],
        pc: a[1],
        tval: a[2],
    }),
    ("TB power t={} shunt={} bus={}", 3, |a| Event::Power {
        t: a[0],
        shunt: a[1],
        bus: a[2],
    }),
    ("TB power-error t={}", 1, |a| Event::PowerError { t: a[0] }),
    ("TB region id={} rep={} t0={}", 3, |a| Event::Region {
        id: a[0],
        rep: a[1],
        t0: a[2],
    }),
];

impl Event {
    /// Interpret a decoded frame: a `TB …` frame of an unknown shape, or with arguments of
    /// the wrong number or type, is a protocol error; any other frame is the firmware's
    /// own log line.
    pub fn from_frame(f: &DecodedFrame) -> Result<Event, ProtocolError> {
        let bad = || ProtocolError {
            message: f.message.clone(),
        };
        if f.shape == "TB panic {}" {
            return Ok(Event::Panic {
                message: f.message.trim_start_matches("TB panic ").to_string(),
            });
        }
        if f.shape == "TB bench id={} name={}" {
            return match f.args.as_slice() {
                [ArgValue::Uint(id), ArgValue::Text(name)] => Ok(Event::Bench {
                    id: u32::try_from(*id).map_err(|_| bad())?,
                    name: name.clone(),
                }),
                _ => Err(bad()),
            };
        }
        if f.shape == "TB work id={} macs={} shape={}" {
            return match f.args.as_slice() {
                [ArgValue::Uint(id), ArgValue::Uint(macs), ArgValue::Text(shape)] => {
                    Ok(Event::Work {
                        id: u32::try_from(*id).map_err(|_| bad())?,
                        macs: u64::try_from(*macs).map_err(|_| bad())?,
                        shape: shape.clone(),
                    })
                }
                _ => Err(bad()),
            };
        }
        if let Some((_, arity, build)) = NUMERIC.iter().find(|(s, _, _)| *s == f.shape) {
            if f.args.len() != *arity {
                return Err(bad());
            }
            let args = f
                .args
                .iter()
                .map(|a| match a {
                    ArgValue::Uint(v) => u32::try_from(*v).map_err(|_| bad()),
                    _ => Err(bad()),
                })
                .collect::<Result<Vec<u32>, _>>()?;
            return Ok(build(&args));
        }
        if f.shape.starts_with("TB ") {
            return Err(bad());
        }
        Ok(Event::Log(f.message.clone()))
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
    fn own_benchmark_frames_parse() {
        let f = frame(
            "TB bench id={} name={}",
            vec![ArgValue::Uint(1), ArgValue::Text("crc32_1k".into())],
        );
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::Bench {
                id: 1,
                name: "crc32_1k".into()
            }
        );
        let f = frame("TB bench id={} name={}", vec![ArgValue::Uint(1)]);
        assert!(Event::from_frame(&f).is_err());
        let f = frame(
            "TB work id={} macs={} shape={}",
            vec![
                ArgValue::Uint(0),
                ArgValue::Uint(5_000_000_000),
                ArgValue::Text("32 taps x 256".into()),
            ],
        );
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::Work {
                id: 0,
                macs: 5_000_000_000,
                shape: "32 taps x 256".into()
            }
        );
        let f = frame(
            "TB work id={} macs={} shape={}",
            vec![ArgValue::Uint(0), ArgValue::Text("x".into())],
        );
        assert!(Event::from_frame(&f).is_err());
        let f = frame(
            "TB expect id={} value={}",
            vec![ArgValue::Uint(0), ArgValue::Uint(0xdead_beef)],
        );
        assert_eq!(
            Event::from_frame(&f).unwrap(),
            Event::Expect {
                id: 0,
                value: 0xdead_beef
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
