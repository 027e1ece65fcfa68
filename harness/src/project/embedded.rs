//! The project files compiled into the binary (see `build.rs`), unpacked on first use into
//! a versioned cache directory, so an installed tinybench works outside its source tree.
//!
//! `<cache>/tinybench/<version>-<content hash>/` holds `targets/`, `suites/`, `kernels/`
//! and a workspace manifest for the kernels; it is never written after unpacking. Two
//! processes may race to unpack: each writes a temporary directory and renames it into
//! place, and the loser uses the winner's copy.

use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

static PROJECT: Dir<'static> = include_dir!("$OUT_DIR/project");

/// The embedded files could not be unpacked.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// No cache directory could be found.
    #[error("no cache directory for tinybench's project files: set TINYBENCH_CACHE_DIR, XDG_CACHE_HOME or HOME (or pass --project-dir)")]
    NoCacheDir,
    /// File system trouble.
    #[error("unpacking tinybench's project files: {what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The embedded workspace manifest did not parse (a build of tinybench gone wrong).
    #[error("the embedded workspace Cargo.toml: {0}")]
    Manifest(String),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> UnpackError {
    let path = path.to_path_buf();
    move |source| UnpackError::Io { what, path, source }
}

/// tinybench's cache directory: `TINYBENCH_CACHE_DIR`, else `$XDG_CACHE_HOME/tinybench`,
/// else `$HOME/.cache/tinybench` (`%LOCALAPPDATA%\tinybench` on Windows). Written by hand:
/// three environment variables do not call for a crate.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("TINYBENCH_CACHE_DIR") {
        return Some(d);
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return Some(d.join("tinybench"));
    }
    if cfg!(windows) {
        return var("LOCALAPPDATA").map(|d| d.join("tinybench"));
    }
    var("HOME").map(|h| h.join(".cache").join("tinybench"))
}

/// Every embedded file, sorted by path.
fn files() -> Vec<&'static include_dir::File<'static>> {
    fn walk(d: &'static Dir<'static>, out: &mut Vec<&'static include_dir::File<'static>>) {
        out.extend(d.files());
        for sub in d.dirs() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&PROJECT, &mut out);
    out.sort_by_key(|f| f.path());
    out
}

/// The first 12 hex digits of the SHA-256 over every embedded path and content.
pub fn content_hash() -> String {
    let mut h = Sha256::new();
    for f in files() {
        h.update(f.path().to_string_lossy().as_bytes());
        h.update([0]);
        h.update(f.contents());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `<version>-<content hash>`: the name of this binary's unpacked copy.
pub fn version_key() -> String {
    format!("{}-{}", env!("CARGO_PKG_VERSION"), content_hash())
}

/// The workspace manifest for the unpacked kernels: the repository's, with only the
/// kernels as member (the kernels inherit `version`, `edition` and dev-dependencies from
/// it; the harness crates it lists are not embedded).
fn workspace_manifest(text: &str) -> Result<String, UnpackError> {
    let mut t: toml::Table =
        toml::from_str(text).map_err(|e| UnpackError::Manifest(e.to_string()))?;
    let ws = t
        .get_mut("workspace")
        .and_then(toml::Value::as_table_mut)
        .ok_or_else(|| UnpackError::Manifest("no [workspace]".into()))?;
    ws.insert("members".into(), toml::Value::Array(vec!["kernels".into()]));
    toml::to_string(&t).map_err(|e| UnpackError::Manifest(e.to_string()))
}

fn write_all(dir: &Path) -> Result<(), UnpackError> {
    for f in files() {
        let path = dir.join(f.path());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
        }
        let bytes = if f.path() == Path::new("Cargo.toml") {
            let text = String::from_utf8_lossy(f.contents());
            workspace_manifest(&text)?.into_bytes()
        } else {
            f.contents().to_vec()
        };
        std::fs::write(&path, bytes).map_err(io("writing", &path))?;
    }
    Ok(())
}

/// The unpacked project root under `cache`, unpacking it first when it is not there.
pub fn unpack_into(cache: &Path) -> Result<PathBuf, UnpackError> {
    let dest = cache.join(version_key());
    if dest.join("targets/firmware/Cargo.toml").is_file() {
        return Ok(dest);
    }
    std::fs::create_dir_all(cache).map_err(io("creating", cache))?;
    let tmp = tempfile::Builder::new()
        .prefix(".unpack-")
        .tempdir_in(cache)
        .map_err(io("creating a temporary directory in", cache))?;
    write_all(tmp.path())?;
    let tmp = tmp.keep();
    match std::fs::rename(&tmp, &dest) {
        Ok(()) => Ok(dest),
        // Another process renamed its copy into place first: use that one.
        Err(_) if dest.join("targets/firmware/Cargo.toml").is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dest)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(UnpackError::Io {
                what: "renaming into",
                path: dest,
                source: e,
            })
        }
    }
}

/// The unpacked project root in the cache directory.
pub fn unpack() -> Result<PathBuf, UnpackError> {
    unpack_into(&cache_dir().ok_or(UnpackError::NoCacheDir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_carries_the_firmware_kernels_targets_and_suites() {
        let paths: Vec<String> = files()
            .iter()
            .map(|f| f.path().to_string_lossy().replace('\\', "/"))
            .collect();
        for want in [
            "Cargo.toml",
            "targets/firmware/Cargo.toml",
            "targets/firmware/Cargo.lock",
            "targets/firmware/src/main.rs",
            // The target-side crate the firmware depends on by path (issue 21).
            "targets/bench/Cargo.toml",
            "targets/bench/src/lib.rs",
            "targets/sim-cortex-m4.toml",
            "kernels/Cargo.toml",
            "kernels/src/lib.rs",
            "suites/smoke.toml",
        ] {
            assert!(paths.iter().any(|p| p == want), "{want} not embedded");
        }
        assert!(!paths.iter().any(|p| p.split('/').any(|c| c == "target")));
    }

    #[test]
    fn the_kernels_workspace_has_only_the_kernels() {
        let text = workspace_manifest(
            "[workspace]\nmembers = [\"harness\", \"kernels\"]\n[workspace.package]\nversion = \"1.0.0\"\n",
        )
        .unwrap();
        let t: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(t["workspace"]["members"].as_array().unwrap().len(), 1);
        assert_eq!(t["workspace"]["package"]["version"].as_str(), Some("1.0.0"));
    }

    #[test]
    fn unpacking_twice_and_in_parallel_gives_one_complete_copy() {
        let cache = tempfile::tempdir().unwrap();
        let roots: Vec<PathBuf> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..3)
                .map(|_| s.spawn(|| unpack_into(cache.path()).unwrap()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(roots.windows(2).all(|w| w[0] == w[1]));
        assert!(roots[0].join("suites/smoke.toml").is_file());
        // No temporary directory is left behind.
        let left: Vec<_> = std::fs::read_dir(cache.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(unpack_into(cache.path()).unwrap(), roots[0]);
    }
}
