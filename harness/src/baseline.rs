//! Host baselines: criterion's timing of every suite case on this machine ("ns, host
//! wall-clock (criterion)"), stored as a small versioned JSON file with a fingerprint of
//! what produced it — the kernel sources, the suite file, the host and the toolchain — so
//! a baseline that no longer describes the code is reported stale, never silently used.
//!
//! The file lives at `<cargo target dir>/tinybench/baselines/<suite>.json`.

pub mod criterion;

use crate::config::suite::Suite;
use crate::project::Project;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Version of the baseline files this module writes.
pub const BASELINE_VERSION: u32 = 1;

/// The unit of every host number.
pub const HOST_UNIT: &str = "ns, host wall-clock (criterion)";

/// One case's host time per call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostEstimate {
    /// Point estimate, ns per call.
    pub ns: f64,
    /// Lower bound of the confidence interval, ns.
    pub lower_ns: Option<f64>,
    /// Upper bound of the confidence interval, ns.
    pub upper_ns: Option<f64>,
    /// Confidence level of the interval (criterion's default is 0.95).
    pub confidence_level: Option<f64>,
    /// Which criterion statistic this is: `slope`, `mean`, `median` or `typical`.
    pub statistic: String,
}

/// What a baseline was made from. Two fingerprints are equal exactly when the baseline
/// still describes the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// SHA-256 over `kernels/Cargo.toml`, `kernels/build.rs`, `kernels/src/**` and
    /// `kernels/benches/**` (paths and contents, in path order).
    pub kernel_sources: String,
    /// SHA-256 of the suite file.
    pub suite_file: String,
    /// Host name, architecture and CPU model.
    pub host: String,
    /// `rustc -vV` of the toolchain cargo bench uses.
    pub toolchain: String,
}

impl Fingerprint {
    /// What differs between a stored fingerprint (`self`) and the current one, in words.
    pub fn differences(&self, now: &Fingerprint) -> Vec<&'static str> {
        let mut d = Vec::new();
        if self.kernel_sources != now.kernel_sources {
            d.push("kernel sources changed");
        }
        if self.suite_file != now.suite_file {
            d.push("suite file changed");
        }
        if self.host != now.host {
            d.push("made on another host");
        }
        if self.toolchain != now.toolchain {
            d.push("toolchain changed");
        }
        d
    }
}

/// A stored baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Always [`BASELINE_VERSION`] when written by this tinybench.
    pub baseline_version: u32,
    /// Suite name.
    pub suite: String,
    /// The suite file, relative to the project root when inside it.
    pub suite_path: PathBuf,
    /// Unit of every number ([`HOST_UNIT`]).
    pub unit: String,
    /// `cargo-criterion --message-format=json` or `criterion estimates.json`.
    pub source: String,
    /// True when criterion ran with the shortest settings (`--quick`): rough numbers.
    pub quick: bool,
    /// Seconds since the Unix epoch when it was made.
    pub unix_time: u64,
    /// What it was made from.
    pub fingerprint: Fingerprint,
    /// One entry per suite case, in suite order (`None`: criterion gave no number).
    pub cases: Vec<(String, Option<HostEstimate>)>,
}

impl Baseline {
    /// The estimate of case `name`.
    pub fn case(&self, name: &str) -> Option<&HostEstimate> {
        self.cases
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, e)| e.as_ref())
    }
}

/// Whether a usable baseline exists.
#[derive(Debug)]
pub enum Lookup {
    /// Made from the current sources, suite, host and toolchain.
    Fresh(Box<Baseline>),
    /// Exists, but something it was made from changed; the reasons in words.
    Stale(Box<Baseline>, Vec<&'static str>),
    /// No baseline file for this suite.
    Missing(PathBuf),
}

/// Why a baseline could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A baseline file is not valid JSON of this version.
    #[error("{path}: not a tinybench baseline of version {BASELINE_VERSION}: {message} (re-run `tinybench baseline --force`)")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `cargo bench` (or `cargo criterion`) failed.
    #[error("`{command}` failed ({status}); its output is above")]
    Bench {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BaselineError + '_ {
    move |source| BaselineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The cargo target directory (`CARGO_TARGET_DIR`, else `<root>/target`).
pub fn target_dir(project: &Project) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => project.root.join(d),
        None => project.root.join("target"),
    }
}

