//! The firmware ELF as the host needs it: loadable bytes at their load addresses, symbols
//! for the done/fault markers and for symbolizing a PC, and the self-description the
//! firmware embeds (`TINYBENCH_META`).

use object::elf::{PT_LOAD, STT_FUNC};
use object::read::elf::{ElfFile32, FileHeader, ProgramHeader, SectionHeader};
use object::{Endianness, Object, ObjectSymbol, SymbolKind};

/// Magic word opening `TINYBENCH_META` ("TBNC").
pub const META_MAGIC: u32 = 0x5442_4E43;

/// A parsed firmware image. Owns its bytes (the defmt table is built from them too).
#[derive(Debug, Clone)]
pub struct FirmwareImage {
    /// The ELF file itself.
    pub bytes: std::sync::Arc<Vec<u8>>,
    /// Loadable segments at their *load* (physical) addresses: what a flasher writes.
    pub segments: Vec<Segment>,
    /// ELF `e_machine` (40 = ARM, 243 = RISC-V).
    pub machine: u16,
    /// ELF entry point.
    pub entry: u64,
    /// Bytes of RAM the image reserves statically (.data, .bss and other writable
    /// allocated sections); the stack comes on top.
    pub static_ram: u64,
    symbols: Vec<Symbol>,
}

/// Bytes of a firmware by kind of section ([`FirmwareImage::footprint`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Code (flash).
    pub text: u64,
    /// Read-only data (flash).
    pub rodata: u64,
    /// Initialised data (flash, copied to RAM).
    pub data: u64,
    /// Zeroed and uninitialised statics (RAM).
    pub bss: u64,
}

/// One loadable segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Load address.
    pub addr: u64,
    /// File bytes to place there.
    pub data: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Symbol {
    addr: u64,
    size: u64,
    name: String,
    is_func: bool,
}

/// What the firmware says about itself in `TINYBENCH_META`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareMeta {
    /// Frame schema the firmware speaks.
    pub schema: u32,
    /// Hash of the suite compiled in.
    pub suite_hash: u32,
}

/// Why an ELF cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// Not a 32-bit ELF `object` can read.
    #[error("not a 32-bit ELF firmware: {0}")]
    Parse(String),
    /// A symbol the harness relies on is missing.
    #[error("symbol `{0}` not found in the firmware ELF (is this a tinybench firmware?)")]
    MissingSymbol(&'static str),
    /// `TINYBENCH_META` is not what a tinybench firmware writes.
    #[error("TINYBENCH_META is malformed: {0}")]
    BadMeta(String),
}

impl FirmwareImage {
    /// Flash and static RAM by kind, from the section headers: code (`.vector_table`,
    /// `.text`, …: allocated and executable), read-only data (`.rodata`, a model's weights),
    /// initialised data (`.data`, in flash and RAM) and zeroed/uninitialised RAM (`.bss`,
    /// `.uninit`; riscv-rt's `.stack`/`.heap` reservations are not counted).
    pub fn footprint(&self) -> Result<Footprint, ElfError> {
        let perr = |e: object::Error| ElfError::Parse(e.to_string());
        let elf = ElfFile32::<Endianness>::parse(&self.bytes[..]).map_err(perr)?;
        let endian = elf.endian();
        let table = elf.elf_section_table();
        let mut f = Footprint::default();
        for s in table.iter() {
            let flags = s.sh_flags(endian);
            let name = table.section_name(endian, s).unwrap_or_default();
            let size = s.sh_size(endian) as u64;
            if flags & object::elf::SHF_ALLOC == 0
                || name.starts_with(b".stack")
                || name.starts_with(b".heap")
            {
                continue;
            }
            let nobits = s.sh_type(endian) == object::elf::SHT_NOBITS;
            if flags & object::elf::SHF_EXECINSTR != 0 {
                f.text += size;
            } else if flags & object::elf::SHF_WRITE == 0 {
                f.rodata += size;
            } else if nobits {
                f.bss += size;
            } else {
                f.data += size;
            }
        }
        Ok(f)
    }

