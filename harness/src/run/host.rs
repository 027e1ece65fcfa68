//! The host side of a user's benchmarks (`run --elf PATH --host`): the same `main.rs`
//! built for the host runs every benchmark there (`tinybench-target`'s `host` module:
//! the checksum by the device's sequence of calls, the time under criterion) and writes a
//! small JSON file; this module runs it with cargo, or reads a file written earlier
//! (`--host-results`), and reads criterion's estimates the way the kernels' baselines are
//! read ([`crate::baseline::criterion`]).

use crate::baseline::{criterion, Baseline, Fingerprint, HostEstimate, BASELINE_VERSION};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The version of the host runner's JSON file this tinybench reads.
pub const HOST_FORMAT: u32 = 1;

/// One benchmark as the host ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBench {
    /// Its name (the same as the device's `TB bench`).
    pub name: String,
    /// The output checksum, computed on the host by the device's sequence of calls.
    pub checksum: u32,
    /// Declared multiply-accumulates per call (0: none).
    pub macs: u64,
    /// Declared shape ("": none).
    pub shape: String,
    /// Criterion's time per call, when its estimates could be read.
    pub estimate: Option<HostEstimate>,
}

/// A host run of a user's benchmarks.
#[derive(Debug, Clone, PartialEq)]
pub struct HostResults {
    /// The JSON file read.
    pub path: PathBuf,
    /// How it was made, for the table's title.
    pub source: String,
    /// True when criterion ran with its shortest settings (rough numbers).
    pub quick: bool,
    /// Every benchmark, in the host's order.
    pub benches: Vec<HostBench>,
    /// Why some benchmark has no time, in words.
    pub warnings: Vec<String>,
}

/// Why the host side could not be run or read.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a host result this tinybench reads.
    #[error("{path}: not a tinybench host result of format {HOST_FORMAT}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong (serde's message names the line and column).
        message: String,
    },
    /// cargo could not build or run the host side.
    #[error("`{command}` failed ({status}); its output is above")]
    Cargo {
        /// The command line.
        command: String,
        /// Its exit status, or why it did not start.
        status: String,
    },
    /// No project to build the host side from.
    #[error(
        "--host builds the ELF's project for the host, but CARGO_MANIFEST_DIR is not set \
         (cargo sets it when tinybench is its runner: `cargo run --release -- --host`); \
         by hand, run the host side yourself and pass its file with --host-results"
    )]
    NoProject,
}

#[derive(Deserialize)]
struct RawBench {
    name: String,
    checksum: u32,
    #[serde(default)]
    macs: u64,
    #[serde(default)]
    shape: String,
}

#[derive(Deserialize)]
struct RawFile {
    tinybench_host: u32,
    criterion_home: PathBuf,
    #[serde(default)]
    quick: bool,
    benches: Vec<RawBench>,
}

impl HostResults {
    /// The benchmark called `name`.
    pub fn bench(&self, name: &str) -> Option<&HostBench> {
        self.benches.iter().find(|b| b.name == name)
    }

    /// Host results with these benchmarks and nothing else (tests of the analysis).
    pub fn for_test(benches: Vec<HostBench>) -> HostResults {
        HostResults {
            path: PathBuf::from("host.json"),
            source: "test".into(),
            quick: false,
            benches,
            warnings: vec![],
        }
    }

    /// The host times as a baseline, for the side-by-side table the kernels suite shows
    /// (`report::host::render`); the fingerprint names this host and toolchain.
    pub fn baseline(&self, suite: &str, root: &Path) -> Baseline {
        Baseline {
            baseline_version: BASELINE_VERSION,
            suite: suite.to_string(),
            suite_path: self.path.clone(),
            unit: crate::baseline::HOST_UNIT.to_string(),
            source: self.source.clone(),
            quick: self.quick,
            unix_time: 0,
            fingerprint: Fingerprint {
                kernel_sources: String::new(),
                suite_file: String::new(),
                host: crate::baseline::host_description(),
                toolchain: crate::baseline::toolchain_description(root),
            },
            cases: self
                .benches
                .iter()
                .map(|b| (b.name.clone(), b.estimate.clone()))
                .collect(),
        }
    }
}

/// Read a host result file, and each benchmark's time from the criterion directory it
/// names (a benchmark without one is kept, with a warning: its checksum still counts).
pub fn load(path: &Path, source: &str) -> Result<HostResults, HostError> {
    let text = std::fs::read_to_string(path).map_err(|source| HostError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let format = |message: String| HostError::Format {
        path: path.to_path_buf(),
        message,
    };
    let raw: RawFile = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
    if raw.tinybench_host != HOST_FORMAT {
        return Err(format(format!("format {}", raw.tinybench_host)));
    }
    let mut warnings = Vec::new();
    let benches = raw
        .benches
        .into_iter()
        .map(|b| {
            let estimate = estimate(&raw.criterion_home, &b.name)
                .map_err(|why| warnings.push(format!("no host time for {}: {why}", b.name)))
                .ok();
            HostBench {
                name: b.name,
                checksum: b.checksum,
                macs: b.macs,
                shape: b.shape,
                estimate,
            }
        })
        .collect();
    Ok(HostResults {
        path: path.to_path_buf(),
        source: source.to_string(),
        quick: raw.quick,
        benches,
        warnings,
    })
}

/// Criterion's estimate of benchmark `name`: in `<home>/<name>/`, or, for a name criterion
/// had to change into a directory name (`/`, `:`, `?`, … become `_`; long names are cut),
/// in the directory whose `new/benchmark.json` has that `full_id` (criterion internals,
/// like `estimates.json`: criterion is pinned to 0.7.x).
fn estimate(home: &Path, name: &str) -> Result<HostEstimate, String> {
    let first = match criterion::read_estimates(home, name) {
        Ok(e) => return Ok(e),
        Err(why) => why,
    };
    let full_id = |dir: &Path| -> Option<String> {
        let text = std::fs::read_to_string(dir.join("new/benchmark.json")).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some(v.get("full_id")?.as_str()?.to_string())
    };
    let dirs = std::fs::read_dir(home).map_err(|_| first.clone())?;
    dirs.flatten()
        .map(|d| d.path())
        .find(|d| full_id(d).as_deref() == Some(name))
        .and_then(|d| d.file_name().map(|n| n.to_os_string()))
        .map_or(Err(first), |dir| {
            criterion::read_estimates(home, &dir.to_string_lossy())
        })
}

/// The host's target triple (`rustc -vV`'s `host:` line).
fn host_triple() -> Result<String, HostError> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|source| HostError::Io {
            path: PathBuf::from("rustc"),
            source,
        })?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .ok_or_else(|| HostError::Cargo {
            command: "rustc -vV".into(),
            status: "no `host:` line".into(),
        })
}