/// Where the baseline of suite `name` is stored.
pub fn path_for(project: &Project, suite: &str) -> PathBuf {
    target_dir(project)
        .join("tinybench/baselines")
        .join(format!("{suite}.json"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Hash of the kernel crate's sources and its bench.
pub fn kernel_sources_hash(root: &Path) -> Result<String, BaselineError> {
    let k = root.join("kernels");
    let mut files = vec![k.join("Cargo.toml"), k.join("build.rs")];
    collect_files(&k.join("src"), &mut files);
    collect_files(&k.join("benches"), &mut files);
    files.retain(|p| p.is_file());
    files.sort();
    let mut h = Sha256::new();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f);
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        let bytes = std::fs::read(f).map_err(io(f))?;
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Host name, architecture and CPU model (from `/proc/cpuinfo` where there is one).
pub fn host_description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{} · {} · {cpu}",
        gethostname::gethostname().to_string_lossy(),
        std::env::consts::ARCH
    )
}

/// `rustc -vV` of the compiler cargo uses (`RUSTC`, else `rustc`).
pub fn toolchain_description(root: &Path) -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .arg("-vV")
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown rustc".into())
}

/// The fingerprint of the current sources, `suite_file`, host and toolchain.
pub fn fingerprint(root: &Path, suite_file: &Path) -> Result<Fingerprint, BaselineError> {
    let suite = std::fs::read(suite_file).map_err(io(suite_file))?;
    Ok(Fingerprint {
        kernel_sources: kernel_sources_hash(root)?,
        suite_file: sha256_hex(&suite),
        host: host_description(),
        toolchain: toolchain_description(root),
    })
}

/// Read a baseline file.
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let b: Baseline = serde_json::from_str(&text).map_err(|e| BaselineError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if b.baseline_version != BASELINE_VERSION {
        return Err(BaselineError::Corrupt {
            path: path.to_path_buf(),
            message: format!("version {}", b.baseline_version),
        });
    }
    Ok(b)
}

/// Write a baseline file atomically (temporary file, then rename).
pub fn save(path: &Path, b: &Baseline) -> Result<(), BaselineError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_string_pretty(b).expect("a baseline serializes");
    std::fs::write(&tmp, json).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// The stored baseline of suite `suite`, checked against the current fingerprint.
pub fn lookup(project: &Project, suite: &str) -> Result<Lookup, BaselineError> {
    lookup_at(&project.root, &path_for(project, suite))
}

/// The baseline stored at `path`, checked against the current fingerprint of the project
/// at `root`.
pub fn lookup_at(root: &Path, path: &Path) -> Result<Lookup, BaselineError> {
    if !path.is_file() {
        return Ok(Lookup::Missing(path.to_path_buf()));
    }
    let b = load(path)?;
    let suite_file = root.join(&b.suite_path);
    let now = match fingerprint(root, &suite_file) {
        Ok(f) => f,
        Err(_) => return Ok(Lookup::Stale(Box::new(b), vec!["suite file is gone"])),
    };
    let diff = b.fingerprint.differences(&now);
    Ok(if diff.is_empty() {
        Lookup::Fresh(Box::new(b))
    } else {
        Lookup::Stale(Box::new(b), diff)
    })
}

