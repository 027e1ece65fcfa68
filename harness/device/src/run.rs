//! The one run path: every backend's bytes go through the same decoder and protocol.

use crate::elf::{ElfError, FirmwareImage};
use crate::frames::{FrameDecoder, TableError};
use crate::protocol::{Event, ProtocolError, COUNT_OVERFLOW, MIN_SCHEMA, SCHEMA};
use crate::rtt::DEFMT_CHANNEL;
use crate::{Device, DeviceError, DeviceInfo, DeviceStop, ModeledReads, RunLimits};

/// How the firmware's run ended, from the host's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// The done marker arrived after all results.
    Completed,
    /// The firmware panicked and said why.
    Panic {
        /// The panic message.
        message: String,
    },
    /// A fault: reported by the firmware's HardFault handler or caught by the backend.
    Fault {
        /// What happened.
        kind: String,
        /// Faulting instruction address.
        pc: u64,
        /// `function+offset`, when the ELF knows it.
        symbol: Option<String>,
    },
    /// A run limit was hit.
    Timeout {
        /// Which limit.
        limit: String,
        /// Where the core was.
        pc: Option<u64>,
        /// `function+offset` of that place.
        symbol: Option<String>,
    },
    /// A timed region counted [`COUNT_OVERFLOW`] or more: the firmware sent the marker
    /// instead of a wrapped count, and the host refuses the run rather than print it.
    CountOverflow {
        /// Which region, in words.
        region: String,
    },
    /// The device stopped at the done marker but the stream lacks the done frame
    /// (truncated RTT stream).
    Truncated {
        /// Bytes of an unfinished frame left over.
        pending_bytes: usize,
    },
}

impl RunOutcome {
    /// One line for humans.
    pub fn describe(&self) -> String {
        let at = |pc: &Option<u64>, sym: &Option<String>| match (pc, sym) {
            (Some(pc), Some(s)) => format!(" at {pc:#010x} ({s})"),
            (Some(pc), None) => format!(" at {pc:#010x}"),
            _ => String::new(),
        };
        match self {
            RunOutcome::Completed => "completed".into(),
            RunOutcome::Panic { message } => format!("firmware panicked: {message}"),
            RunOutcome::CountOverflow { region } => format!(
                "count overflow: {region} took {COUNT_OVERFLOW} counts or more, more than a 32-bit frame \
                 holds; refused rather than printed modulo 2^32"
            ),
            RunOutcome::Fault { kind, pc, symbol } => format!("fault: {kind}{}", at(&Some(*pc), symbol)),
            RunOutcome::Timeout { limit, pc, symbol } => {
                format!("timeout: the firmware did not finish within the {limit}{}", at(pc, symbol))
            }
            RunOutcome::Truncated { pending_bytes } => format!(
                "RTT stream ended without the done frame ({pending_bytes} bytes of an unfinished frame)"
            ),
        }
    }
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The backend that ran it.
    pub info: DeviceInfo,
    /// Every event of RTT up channel 0 (the firmware's main stream), in arrival order.
    pub events: Vec<Event>,
    /// Every event of up channel 1, in arrival order: the power monitor's `TB power`,
    /// `TB power-error` and `TB region` frames of a power build (empty otherwise). Its
    /// order relative to `events` is not known, only the order within each channel.
    pub power_events: Vec<Event>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Frames that could not be decoded (skipped), on either channel.
    pub corrupt_frames: usize,
    /// `TB` frames with unexpected arguments (skipped), on either channel.
    pub protocol_errors: Vec<ProtocolError>,
    /// Modeled cycles at each counter read, where the backend models cycles.
    pub modeled: Option<ModeledReads>,
}

/// Why a run could not even start or be interpreted.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The ELF is unusable.
    #[error(transparent)]
    Elf(#[from] ElfError),
    /// The defmt table is unusable.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The device failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The firmware speaks another frame schema.
    #[error(
        "firmware frame schema {firmware} is not one this host reads ({MIN_SCHEMA} to {SCHEMA}): rebuild the firmware"
    )]
    Schema {
        /// What the firmware declares.
        firmware: u32,
    },
    /// The firmware was built for another suite than the one asked for.
    #[error("firmware carries suite hash {found:#010x}, expected {expected:#010x}: it was built from another suite")]
    SuiteMismatch {
        /// Hash of the suite the harness meant.
        expected: u32,
        /// Hash the firmware carries.
        found: u32,
    },
}