/// The cargo target directory the ELF was built into (`<dir>/<triple>/<profile>/<bin>`,
/// recognised by cargo's `CACHEDIR.TAG`), so the host build shares it.
fn elf_target_dir(elf: &Path) -> Option<PathBuf> {
    let dir = elf.parent()?.parent()?.parent()?;
    dir.join("CACHEDIR.TAG")
        .is_file()
        .then(|| dir.to_path_buf())
}

/// Build the ELF's project for the host and run the binary of the ELF's name there
/// (`cargo run --release --target <host> --bin <name>`, in `CARGO_MANIFEST_DIR`, which
/// cargo sets for its runner), then read what it wrote. cargo's and criterion's output go
/// to stderr.
pub fn run(elf: &Path) -> Result<HostResults, HostError> {
    let project = std::env::var_os("CARGO_MANIFEST_DIR").ok_or(HostError::NoProject)?;
    let project = PathBuf::from(project);
    let bin = elf
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let triple = host_triple()?;
    let target_dir = elf_target_dir(elf).unwrap_or_else(|| project.join("target"));
    let home = target_dir.join("tinybench-host").join(&bin);
    let out = home.join("tinybench-host.json");
    // Nothing of an earlier run can be read back as this one's.
    if home.exists() {
        std::fs::remove_dir_all(&home).map_err(|source| HostError::Io {
            path: home.clone(),
            source,
        })?;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = ["run", "--release", "--target", &triple, "--bin", &bin];
    let command = format!("cargo {}` in `{}", args.join(" "), project.display());
    let status = Command::new(cargo)
        .current_dir(&project)
        .args(args)
        .arg("--target-dir")
        .arg(&target_dir)
        .env("CRITERION_HOME", &home)
        .env("TINYBENCH_HOST_OUT", &out)
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| HostError::Cargo {
            command: command.clone(),
            status: e.to_string(),
        })?;
    if !status.success() {
        return Err(HostError::Cargo {
            command,
            status: status.to_string(),
        });
    }
    load(
        &out,
        &format!("cargo {}, criterion estimates.json", args.join(" ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_file_is_read_with_its_criterion_times_and_bad_ones_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let est = dir.path().join("crc/new");
        std::fs::create_dir_all(&est).unwrap();
        std::fs::write(
            est.join("estimates.json"),
            r#"{"mean":{"point_estimate":6050.0,"confidence_interval":{"lower_bound":6000.0,"upper_bound":6100.0,"confidence_level":0.95}}}"#,
        )
        .unwrap();
        let file = dir.path().join("host.json");
        let json = serde_json::json!({
            "tinybench_host": 1, "criterion_home": dir.path(), "quick": true,
            "benches": [
                {"name": "crc", "checksum": 1167264046u32, "macs": 0, "shape": "1 KiB"},
                {"name": "fir", "checksum": 3211103536u32, "macs": 8192, "shape": ""}
            ]
        });
        std::fs::write(&file, json.to_string()).unwrap();
        // A name criterion changed into a directory name: found by its benchmark.json.
        let renamed = dir.path().join("fir_q15/new");
        std::fs::create_dir_all(&renamed).unwrap();
        std::fs::write(renamed.join("benchmark.json"), r#"{"full_id":"fir/q15"}"#).unwrap();
        std::fs::copy(est.join("estimates.json"), renamed.join("estimates.json")).unwrap();
        assert_eq!(estimate(dir.path(), "fir/q15").unwrap().ns, 6050.0);
        let h = load(&file, "test").unwrap();
        assert!(h.quick);
        let crc = h.bench("crc").unwrap();
        assert_eq!(
            (crc.checksum, crc.estimate.as_ref().unwrap().ns),
            (0x4593_092e, 6050.0)
        );
        // No estimates for fir: kept, without a time, and said.
        assert!(h.bench("fir").unwrap().estimate.is_none());
        assert!(
            h.warnings[0].contains("no host time for fir"),
            "{:?}",
            h.warnings
        );
        std::fs::write(
            &file,
            r#"{"tinybench_host": 2, "criterion_home": "/", "benches": []}"#,
        )
        .unwrap();
        let e = load(&file, "test").unwrap_err().to_string();
        assert!(e.contains("host.json") && e.contains("format 2"), "{e}");
        std::fs::write(&file, "{\n \"tinybench_host\": 1,\n \"benches\": 3}").unwrap();
        let e = load(&file, "test").unwrap_err().to_string();
        assert!(e.contains("host.json") && e.contains("line"), "{e}");
    }
}
