//! Bytes in, frames out: the defmt stream decoder shared by every backend.
//!
//! Knows nothing about transport. `push` takes whatever bytes arrived; a frame split
//! across two pushes is reassembled; an undecodable frame is reported as
//! [`CorruptFrame`] and decoding continues with the next one; bytes of an unfinished
//! frame stay buffered ([`FrameDecoder::pending`]) so a truncated stream is visible.

use defmt_decoder::{DecodeError, Encoding, Table};
use defmt_parser::{Fragment, Type};
use std::sync::Arc;

/// One decoded defmt frame, owned (no borrow of the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedFrame {
    /// The message as defmt would print it.
    pub message: String,
    /// The format string's literal text with `{}` for each parameter: what identifies
    /// a frame kind independently of its values.
    pub shape: String,
    /// The arguments, in order, typed from the format string.
    pub args: Vec<ArgValue>,
}

/// A frame argument. Integer parameters (`{=u32}` …) come back as numbers; anything
/// else as the text defmt would print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    /// Unsigned integer.
    Uint(u128),
    /// Signed integer.
    Int(i128),
    /// Any other argument, as displayed.
    Text(String),
}

/// A frame that could not be decoded; decoding goes on after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corrupt defmt frame ({len} bytes) in the RTT stream")]
pub struct CorruptFrame {
    /// Encoded length of the skipped frame.
    pub len: usize,
}

/// Why no decoder could be built for a firmware.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// No `.defmt` section.
    #[error("the firmware has no .defmt section (built without defmt?)")]
    NoDefmt,
    /// defmt-decoder refused the table (e.g. a defmt version this host does not speak).
    #[error("cannot read the firmware's defmt table: {0}")]
    Table(String),
    /// Raw encoding has no frame delimiters; tinybench needs rzCOBS.
    #[error("the firmware uses defmt's raw encoding; tinybench decodes rzCOBS (defmt's default encoding)")]
    RawEncoding,
}

/// Streaming decoder owning its table (shared through an `Arc`, no borrow tricks).
pub struct FrameDecoder {
    table: Arc<Table>,
    pending: Vec<u8>,
}

impl FrameDecoder {
    /// Build from the firmware ELF; checks the defmt version symbol.
    pub fn from_elf(elf: &[u8]) -> Result<Self, TableError> {
        let table = Table::parse(elf)
            .map_err(|e| TableError::Table(format!("{e:#}")))?
            .ok_or(TableError::NoDefmt)?;
        if table.encoding() != Encoding::Rzcobs {
            return Err(TableError::RawEncoding);
        }
        Ok(Self {
            table: Arc::new(table),
            pending: Vec::new(),
        })
    }

    /// A decoder for another stream of the same firmware (another RTT up channel): same
    /// table (shared), its own pending bytes.
    pub fn another_stream(&self) -> Self {
        Self {
            table: Arc::clone(&self.table),
            pending: Vec::new(),
        }
    }

    /// Bytes received but not yet a whole frame.
    pub fn pending(&self) -> usize {
        self.pending.iter().filter(|&&b| b != 0).count()
    }

    /// Feed bytes; get every frame they complete, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<DecodedFrame, CorruptFrame>> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        // rzCOBS frames end with a 0x00 delimiter; a fresh stream decoder per frame keeps
        // this struct free of a borrow of `table`.
        while let Some(end) = self.pending.iter().position(|&b| b == 0) {
            let chunk: Vec<u8> = self.pending.drain(..=end).collect();
            if chunk.len() == 1 {
                continue; // stray delimiter
            }
            let mut dec = self.table.new_stream_decoder();
            dec.received(&chunk);
            out.push(match dec.decode() {
                Ok(frame) => Ok(own(&frame)),
                Err(DecodeError::Malformed) | Err(DecodeError::UnexpectedEof) => {
                    Err(CorruptFrame {
                        len: chunk.len() - 1,
                    })
                }
            });
        }
        out
    }
}

fn own(frame: &defmt_decoder::Frame<'_>) -> DecodedFrame {
    let mut message = String::new();
    let mut shape = String::new();
    let mut args = Vec::new();
    for (frag, shown) in frame.fragments().into_iter().zip(frame.display_fragments()) {
        message.push_str(&shown);
        match frag {
            Fragment::Literal(s) => shape.push_str(&s),
            Fragment::Parameter(p) => {
                shape.push_str("{}");
                let number = p.hint.is_none();
                args.push(match p.ty {
                    Type::U8 | Type::U16 | Type::U32 | Type::U64 | Type::U128 | Type::Usize
                        if number =>
                    {
                        shown
                            .parse()
                            .map(ArgValue::Uint)
                            .unwrap_or(ArgValue::Text(shown))
                    }
                    Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::I128 | Type::Isize
                        if number =>
                    {
                        shown
                            .parse()
                            .map(ArgValue::Int)
                            .unwrap_or(ArgValue::Text(shown))
                    }
                    _ => ArgValue::Text(shown),
                });
            }
        }
    }
    DecodedFrame {
        message,
        shape,
        args,
    }
}