/// Run `image` on `device`: check the firmware's self-description, load it, run it and
/// decode its streams (up channels 0 and 1, each with its own decoder over the same
/// table), calling `on_event` for each event of either channel as it arrives.
pub fn run_firmware(
    device: &mut dyn Device,
    image: &FirmwareImage,
    expected_suite_hash: Option<u32>,
    limits: &RunLimits,
    on_event: &mut dyn FnMut(&Event),
) -> Result<RunOutput, RunError> {
    let meta = image.meta()?;
    if !(MIN_SCHEMA..=SCHEMA).contains(&meta.schema) {
        return Err(RunError::Schema {
            firmware: meta.schema,
        });
    }
    if let Some(expected) = expected_suite_hash {
        if expected != meta.suite_hash {
            return Err(RunError::SuiteMismatch {
                expected,
                found: meta.suite_hash,
            });
        }
    }
    // Indexed by up channel: 0 (every frame), 1 (power frames).
    let main = FrameDecoder::from_elf(&image.bytes)?;
    let power = main.another_stream();
    let mut decoders = [main, power];
    device.load(image)?;
    let mut streams: [Vec<Event>; 2] = [Vec::new(), Vec::new()];
    let mut corrupt_frames = 0;
    let mut protocol_errors = Vec::new();
    let stop = device.run(limits, &mut |channel, bytes| {
        // The firmware has no other up channels; bytes of any other are not ours.
        let Some(decoder) = decoders.get_mut(channel as usize) else {
            return;
        };
        for item in decoder.push(bytes) {
            match item.map(|f| Event::from_frame(&f)) {
                Ok(Ok(ev)) => {
                    on_event(&ev);
                    streams[channel as usize].push(ev);
                }
                Ok(Err(e)) => protocol_errors.push(e),
                Err(_) => corrupt_frames += 1,
            }
        }
    })?;
    let [mut events, power_events] = streams;
    let overflow = refuse_overflow(&mut events);
    let decoder = &decoders[DEFMT_CHANNEL as usize];
    let outcome = match stop {
        DeviceStop::Done if overflow.is_some() => RunOutcome::CountOverflow {
            region: overflow.unwrap_or_default(),
        },
        DeviceStop::Done if events.contains(&Event::Done) => RunOutcome::Completed,
        DeviceStop::Done => RunOutcome::Truncated {
            pending_bytes: decoder.pending(),
        },
        DeviceStop::FirmwareReportedFault => firmware_fault(&events, image),
        DeviceStop::Fault(f) => RunOutcome::Fault {
            symbol: image.symbolize(f.pc),
            kind: f.kind,
            pc: f.pc,
        },
        DeviceStop::Timeout { limit, pc, .. } => RunOutcome::Timeout {
            symbol: pc.and_then(|p| image.symbolize(p)),
            limit,
            pc,
        },
    };
    Ok(RunOutput {
        info: device.info(),
        events,
        power_events,
        outcome,
        corrupt_frames,
        protocol_errors,
        modeled: device.modeled_reads(),
    })
}

/// Drop every sample and overhead frame carrying [`COUNT_OVERFLOW`] (never a number to
/// print) and name the first such region.
fn refuse_overflow(events: &mut Vec<Event>) -> Option<String> {
    let mut first = None;
    events.retain(|e| {
        let region = match e {
            Event::Sample { id, rep, count } if *count == COUNT_OVERFLOW => {
                format!("case {id} repetition {rep}")
            }
            Event::Overhead { rep, count } if *count == COUNT_OVERFLOW => {
                format!("overhead repetition {rep}")
            }
            _ => return true,
        };
        first.get_or_insert(region);
        false
    });
    first
}

fn firmware_fault(events: &[Event], image: &FirmwareImage) -> RunOutcome {
    for ev in events.iter().rev() {
        match ev {
            Event::Panic { message } => {
                return RunOutcome::Panic {
                    message: message.clone(),
                }
            }
            Event::Trap { cause, pc, tval } => {
                let pc = *pc as u64;
                return RunOutcome::Fault {
                    kind: format!("trap, mcause {cause:#x} (mtval {tval:#010x})"),
                    pc,
                    symbol: image.symbolize(pc),
                };
            }
            Event::HardFault { pc, lr, xpsr } => {
                let pc = *pc as u64;
                return RunOutcome::Fault {
                    kind: format!("HardFault (lr {lr:#010x}, xpsr {xpsr:#010x})"),
                    pc,
                    symbol: image.symbolize(pc),
                };
            }
            _ => {}
        }
    }
    RunOutcome::Truncated { pending_bytes: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overflowed_count_is_refused_not_kept() {
        let sample = |count| Event::Sample {
            id: 3,
            rep: 1,
            count,
        };
        let mut events = vec![sample(17), sample(COUNT_OVERFLOW), Event::Done];
        assert_eq!(
            refuse_overflow(&mut events).as_deref(),
            Some("case 3 repetition 1")
        );
        assert_eq!(events, [sample(17), Event::Done]);
        let mut fine = vec![sample(COUNT_OVERFLOW - 1)];
        assert_eq!(refuse_overflow(&mut fine), None);
        let d = RunOutcome::CountOverflow {
            region: "case 3 repetition 1".into(),
        }
        .describe();
        assert!(d.contains("count overflow: case 3 repetition 1"), "{d}");
    }
}