/// Whether `cargo-criterion` is installed.
pub fn has_cargo_criterion() -> bool {
    Command::new("cargo-criterion")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Run the host benches of `suite` (its file at `suite_file`) and collect one estimate
/// per case. Criterion's progress goes to stderr.
pub fn measure(
    project: &Project,
    suite: &Suite,
    suite_file: &Path,
    quick: bool,
    use_cargo_criterion: bool,
) -> Result<Baseline, BaselineError> {
    let fp = fingerprint(&project.root, suite_file)?;
    let abs_suite = std::fs::canonicalize(suite_file).map_err(io(suite_file))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&project.root)
        .env("TINYBENCH_BENCH_SUITE", &abs_suite)
        .env("TINYBENCH_BENCH_QUICK", if quick { "1" } else { "0" });
    let mut found: Vec<(String, HostEstimate)> = Vec::new();
    let source;
    if use_cargo_criterion {
        source = "cargo-criterion --message-format=json";
        cmd.args([
            "criterion",
            "-p",
            "tinybench-kernels",
            "--bench",
            "ops",
            "--message-format=json",
        ])
        .stdout(Stdio::piped());
        let out = cmd.output().map_err(io(Path::new("cargo criterion")))?;
        check(
            &out.status,
            "cargo criterion -p tinybench-kernels --bench ops",
        )?;
        let text = String::from_utf8_lossy(&out.stdout);
        found.extend(text.lines().filter_map(criterion::parse_message));
    } else {
        source = "criterion estimates.json";
        // A directory of its own per suite, emptied first: no number of an earlier run or
        // another suite can be read back as this one's.
        let home = target_dir(project)
            .join("tinybench/criterion")
            .join(&suite.name);
        if home.exists() {
            std::fs::remove_dir_all(&home).map_err(io(&home))?;
        }
        cmd.env("CRITERION_HOME", &home)
            .args(["bench", "-p", "tinybench-kernels", "--bench", "ops"])
            .stdout(Stdio::from(std::io::stderr()));
        let status = cmd.status().map_err(io(Path::new("cargo bench")))?;
        check(&status, "cargo bench -p tinybench-kernels --bench ops")?;
        for c in &suite.cases {
            match criterion::read_estimates(&home, &c.name) {
                Ok(e) => found.push((c.name.clone(), e)),
                Err(why) => eprintln!("warning: no host number for {}: {why}", c.name),
            }
        }
    }
    let cases = suite
        .cases
        .iter()
        .map(|c| {
            let e = found
                .iter()
                .find(|(n, _)| *n == c.name)
                .map(|(_, e)| e.clone());
            (c.name.clone(), e)
        })
        .collect();
    Ok(Baseline {
        baseline_version: BASELINE_VERSION,
        suite: suite.name.clone(),
        suite_path: suite_file
            .strip_prefix(&project.root)
            .unwrap_or(&abs_suite)
            .to_path_buf(),
        unit: HOST_UNIT.to_string(),
        source: source.to_string(),
        quick,
        unix_time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        fingerprint: fp,
        cases,
    })
}

fn check(status: &std::process::ExitStatus, command: &str) -> Result<(), BaselineError> {
    if status.success() {
        Ok(())
    } else {
        Err(BaselineError::Bench {
            command: command.to_string(),
            status: status.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, Project) {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("kernels/src")).unwrap();
        std::fs::create_dir_all(d.path().join("suites")).unwrap();
        std::fs::write(d.path().join("kernels/Cargo.toml"), "[package]").unwrap();
        std::fs::write(d.path().join("kernels/src/lib.rs"), "pub fn k() {}").unwrap();
        std::fs::write(d.path().join("suites/s.toml"), "name = \"s\"").unwrap();
        let p = Project::at(d.path());
        (d, p)
    }

    fn stored(p: &Project) -> Baseline {
        Baseline {
            baseline_version: BASELINE_VERSION,
            suite: "s".into(),
            suite_path: "suites/s.toml".into(),
            unit: HOST_UNIT.into(),
            source: "test".into(),
            quick: true,
            unix_time: 0,
            fingerprint: fingerprint(&p.root, &p.root.join("suites/s.toml")).unwrap(),
            cases: vec![("c".into(), None)],
        }
    }

    #[test]
    fn a_changed_input_makes_the_baseline_stale() {
        let (_d, p) = project();
        let at = p.root.join("baselines/s.json");
        let lookup = |_: &Project, _: &str| lookup_at(&p.root, &at);
        assert!(matches!(lookup(&p, "s").unwrap(), Lookup::Missing(_)));
        save(&at, &stored(&p)).unwrap();
        assert!(matches!(lookup(&p, "s").unwrap(), Lookup::Fresh(_)));

        // A kernel source changes: stale, and says why.
        std::fs::write(p.root.join("kernels/src/lib.rs"), "pub fn k() { }").unwrap();
        match lookup(&p, "s").unwrap() {
            Lookup::Stale(_, why) => assert_eq!(why, ["kernel sources changed"]),
            other => panic!("{other:?}"),
        }
        // A new source file counts too; so does the suite file.
        save(&at, &stored(&p)).unwrap();
        std::fs::write(p.root.join("kernels/src/extra.rs"), "").unwrap();
        std::fs::write(p.root.join("suites/s.toml"), "name = \"s\"\n").unwrap();
        match lookup(&p, "s").unwrap() {
            Lookup::Stale(_, why) => {
                assert_eq!(why, ["kernel sources changed", "suite file changed"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_corrupt_baseline_is_an_error_naming_the_file() {
        let (_d, p) = project();
        let path = p.root.join("b.json");
        std::fs::write(&path, "{\"baseline_version\": 1}").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("b.json") && e.contains("--force"), "{e}");
    }
}
