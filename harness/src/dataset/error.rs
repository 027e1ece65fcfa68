//! Why a dataset directory cannot be used: every variant names the file, and the line of
//! labels.csv where there is one.

use std::path::PathBuf;

/// Why a dataset directory cannot be used. Each variant's `#[error]` message says what it
/// means and names its fields.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{}: no such file; a dataset directory needs one (see docs/models.md, \"Dataset directory format\")", .path.display())]
    MissingLabels { path: PathBuf },
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", .path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}:{line}: the header is \"{found}\", expected \"{want}\"", .path.display())]
    BadHeader {
        path: PathBuf,
        line: u64,
        found: String,
        want: String,
    },
    #[error("{}:{line}: expected {want} fields ({header}), found {fields}", .path.display())]
    BadRow {
        path: PathBuf,
        line: u64,
        fields: usize,
        want: usize,
        header: String,
    },
    #[error("{}:{line}: the file name is empty", .path.display())]
    EmptyName { path: PathBuf, line: u64 },
    #[error("{}:{line}: label \"{label}\" of {file} is not a class index (a non-negative integer, or empty for no label)", .path.display())]
    BadLabel {
        path: PathBuf,
        line: u64,
        file: String,
        label: String,
    },
    #[error("{}:{line}: {file} is not a relative path inside the dataset directory", .path.display())]
    EscapingPath {
        path: PathBuf,
        line: u64,
        file: String,
    },
    #[error("{}:{line}: {file} is listed again (first on line {first})", .path.display())]
    Duplicate {
        path: PathBuf,
        line: u64,
        file: String,
        first: u64,
    },
    #[error("{}:{line}: cannot read {file}: {source}", .path.display())]
    MissingInput {
        path: PathBuf,
        line: u64,
        file: String,
        source: std::io::Error,
    },
    #[error("{}:{line}: {file} holds {len} bytes, the model's input needs {want}", .path.display())]
    InputSize {
        path: PathBuf,
        line: u64,
        file: String,
        len: usize,
        want: usize,
    },
    #[error("{}:{line}: {} (the expected output of {file}) holds {len} bytes, the model's output has {want}", .path.display(), .expected.display())]
    ExpectedSize {
        path: PathBuf,
        line: u64,
        file: String,
        expected: PathBuf,
        len: usize,
        want: usize,
    },
    #[error("{}:{line}: {file} resolves to {}, outside the dataset directory", .path.display(), .target.display())]
    Outside {
        path: PathBuf,
        line: u64,
        file: String,
        target: PathBuf,
    },
    #[error("{}: {file} has label {label}, but {allowed}", .path.display())]
    LabelRange {
        path: PathBuf,
        file: String,
        label: u32,
        allowed: String,
    },
    #[error("{}: lists no samples", .path.display())]
    Empty { path: PathBuf },
    #[error("{}: {message}", .path.display())]
    Meta { path: PathBuf, message: String },
}
