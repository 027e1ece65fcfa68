//! The model image: a planned model as bytes the firmware reads at run time, so one
//! firmware build per target runs every model (the host writes the image into the ELF's
//! reserved flash region instead of compiling each model in).
//!
//! Layout, every multi-byte number little-endian:
//!
//! | bytes | what |
//! |---|---|
//! | 0..4 | [`MAGIC`] |
//! | 4..8 | [`VERSION`] |
//! | 8..12 | `head_len`: bytes of the postcard part that follows |
//! | 12..12+head_len | postcard: [`ImageHead`], then `inputs` [`Span`]s, `outputs` [`Span`]s, `layers` [`Layer`]s |
//! | `data_offset`.. | the constant blob (`data_len` bytes; `data_offset` is 4-byte aligned) |
//! | `inputs_offset`.. | every input sample's tensors, back to back (`inputs_len` bytes) |
//!
//! The fixed words come first so a reader can refuse an image that is not one (erased
//! flash, another version) before decoding anything. The op list is postcard (serde), the
//! same types the host plans with, so the host and the firmware cannot disagree on a
//! field.

use crate::case::Variant;
#[cfg(doc)]
use crate::graph::{Layer, Span};

/// `TBMI` read as a little-endian word.
pub const MAGIC: u32 = u32::from_le_bytes(*b"TBMI");

/// Format version; bumped on any change of the layout or of a serialized type (2: the
/// 16x8 graph ops, and arena spans of int16 tensors counted in bytes).
pub const VERSION: u32 = 2;

/// Bytes before the postcard part.
pub const FIXED_BYTES: usize = 12;

/// What the image holds besides its lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageHead {
    /// The model's hash (the host checks the firmware reports it).
    pub hash: u32,
    /// Kernel variant the layers were planned for; the firmware refuses another.
    pub variant: Variant,
    /// Untimed inferences first.
    pub warmup: u16,
    /// Timed inferences.
    pub reps: u16,
    /// Tensor arena bytes.
    pub arena_bytes: u32,
    /// Scratch int16 elements.
    pub scratch_elems: u32,
    /// Bytes of one sample (every graph input back to back).
    pub input_len: u32,
    /// Samples.
    pub input_count: u32,
    /// Graph inputs.
    pub n_inputs: u16,
    /// Graph outputs.
    pub n_outputs: u16,
    /// Layers.
    pub n_layers: u16,
    /// Where the constant blob starts (from the image's start, 4-byte aligned).
    pub data_offset: u32,
    /// Constant blob bytes.
    pub data_len: u32,
    /// Where the input samples start.
    pub inputs_offset: u32,
    /// Input bytes (`input_len * input_count`).
    pub inputs_len: u32,
}

/// Why an image cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageError {
    /// No [`MAGIC`] (nothing written, or not an image).
    NoImage,
    /// Another [`VERSION`].
    Version,
    /// A part does not decode or lies outside the image.
    Malformed,
}

/// The fixed words of an image: the length of its postcard part, after checking
/// [`MAGIC`] and [`VERSION`].
pub fn fixed(image: &[u8]) -> Result<usize, ImageError> {
    let word = |i: usize| -> Option<u32> {
        let b = image.get(4 * i..4 * i + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if word(0) != Some(MAGIC) {
        return Err(ImageError::NoImage);
    }
    if word(1) != Some(VERSION) {
        return Err(ImageError::Version);
    }
    let len = word(2).ok_or(ImageError::Malformed)? as usize;
    if FIXED_BYTES
        .checked_add(len)
        .is_none_or(|end| end > image.len())
    {
        return Err(ImageError::Malformed);
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_words_are_checked_before_anything_is_decoded() {
        let mut img = [0u8; 16];
        assert_eq!(fixed(&img), Err(ImageError::NoImage));
        assert_eq!(fixed(&[0xFF; 16]), Err(ImageError::NoImage));
        img[..4].copy_from_slice(&MAGIC.to_le_bytes());
        img[4..8].copy_from_slice(&(VERSION + 1).to_le_bytes());
        assert_eq!(fixed(&img), Err(ImageError::Version));
        img[4..8].copy_from_slice(&VERSION.to_le_bytes());
        img[8..12].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(fixed(&img), Err(ImageError::Malformed));
        img[8..12].copy_from_slice(&4u32.to_le_bytes());
        assert_eq!(fixed(&img), Ok(4));
        assert_eq!(fixed(&img[..3]), Err(ImageError::NoImage));
    }
}
