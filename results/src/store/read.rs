//! Reading one file of the store, bounded: regular files only (a FIFO would block the
//! reader forever, a device such as `/dev/zero` never ends, a directory named `x.json`
//! is not a run), at most [`MAX_FILE_BYTES`] bytes, UTF-8 text. Every refusal is a reason
//! in words, so the caller can name the file and skip it.

use std::fs;
use std::io::Read;
use std::path::Path;

/// Most bytes a run or index file may have: the largest run stored so far is ~200 KB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Why a file was not read.
pub(crate) enum ReadFail {
    /// It does not exist (or vanished meanwhile).
    Missing,
    /// It exists but is not a readable run file; the reason in words.
    Bad(String),
}

/// What kind of non-regular file `meta` describes.
pub(crate) fn kind(meta: &fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO")
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

/// The bytes of `path` if it is a regular file of at most [`MAX_FILE_BYTES`].
pub(crate) fn bytes(path: &Path) -> Result<Vec<u8>, ReadFail> {
    let missing = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let meta = fs::metadata(path).map_err(|e| {
        if missing(&e) {
            ReadFail::Missing
        } else {
            ReadFail::Bad(format!("cannot read: {e}"))
        }
    })?;
    if let Some(k) = kind(&meta) {
        return Err(ReadFail::Bad(format!("is {k}, not a run file")));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadFail::Bad(too_big(meta.len())));
    }
    let f = fs::File::open(path).map_err(|e| {
        if missing(&e) {
            ReadFail::Missing
        } else {
            ReadFail::Bad(format!("cannot read: {e}"))
        }
    })?;
    let mut out = Vec::with_capacity(meta.len() as usize);
    // `take` bounds a file that grows while it is read.
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| ReadFail::Bad(format!("cannot read: {e}")))?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadFail::Bad(too_big(out.len() as u64)));
    }
    Ok(out)
}

fn too_big(n: u64) -> String {
    format!("is {n} bytes, more than the {MAX_FILE_BYTES} a stored file may have")
}

/// `bytes` as UTF-8 text, or why not.
pub(crate) fn text(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        )
    })
}
