//! Configuration files: one TOML per target, TOML suites. Each is parsed into a raw serde
//! struct (unknown keys rejected), then validated into a checked type; every error names
//! the file, the line and the field.

pub mod model_suite;
pub mod suite;
pub mod target;

#[cfg(test)]
mod hardening_tests;

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
        if !safe_name(name.get_ref()) {
            return Err(self.error(
                Some(name.span()),
                Some("name"),
                format!(
                    "name `{}` is not a plain name: use letters, digits, `-`, `_` and `.`, not starting with a dot (it names the firmware's directory)",
                    name.get_ref()
                ),
            ));
        }
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
                .map(str::to_string)
                // A value of the wrong type: toml points at the value; name its key.
                .or_else(|| e.span().and_then(|s| key_at(self.text, s.start)));
            self.error(e.span(), field.as_deref(), msg)
        })
    }
}

/// The dotted key (`memory.flash.size_kib`) of the value starting at byte `offset` of a
/// TOML text: the key before the `=` it follows, the key of an enclosing inline table and
/// the `[table]` header above. A heuristic for messages only (toml's error names the
/// type, not the field); `None` when the text around does not look like `key = value`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let mut parts = Vec::new();
    let mut end = before.len();
    loop {
        let eq = before[..end].rfind('=')?;
        let start = before[..eq].rfind(['\n', '{', ',']).map_or(0, |i| i + 1);
        let key = before[start..eq].trim().trim_matches('"');
        if key.is_empty() || key.contains(['[', ']', '}']) {
            return None;
        }
        parts.push(key.to_string());
        // An enclosing inline table: the nearest unmatched `{` before this key.
        let mut depth = 0i32;
        let open = before[..start].char_indices().rev().find(|&(_, c)| {
            match c {
                '}' => depth += 1,
                '{' if depth == 0 => return true,
                '{' => depth -= 1,
                '\n' if depth == 0 => return false,
                _ => {}
            }
            false
        });
        match open {
            Some((i, _)) if !before[..i].ends_with('\n') => end = i,
            _ => {
                let header = before[..start].lines().rev().find_map(|l| {
                    let l = l.trim();
                    l.starts_with('[')
                        .then(|| l.trim_matches(['[', ']']).trim().to_string())
                });
                if let Some(h) = header {
                    parts.push(h);
                }
                break;
            }
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// Read a file to a string (a regular file of at most [`crate::fsread::MAX_TOML_BYTES`]),
/// as a [`ConfigError`] on failure.
pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    crate::fsread::text(path, crate::fsread::MAX_TOML_BYTES).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        field: None,
        message: match e {
            crate::fsread::ReadError::Io(e) => format!("cannot read: {e}"),
            e => e.to_string(),
        },
    })
}

/// Whether `name` can name a target or suite file: letters, digits, `-`, `_` and `.`,
/// not starting with a dot (so never `.`, `..` or a path).
pub(crate) fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
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
