//! Writing a model image into the model firmware's ELF: the bytes of the `MODEL_IMAGE`
//! region (reserved and erased by the build) and the payload hash in `TINYBENCH_META`.
//! The result is an ordinary ELF: the emulator, probe-rs and any other flasher load it
//! as they load every firmware.
//!
//! Written by hand on top of `object`'s reader: patching bytes in place at a symbol's file
//! offset needs no ELF writer (sections, segments and sizes all stay as the linker made
//! them).

use object::read::elf::{ElfFile32, FileHeader, SectionHeader};
use object::{Endianness, Object, ObjectSymbol};
use tinybench_device::elf::{ElfError, Footprint};
use tinybench_device::FirmwareImage;
use tinybench_kernels::image::{self, ImageHead};

/// The reserved image region's symbol.
pub const IMAGE_SYMBOL: &str = "TINYBENCH_MODEL_IMAGE";
/// The self-description's symbol; its third word is the payload hash.
const META_SYMBOL: &str = "TINYBENCH_META";

/// Why an image cannot be written into an ELF.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PatchError {
    /// Not a parsable 32-bit ELF.
    #[error("not a 32-bit ELF: {0}")]
    Parse(String),
    /// A symbol the model firmware defines is missing.
    #[error("symbol `{0}` is missing: not a tinybench model firmware")]
    Missing(&'static str),
    /// The symbol is not backed by file bytes (e.g. in .bss).
    #[error("symbol `{0}` has no bytes in the file (section without contents)")]
    NoBytes(&'static str),
    /// The image is larger than the region the firmware reserves.
    #[error("the model image is {image} bytes but the firmware reserves {region}")]
    TooLarge {
        /// Image bytes.
        image: usize,
        /// Region bytes.
        region: u64,
    },
}

/// File offset and size of `name`'s bytes.
fn locate(elf: &ElfFile32<Endianness>, name: &'static str) -> Result<(usize, u64), PatchError> {
    let sym = elf
        .symbols()
        .find(|s| s.name() == Ok(name))
        .ok_or(PatchError::Missing(name))?;
    let (addr, size) = (sym.address(), sym.size());
    let endian = elf.endian();
    let table = elf.elf_header().sections(endian, elf.data());
    let table = table.map_err(|e| PatchError::Parse(e.to_string()))?;
    for s in table.iter() {
        let (start, len) = (s.sh_addr(endian) as u64, s.sh_size(endian) as u64);
        let in_it = addr >= start && addr + size <= start + len;
        if !in_it || s.sh_flags(endian) & object::elf::SHF_ALLOC == 0 {
            continue;
        }
        if s.sh_type(endian) != object::elf::SHT_PROGBITS {
            return Err(PatchError::NoBytes(name));
        }
        let at = s.sh_offset(endian) as u64 + (addr - start);
        return Ok((at as usize, size));
    }
    Err(PatchError::NoBytes(name))
}

/// `elf` with `image` written at the start of its image region (the rest stays erased)
/// and `hash` as the payload hash of its `TINYBENCH_META`.
pub fn write_image(elf: &[u8], image: &[u8], hash: u32) -> Result<Vec<u8>, PatchError> {
    let parsed =
        ElfFile32::<Endianness>::parse(elf).map_err(|e| PatchError::Parse(e.to_string()))?;
    let (at, region) = locate(&parsed, IMAGE_SYMBOL)?;
    if image.len() as u64 > region {
        return Err(PatchError::TooLarge {
            image: image.len(),
            region,
        });
    }
    let (meta, meta_size) = locate(&parsed, META_SYMBOL)?;
    if meta_size < 12 {
        return Err(PatchError::NoBytes(META_SYMBOL));
    }
    let little = parsed.endian() == Endianness::Little;
    let mut out = elf.to_vec();
    out[at..at + image.len()].copy_from_slice(image);
    let word = if little {
        hash.to_le_bytes()
    } else {
        hash.to_be_bytes()
    };
    out[meta + 8..meta + 12].copy_from_slice(&word);
    Ok(out)
}

/// What a model firmware reserves but the model written into it does not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unused {
    /// Bytes of the image region after the image (flash).
    pub flash: u64,
    /// Bytes of the pool after the layer table, arena and scratch (RAM).
    pub ram: u64,
}

/// The symbol's file bytes.
fn bytes_of<'a>(
    elf: &'a [u8],
    parsed: &ElfFile32<Endianness>,
    name: &'static str,
) -> Option<&'a [u8]> {
    let (at, size) = locate(parsed, name).ok()?;
    elf.get(at..at.checked_add(size as usize)?)
}

/// For a model firmware ELF with its image written, how much of its image region and
/// pool the model leaves unused (so flash and RAM report what this model takes, not
/// the reservation). `None` for any other ELF, or one whose image does not read.
pub fn unused(elf: &[u8]) -> Option<Unused> {
    let parsed = ElfFile32::<Endianness>::parse(elf).ok()?;
    let region = bytes_of(elf, &parsed, IMAGE_SYMBOL)?;
    let head_len = image::fixed(region).ok()?;
    let head: ImageHead = postcard::from_bytes(&region[image::FIXED_BYTES..][..head_len]).ok()?;
    let image_len = head.inputs_offset as u64 + head.inputs_len as u64;
    let layout = bytes_of(elf, &parsed, "TINYBENCH_LAYER_LAYOUT")?;
    let word = |i: usize| u32::from_le_bytes(layout[4 * i..4 * i + 4].try_into().unwrap()) as u64;
    let (layer_size, layer_align) = (word(0), word(1).max(1));
    let pool = parsed
        .symbols()
        .find(|s| s.name() == Ok("TINYBENCH_POOL"))?;
    // The firmware's carving (targets/firmware/src/model.rs `open`): spans, layers,
    // arena, scratch, each aligned for its type from the pool's start.
    let span = std::mem::size_of::<tinybench_kernels::graph::Span>() as u64;
    let parts = [
        (head.n_inputs as u64 + head.n_outputs as u64, span, 4),
        (head.n_layers as u64, layer_size, layer_align),
        (head.arena_bytes as u64, 1, 1),
        (head.scratch_elems.max(1) as u64, 2, 2),
    ];
    let mut end = pool.address();
    for (n, size, align) in parts {
        end = end.next_multiple_of(align) + n * size;
    }
    let used = end - pool.address();
    Some(Unused {
        flash: (region.len() as u64).saturating_sub(image_len),
        ram: pool.size().saturating_sub(used),
    })
}

/// The firmware's flash and RAM footprint from its ELF; for a model firmware, without
/// what its image region and pool reserve beyond this model's use.
pub fn footprint(image: &FirmwareImage) -> Result<Footprint, ElfError> {
    let mut f = image.footprint()?;
    if let Some(u) = unused(&image.bytes) {
        f.rodata = f.rodata.saturating_sub(u.flash);
        f.bss = f.bss.saturating_sub(u.ram);
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_elf_is_refused_not_patched() {
        let e = write_image(b"not an elf at all, just text", &[1, 2, 3], 7).unwrap_err();
        assert!(matches!(e, PatchError::Parse(_)), "{e}");
    }
}