    /// Parse an ELF image.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, ElfError> {
        let perr = |e: object::Error| ElfError::Parse(e.to_string());
        let elf = ElfFile32::<Endianness>::parse(&bytes[..]).map_err(perr)?;
        let endian = elf.endian();
        let header = elf.elf_header();
        let machine = header.e_machine(endian);
        let entry = header.e_entry(endian) as u64;
        let mut segments = Vec::new();
        for ph in header.program_headers(endian, &bytes[..]).map_err(perr)? {
            if ph.p_type(endian) != PT_LOAD || ph.p_filesz(endian) == 0 {
                continue;
            }
            let data = ph
                .data(endian, &bytes[..])
                .map_err(|()| ElfError::Parse("segment outside the file".into()))?;
            segments.push(Segment {
                addr: ph.p_paddr(endian) as u64,
                data: data.to_vec(),
            });
        }
        let mut symbols: Vec<Symbol> = elf
            .symbols()
            .filter(|s| s.is_definition())
            .filter_map(|s| {
                let name = s.name().ok()?;
                if name.is_empty() || name.starts_with('$') {
                    return None;
                }
                let is_func = s.elf_symbol().st_type() == STT_FUNC || s.kind() == SymbolKind::Text;
                // Thumb function symbols carry the mode bit; addresses of code do not.
                let addr = if is_func && machine == object::elf::EM_ARM {
                    s.address() & !1
                } else {
                    s.address()
                };
                Some(Symbol {
                    addr,
                    size: s.size(),
                    name: name.to_string(),
                    is_func,
                })
            })
            .collect();
        symbols.sort_by_key(|s| s.addr);
        let table = elf.elf_section_table();
        let static_ram = table
            .iter()
            .filter(|s| {
                let f = s.sh_flags(endian);
                // riscv-rt reserves the rest of RAM as `.stack`/`.heap` sections: those
                // are not static data.
                let name = table.section_name(endian, s).unwrap_or_default();
                f & object::elf::SHF_ALLOC != 0
                    && f & object::elf::SHF_WRITE != 0
                    && !name.starts_with(b".stack")
                    && !name.starts_with(b".heap")
            })
            .map(|s| s.sh_size(endian) as u64)
            .sum();
        drop(elf);
        Ok(Self {
            bytes: std::sync::Arc::new(bytes),
            segments,
            machine,
            entry,
            static_ram,
            symbols,
        })
    }

    /// Address of a symbol by exact (mangled or `#[no_mangle]`) name.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols.iter().find(|s| s.name == name).map(|s| s.addr)
    }

    /// Address of a symbol the harness needs, or an error naming it.
    pub fn require(&self, name: &'static str) -> Result<u64, ElfError> {
        self.symbol(name).ok_or(ElfError::MissingSymbol(name))
    }

    /// The function containing a code address: its demangled name (without the hash)
    /// and start address.
    pub fn function_of(&self, pc: u64) -> Option<(String, u64)> {
        let s = self
            .symbols
            .iter()
            .rev()
            .find(|s| s.is_func && s.addr <= pc && pc < s.addr + s.size.max(1))?;
        Some((format!("{:#}", rustc_demangle::demangle(&s.name)), s.addr))
    }

    /// `function+0xoffset` for a code address, demangled.
    pub fn symbolize(&self, pc: u64) -> Option<String> {
        let s = self
            .symbols
            .iter()
            .rev()
            .find(|s| s.is_func && s.addr <= pc && (pc < s.addr + s.size.max(1)))?;
        let name = rustc_demangle::demangle(&s.name);
        Some(format!("{name:#}+{:#x}", pc - s.addr))
    }

    /// Read `len` bytes at a load address from the image's segments.
    pub fn read(&self, addr: u64, len: usize) -> Option<&[u8]> {
        self.segments.iter().find_map(|seg| {
            let off = addr.checked_sub(seg.addr)? as usize;
            seg.data.get(off..off.checked_add(len)?)
        })
    }

    /// The firmware's self-description. The host checks it before trusting any number.
    pub fn meta(&self) -> Result<FirmwareMeta, ElfError> {
        let addr = self.require("TINYBENCH_META")?;
        let raw = self
            .read(addr, 12)
            .ok_or_else(|| ElfError::BadMeta("not in a loadable segment".into()))?;
        let word = |i: usize| {
            u32::from_le_bytes([raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]])
        };
        if word(0) != META_MAGIC {
            return Err(ElfError::BadMeta(format!(
                "magic {:#010x}, expected {META_MAGIC:#010x}",
                word(0)
            )));
        }
        Ok(FirmwareMeta {
            schema: word(1),
            suite_hash: word(2),
        })
    }
}
