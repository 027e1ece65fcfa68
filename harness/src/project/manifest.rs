//! `tinybench.toml`: marks the user's project directory (found upward from the current
//! directory, as cargo finds `Cargo.toml`). Every key is optional; paths are relative to
//! the file's directory:
//!
//! ```toml
//! targets = "targets"           # own board files, searched before the built-in ones
//! suites = "suites"             # own suites, likewise
//! results = "tinybench-results" # the result store
//! ```

use crate::config::{ConfigError, Source};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file name.
pub const FILE: &str = "tinybench.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    targets: Option<String>,
    suites: Option<String>,
    results: Option<String>,
}

/// A parsed `tinybench.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The directory holding it: the user's project directory.
    pub dir: PathBuf,
    /// The user's target files.
    pub targets: PathBuf,
    /// The user's suites.
    pub suites: PathBuf,
    /// The result store, when set.
    pub results: Option<PathBuf>,
}

/// Parse the text of `dir/tinybench.toml`.
pub fn parse(dir: &Path, text: &str) -> Result<Manifest, ConfigError> {
    let path = dir.join(FILE);
    let raw: Raw = Source { path: &path, text }.parse()?;
    let at = |p: Option<String>, default: &str| dir.join(p.as_deref().unwrap_or(default));
    Ok(Manifest {
        dir: dir.to_path_buf(),
        targets: at(raw.targets, "targets"),
        suites: at(raw.suites, "suites"),
        results: raw.results.map(|r| dir.join(r)),
    })
}

/// The nearest `tinybench.toml` in `start` or above it.
pub fn find(start: &Path) -> Result<Option<Manifest>, ConfigError> {
    let Some(dir) = start.ancestors().find(|d| d.join(FILE).is_file()) else {
        return Ok(None);
    };
    let text = crate::config::read(&dir.join(FILE))?;
    parse(dir, &text).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_file_and_default_beside_it() {
        let m = parse(Path::new("/p"), "suites = \"bench\"\n").unwrap();
        assert_eq!(m.suites, Path::new("/p/bench"));
        assert_eq!(m.targets, Path::new("/p/targets"));
        assert_eq!(m.results, None);
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let e = parse(Path::new("/p"), "\nresult = \"r\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.to_string().contains("result"), "{e}");
    }

    #[test]
    fn found_upward_from_a_subdirectory() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(FILE), "results = \"out\"\n").unwrap();
        let sub = d.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let m = find(&sub).unwrap().unwrap();
        assert_eq!(m.dir, d.path());
        assert_eq!(m.results, Some(d.path().join("out")));
    }
}
