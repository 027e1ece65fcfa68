//! Bounded reads of user-named files (issue 19): a regular file only — a FIFO would block
//! the reader forever, `/dev/zero` never ends, a directory is not a file — and no more than
//! a stated number of bytes, checked before anything is read (and again while reading, for a
//! file that grows). Symlinks are followed; where they may point is the caller's business
//! (datasets refuse links out of their directory).

use std::io::Read;
use std::path::Path;

/// Most bytes of a `.tflite` model: the largest MLPerf Tiny model is 0.3 MB and no
/// microcontroller tinybench targets has 64 MiB of flash.
pub const MAX_MODEL_BYTES: u64 = 64 << 20;
/// Most bytes of a target, suite, runner or dataset TOML file.
pub const MAX_TOML_BYTES: u64 = 4 << 20;
/// Most bytes of a dataset's labels.csv.
pub const MAX_LABELS_BYTES: u64 = 16 << 20;
/// Most bytes of a result JSON file given on the command line (as the store's limit).
pub const MAX_RESULT_BYTES: u64 = tinybench_results::store::MAX_FILE_BYTES;

/// Why a file was not read. The message does not repeat the path: callers name it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No such file.
    #[error("no such file")]
    NotFound,
    /// Not a regular file.
    #[error("is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Larger than allowed.
    #[error("is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Its size (at least).
        len: u64,
        /// The limit.
        max: u64,
    },
    /// Another I/O error.
    #[error("cannot read: {0}")]
    Io(std::io::Error),
}

impl ReadError {
    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::NotFound)
    }
}

fn io(e: std::io::Error) -> ReadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ReadError::NotFound
    } else {
        ReadError::Io(e)
    }
}

/// What kind of non-regular file `path` is, `None` for a regular file.
pub fn non_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    match () {
        _ if t.is_file() => None,
        _ if t.is_dir() => Some("a directory"),
        _ if t.is_fifo() => Some("a FIFO"),
        _ if t.is_char_device() || t.is_block_device() => Some("a device"),
        _ if t.is_socket() => Some("a socket"),
        _ => Some("not a regular file"),
    }
}

/// The bytes of the regular file `path`, at most `max` of them.
pub fn bytes(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(io)?;
    if let Some(kind) = non_regular(&meta) {
        return Err(ReadError::NotRegular(kind));
    }
    if meta.len() > max {
        return Err(ReadError::TooLarge {
            len: meta.len(),
            max,
        });
    }
    let f = std::fs::File::open(path).map_err(io)?;
    // Checked again on the open file: the path may have been swapped since.
    if let Some(kind) = f.metadata().ok().as_ref().and_then(non_regular) {
        return Err(ReadError::NotRegular(kind));
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    f.take(max + 1).read_to_end(&mut out).map_err(io)?;
    if out.len() as u64 > max {
        return Err(ReadError::TooLarge {
            len: out.len() as u64,
            max,
        });
    }
    Ok(out)
}

/// [`bytes`] as UTF-8 text.
pub fn text(path: &Path, max: u64) -> Result<String, ReadError> {
    String::from_utf8(bytes(path, max)?).map_err(|e| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_directories_and_large_files() {
        let e = bytes(Path::new("/dev/zero"), 10).unwrap_err();
        assert_eq!(e.to_string(), "is a device, not a regular file");
        let dir = tempfile::tempdir().unwrap();
        let e = bytes(dir.path(), 10).unwrap_err();
        assert_eq!(e.to_string(), "is a directory, not a regular file");
        let f = dir.path().join("f");
        std::fs::write(&f, [1u8; 11]).unwrap();
        let e = bytes(&f, 10).unwrap_err();
        assert_eq!(e.to_string(), "is 11 bytes, more than the 10 allowed");
        assert_eq!(bytes(&f, 11).unwrap(), [1u8; 11]);
        assert!(bytes(&dir.path().join("none"), 1)
            .unwrap_err()
            .is_not_found());
        std::fs::write(&f, b"\xff").unwrap();
        assert!(text(&f, 10).unwrap_err().to_string().contains("not UTF-8"));
    }
}
