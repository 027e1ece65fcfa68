//! The firmware cache's integrity (issue 19): each cached ELF has a `<elf>.sha256` beside it,
//! written when the ELF is cached; an ELF is reused only when it still hashes to that and
//! looks like a 32-bit ELF. A damaged or unsealed one is named, removed and rebuilt
//! (a corrupted cache entry used to be reused on every run, then failed as "not a 32-bit ELF
//! firmware" without the file's name).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn sidecar(elf: &Path) -> PathBuf {
    let mut name = elf.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why `bytes` cannot be a firmware ELF (the check `FirmwareImage::parse` would fail later
/// without the path).
pub fn not_elf32(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 52 || &bytes[..4] != b"\x7fELF" {
        Some("not an ELF file")
    } else if bytes[4] != 1 {
        Some("not a 32-bit ELF")
    } else {
        None
    }
}

/// Record the hash of the freshly cached `elf` (written to a temp file, then renamed).
pub fn seal(elf: &Path) -> std::io::Result<()> {
    let bytes = std::fs::read(elf)?;
    let side = sidecar(elf);
    let mut tmp = side.clone().into_os_string();
    tmp.push(".tmp");
    std::fs::write(&tmp, hex(&bytes))?;
    std::fs::rename(&tmp, &side)
}

/// `Ok` when the cached `elf` can be reused; else why not, in words.
pub fn verify(elf: &Path) -> Result<(), String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("cannot read it: {e}"))?;
    let want = std::fs::read_to_string(sidecar(elf))
        .map_err(|_| "its hash file is missing".to_string())?;
    if hex(&bytes) != want.trim() {
        return Err("its content does not match the hash recorded when it was built".into());
    }
    match not_elf32(&bytes) {
        Some(why) => Err(why.into()),
        None => Ok(()),
    }
}

/// Remove a cached ELF and its hash file (a damaged entry).
pub fn evict(elf: &Path) {
    let _ = std::fs::remove_file(elf);
    let _ = std::fs::remove_file(sidecar(elf));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_or_unsealed_elf_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let elf = dir.path().join("fw.elf");
        let mut image = b"\x7fELF\x01\x01\x01".to_vec();
        image.resize(64, 0);
        std::fs::write(&elf, &image).unwrap();
        assert_eq!(verify(&elf).unwrap_err(), "its hash file is missing");
        seal(&elf).unwrap();
        verify(&elf).unwrap();
        image[40] = 1;
        std::fs::write(&elf, &image).unwrap();
        assert!(verify(&elf).unwrap_err().contains("does not match"));
        evict(&elf);
        assert!(!elf.exists() && !sidecar(&elf).exists());
        assert_eq!(not_elf32(b"garbage"), Some("not an ELF file"));
    }
}
