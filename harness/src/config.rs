//! Configuration files: one TOML per target, TOML suites. Each is parsed into a raw serde
//! struct (unknown keys rejected), then validated into a checked type; every error names
//! the file, the line and the field.

pub mod model_suite;
pub mod suite;
pub mod target;

use std::fmt;
use std::path::{Path, PathBuf};

/// A configuration error at a place in a file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The field at fault, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Source text of one file, for turning byte spans into lines.
pub(crate) struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before.len(), |i| before.len() - i - 1)
            + 1;
        (line, col)
    }

    /// An error at a byte span (or none), for `field`.
    pub fn error(
        &self,
        span: Option<std::ops::Range<usize>>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = self.line_col(s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        ConfigError {
            path: self.path.to_path_buf(),
            line,
            column,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// The `name` key must equal the file stem (a target or suite is found by its file).
    pub fn check_name(&self, name: &serde_spanned::Spanned<String>) -> Result<(), ConfigError> {
        let stem = self
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if name.get_ref() == stem {
            Ok(())
        } else {
            Err(self.error(
                Some(name.span()),
                Some("name"),
                format!(
                    "name `{}` must match the file name `{stem}`",
                    name.get_ref()
                ),
            ))
        }
    }

    /// Deserialize, mapping toml's error (which carries a span, and names an unknown or
    /// missing key in its message) to a [`ConfigError`].
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(self.text).map_err(|e| {
            let msg = e.message().to_string();
            let field = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.contains("field"))
                .map(str::to_string);
            self.error(e.span(), field.as_deref(), msg)
        })
    }
}

/// Read a file to a string, as a [`ConfigError`] on failure.
pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        field: None,
        message: format!("cannot read: {e}"),
    })
}

/// Names of the `*.toml` files in a directory, sorted.
pub(crate) fn toml_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
}
