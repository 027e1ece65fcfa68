//! Running cargo for the firmware, with a cache keyed by everything that goes into it.

use super::gen;
use super::toolchain::Toolchain;
use crate::config::suite::Suite;
use crate::config::target::Target;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// RAM the firmware needs besides the case buffers: stack, defmt-rtt's 1 KiB ring and
/// statics, with headroom (the smoke firmware's static RAM is under 3 KiB).
const RAM_RESERVE: u64 = 8 * 1024;

/// What to build.
pub struct BuildRequest<'a> {
    /// Project root (holds `targets/firmware` and `kernels`).
    pub project: &'a Path,
    /// Target to build for.
    pub target: &'a Target,
    /// Suite to compile in.
    pub suite: &'a Suite,
    /// Extra firmware cargo features (self-tests).
    pub features: &'a [String],
    /// Toolchain to use.
    pub toolchain: &'a Toolchain,
}

/// A built firmware.
#[derive(Debug, Clone)]
pub struct Built {
    /// The ELF.
    pub elf: PathBuf,
    /// Hash of the compiled-in suite.
    pub suite_hash: u32,
    /// Served from the cache (no cargo run).
    pub cached: bool,
    /// Time spent.
    pub elapsed: Duration,
}

/// Why the firmware did not build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The suite's buffers cannot fit the target's RAM.
    #[error("suite `{suite}` needs {needed} bytes of RAM ({buffers} for case buffers + {RAM_RESERVE} reserved for stack and RTT) but {target} has {available}")]
    RamTooSmall {
        /// Suite name.
        suite: String,
        /// Target name.
        target: String,
        /// Bytes needed in all.
        needed: u64,
        /// Bytes for buffers.
        buffers: u64,
        /// RAM size.
        available: u64,
    },
    /// File system trouble.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// cargo failed.
    #[error("cargo build of the firmware for {triple} failed ({status}):\n{stderr}")]
    Cargo {
        /// Triple.
        triple: String,
        /// Exit status.
        status: String,
        /// The end of cargo's error output.
        stderr: String,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BuildError {
    let path = path.to_path_buf();
    move |source| BuildError::Io { what, path, source }
}

/// Write `text` to `path` only if it differs, so cargo's freshness checks stay valid.
fn write_if_changed(path: &Path, text: &str) -> Result<(), BuildError> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(io("writing", path))
}

/// Hash every file under `dir` (sorted, skipping `target/`) into `h`.
fn hash_tree(h: &mut Sha256, dir: &Path) -> Result<(), BuildError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io("reading", dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name == "target" || name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            hash_tree(h, &p)?;
        } else {
            h.update(p.to_string_lossy().as_bytes());
            h.update(std::fs::read(&p).map_err(io("reading", &p))?);
        }
    }
    Ok(())
}

/// Build (or fetch from the cache) the firmware for a target and suite.
pub fn build(req: &BuildRequest<'_>, on_status: &dyn Fn(&str)) -> Result<Built, BuildError> {
    let start = Instant::now();
    let (t, s) = (req.target, req.suite);
    let buffers = s.buffers().bytes() as u64;
    if buffers + RAM_RESERVE > t.ram.size {
        return Err(BuildError::RamTooSmall {
            suite: s.name.clone(),
            target: t.name.clone(),
            needed: buffers + RAM_RESERVE,
            buffers,
            available: t.ram.size,
        });
    }
    let (suite_rs, suite_hash) = gen::suite_rs(s);
    let memory_x = t.memory_x();
    let work = req.project.join("target").join("tinybench").join(&t.name);
    let gen_dir = work.join(format!("gen-{}", s.name));
    std::fs::create_dir_all(&gen_dir).map_err(io("creating", &gen_dir))?;
    write_if_changed(&gen_dir.join("suite.rs"), &suite_rs)?;
    write_if_changed(&gen_dir.join("memory.x"), &memory_x)?;
    // PPK2 marker pin registers (feature power-marker), when the target file has them.
    let marker_rs = t
        .power
        .as_ref()
        .and_then(|p| p.ppk2.as_ref()?.marker.as_ref())
        .map(|m| m.rust())
        .unwrap_or_default();
    write_if_changed(&gen_dir.join("marker.rs"), &marker_rs)?;

    let fw = req.project.join("targets").join("firmware");
    let mut h = Sha256::new();
    for part in [
        suite_rs.as_str(),
        memory_x.as_str(),
        marker_rs.as_str(),
        t.triple.as_str(),
        req.toolchain.version.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(format!("{:?}", req.toolchain.kind));
    let mut features = req.features.to_vec();
    features.sort();
    h.update(features.join(",").as_bytes());
    hash_tree(&mut h, &fw)?;
    hash_tree(&mut h, &req.project.join("kernels").join("src"))?;
    let key: String = h
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let cached = work.join(format!("{}-{key}.elf", s.name));
    if cached.is_file() {
        return Ok(Built {
            elf: cached,
            suite_hash,
            cached: true,
            elapsed: start.elapsed(),
        });
    }

    on_status(&format!(
        "building firmware for {} with {}",
        t.triple,
        req.toolchain.describe()
    ));
    // One cargo target dir per triple and feature set, shared by the targets that use
    // it, so dependencies compile once per triple. A lock held from cargo's start to the
    // copy below keeps a parallel build (another target, same triple) from replacing the
    // ELF in between.
    let dir_name = if features.is_empty() {
        t.triple.clone()
    } else {
        format!("{}-{}", t.triple, features.join("+"))
    };
    let target_dir = req
        .project
        .join("target")
        .join("tinybench")
        .join("cargo")
        .join(dir_name);
    std::fs::create_dir_all(&target_dir).map_err(io("creating", &target_dir))?;
    let lock_path = target_dir.join(".tinybench-build.lock");
    let lock = std::fs::File::create(&lock_path).map_err(io("creating", &lock_path))?;
    lock.lock().map_err(io("locking", &lock_path))?;
    let mut cmd = req.toolchain.cargo_command();
    cmd.current_dir(&fw)
        .args(["build", "--release", "--target", &t.triple, "--target-dir"])
        .arg(&target_dir)
        .args(req.toolchain.cargo_args())
        .env("TINYBENCH_GEN_DIR", &gen_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let out = cmd.output().map_err(io("running cargo in", &fw))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        return Err(BuildError::Cargo {
            triple: t.triple.clone(),
            status: out.status.to_string(),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    let elf = target_dir
        .join(&t.triple)
        .join("release")
        .join("tinybench-firmware");
    // Copy under a temporary name, then rename: an interrupted copy never looks cached.
    let tmp = cached.with_extension("elf.tmp");
    std::fs::copy(&elf, &tmp).map_err(io("copying", &elf))?;
    std::fs::rename(&tmp, &cached).map_err(io("renaming", &tmp))?;
    drop(lock);
    Ok(Built {
        elf: cached,
        suite_hash,
        cached: false,
        elapsed: start.elapsed(),
    })
}
