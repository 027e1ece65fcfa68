//! Running cargo for the firmware, with a cache keyed by everything that goes into it.

use super::gen::Payload;
use super::toolchain::Toolchain;
use crate::config::target::Target;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// RAM the firmware needs besides the case buffers: stack, the 1 KiB RTT ring of defmt
/// (plus 256 bytes for the power channel in power builds) and statics, with headroom (the
/// smoke firmware's static RAM is under 3 KiB).
const RAM_RESERVE: u64 = 8 * 1024;

/// Flash the firmware's code takes besides a model's constants: the measured model
/// firmware is 20–40 KiB of code (kernels, defmt, runtime); checked again by the linker.
pub const FLASH_RESERVE: u64 = 32 * 1024;

/// RAM a model firmware keeps for stack, RTT and statics: everything else is its pool
/// (layer table, tensor arena, scratch), the same size for every model it runs.
pub const MODEL_RAM_RESERVE: u64 = 16 * 1024;

/// Smallest image region a model firmware reserves: regions are powers of two from here
/// (capped by the flash), so the small models share one build per target and variant.
const MIN_IMAGE_REGION: u64 = 64 * 1024;

/// Flash a model firmware's code takes besides its image region: the kernels of both
/// variants' fallbacks, the image decoding, defmt and the runtime (76–85 KiB of `.text`
/// measured on thumbv7em, thumbv6m and riscv32imac, 2026-12-06), with headroom. Checked
/// again by the linker.
pub const MODEL_FLASH_RESERVE: u64 = 128 * 1024;

/// The image region for an image of `len` bytes on `t`: the next power of two, at least
/// [`MIN_IMAGE_REGION`], at most the flash the code leaves.
fn image_region(t: &Target, len: u64) -> u64 {
    let cap = t.flash.size.saturating_sub(MODEL_FLASH_RESERVE);
    len.max(MIN_IMAGE_REGION).next_power_of_two().min(cap)
}

/// The model firmware's `image.rs`: its image region, pool and kernel variant.
fn image_rs(t: &Target, image: &super::gen::ModelImage) -> String {
    format!(
        "pub const IMAGE_BYTES: usize = {};\npub const POOL_BYTES: usize = {};\n\
         pub const VARIANT: tinybench_kernels::case::Variant = tinybench_kernels::case::Variant::{:?};\n",
        image_region(t, image.bytes.len() as u64),
        t.ram.size.saturating_sub(MODEL_RAM_RESERVE),
        image.variant
    )
}

/// What to build.
pub struct BuildRequest<'a> {
    /// Project root (holds `targets/firmware` and `kernels`).
    pub project: &'a Path,
    /// Where builds go: generated sources, cargo target directories, cached ELFs.
    pub build_dir: &'a Path,
    /// Target to build for.
    pub target: &'a Target,
    /// What the firmware runs (a suite or a model), generated.
    pub payload: &'a Payload,
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
    /// Hash of the compiled-in suite or model.
    pub suite_hash: u32,
    /// Served from the cache (no cargo run).
    pub cached: bool,
    /// Time spent.
    pub elapsed: Duration,
}

/// Why the firmware did not build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The payload cannot fit the target's memory; said before anything is built.
    #[error("{what} needs {needed} bytes of {region} ({detail}) but {target} has {available}")]
    DoesNotFit {
        /// Suite or model.
        what: String,
        /// Target name.
        target: String,
        /// `RAM` or `flash`.
        region: &'static str,
        /// Bytes needed in all.
        needed: u64,
        /// What they are.
        detail: String,
        /// Region size.
        available: u64,
    },
    /// The linker could not place the firmware in the target's memory.
    #[error("{what} does not fit {target}: the linker says {region} overflowed by {overflow} bytes ({region} is {available} bytes)")]
    LinkOverflow {
        /// Suite or model.
        what: String,
        /// Target name.
        target: String,
        /// Memory region (`FLASH`, `RAM`).
        region: String,
        /// Bytes over.
        overflow: u64,
        /// Region size.
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

/// Write `bytes` to `path` only if they differ, so cargo's freshness checks stay valid.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes).map_err(io("writing", path))
}

/// `region `FLASH' overflowed by N bytes` (lld: `section '.text' will not fit in region
/// 'FLASH': overflowed by N bytes`) → region and N.
fn link_overflow(stderr: &str) -> Option<(String, u64)> {
    let line = stderr.lines().find(|l| l.contains("overflowed by"))?;
    let after_region = line.split("region").nth(1)?;
    let region: String = after_region
        .trim_start_matches([' ', '`', '\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let n = line
        .split("overflowed by")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((region, n))
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

/// Refuse a payload that cannot fit the target's RAM or flash, with the numbers, before
/// anything is built or flashed. The linker checks again, exactly.
pub fn check_fit(t: &Target, p: &Payload) -> Result<(), BuildError> {
    let reserve = if p.image.is_some() {
        MODEL_RAM_RESERVE
    } else {
        RAM_RESERVE
    };
    let ram = p.ram_bytes + reserve;
    if ram > t.ram.size {
        return Err(BuildError::DoesNotFit {
            what: p.what.clone(),
            target: t.name.clone(),
            region: "RAM",
            needed: ram,
            detail: format!(
                "{} for {} + {reserve} reserved for stack and RTT",
                p.ram_bytes, p.ram_what
            ),
            available: t.ram.size,
        });
    }
    let code = if p.image.is_some() {
        MODEL_FLASH_RESERVE
    } else {
        FLASH_RESERVE
    };
    if p.flash_bytes + code > t.flash.size {
        return Err(BuildError::DoesNotFit {
            what: p.what.clone(),
            target: t.name.clone(),
            region: "flash",
            needed: p.flash_bytes + code,
            detail: format!(
                "{} of weights and inputs + {code} reserved for code",
                p.flash_bytes
            ),
            available: t.flash.size,
        });
    }
    Ok(())
}

/// Build (or fetch from the cache) the firmware for a target and payload.
pub fn build(req: &BuildRequest<'_>, on_status: &dyn Fn(&str)) -> Result<Built, BuildError> {
    let start = Instant::now();
    let (t, p) = (req.target, req.payload);
    check_fit(t, p)?;
    let memory_x = t.memory_x();
    let work = req.build_dir.join(&t.name);
    // PPK2 marker pin registers (feature power-marker), when the target file has them.
    let marker_rs = t
        .power
        .as_ref()
        .and_then(|p| p.ppk2.as_ref()?.marker.as_ref())
        .map(|m| m.rust())
        .unwrap_or_default();
    // The power monitor's I2C pins (the board's bus glue, feature i2c-<board>), when the
    // target file has them.
    let i2c_rs = t
        .power
        .as_ref()
        .and_then(|p| p.monitor_bus.as_ref())
        .map(|b| b.rust())
        .unwrap_or_default();

    let fw = req.project.join("targets").join("firmware");
    // A model build compiles no model in: its image.rs (sizes, variant) is all it
    // generates, so every model of a size class shares one firmware.
    let mut files = p.files.clone();
    if let Some(image) = &p.image {
        files.push(("image.rs", image_rs(t, image).into_bytes()));
    }
    let build_name = if p.image.is_some() { "model" } else { &p.name };
    let mut h = Sha256::new();
    for (name, bytes) in &files {
        h.update(name.as_bytes());
        h.update(bytes);
        h.update([0]);
    }
    for part in [
        memory_x.as_str(),
        marker_rs.as_str(),
        i2c_rs.as_str(),
        t.triple.as_str(),
        req.toolchain.version.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(format!("{:?}", req.toolchain.kind));
    let mut features = req.features.to_vec();
    features.extend(p.features.iter().cloned());
    features.sort();
    features.dedup();
    h.update(features.join(",").as_bytes());
    hash_tree(&mut h, &fw)?;
    // The target-side crate the firmware is built on (counters, timed region, frames).
    hash_tree(&mut h, &req.project.join("targets").join("bench"))?;
    hash_tree(&mut h, &req.project.join("kernels").join("src"))?;
    let key: String = h
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let cached = work.join(format!("{build_name}-{key}.elf"));
    if cached.is_file() {
        match super::cache::verify(&cached) {
            Ok(()) => {
                let elf = with_image(&cached, p, &key)?;
                return Ok(Built {
                    elf,
                    suite_hash: p.hash,
                    cached: true,
                    elapsed: start.elapsed(),
                });
            }
            Err(why) => {
                eprintln!(
                    "warning: cached firmware {} is not usable ({why}): rebuilding it",
                    cached.display()
                );
                super::cache::evict(&cached);
            }
        }
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
    let target_dir = req.build_dir.join("cargo").join(dir_name);
    std::fs::create_dir_all(&target_dir).map_err(io("creating", &target_dir))?;
    let lock_path = target_dir.join(".tinybench-build.lock");
    let lock = std::fs::File::create(&lock_path).map_err(io("creating", &lock_path))?;
    lock.lock().map_err(io("locking", &lock_path))?;
    // The generated sources, under the lock and in a directory of their own content: two
    // builds of one payload name with different contents (two tests, two processes) once
    // shared `gen-<name>/`, and one firmware was cached under the other's key.
    let gen_dir = work.join(format!("gen-{build_name}-{key}"));
    std::fs::create_dir_all(&gen_dir).map_err(io("creating", &gen_dir))?;
    for (name, bytes) in &files {
        write_if_changed(&gen_dir.join(name), bytes)?;
    }
    write_if_changed(&gen_dir.join("memory.x"), memory_x.as_bytes())?;
    write_if_changed(&gen_dir.join("marker.rs"), marker_rs.as_bytes())?;
    write_if_changed(&gen_dir.join("i2c.rs"), i2c_rs.as_bytes())?;
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
        if let Some((region, overflow)) = link_overflow(&stderr) {
            let available = if region.eq_ignore_ascii_case("ram") {
                t.ram.size
            } else {
                t.flash.size
            };
            return Err(BuildError::LinkOverflow {
                what: p.what.clone(),
                target: t.name.clone(),
                region,
                overflow,
                available,
            });
        }
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
    super::cache::seal(&cached).map_err(io("sealing", &cached))?;
    drop(lock);
    let head = std::fs::read(&cached).map_err(io("reading", &cached))?;
    if let Some(why) = super::cache::not_elf32(&head) {
        super::cache::evict(&cached);
        return Err(BuildError::Io {
            what: "checking",
            path: cached,
            source: std::io::Error::other(format!("{why}: not a 32-bit ELF firmware")),
        });
    }
    let elf = with_image(&cached, p, &key)?;
    Ok(Built {
        elf,
        suite_hash: p.hash,
        cached: false,
        elapsed: start.elapsed(),
    })
}

/// The ELF to run: `built` itself for a suite; for a model, `built` with the model's
/// image written in, cached beside it under the image's hash.
fn with_image(built: &Path, p: &Payload, key: &str) -> Result<PathBuf, BuildError> {
    let Some(image) = &p.image else {
        return Ok(built.to_path_buf());
    };
    let out = built.with_file_name(format!("{}-{:08x}-{key}.elf", p.name, p.hash));
    if out.is_file() && super::cache::verify(&out).is_ok() {
        return Ok(out);
    }
    let bytes = std::fs::read(built).map_err(io("reading", built))?;
    let patched =
        super::patch::write_image(&bytes, &image.bytes, p.hash).map_err(|e| BuildError::Io {
            what: "writing the model image into",
            path: built.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
    let tmp = out.with_extension("elf.tmp");
    std::fs::write(&tmp, &patched).map_err(io("writing", &tmp))?;
    std::fs::rename(&tmp, &out).map_err(io("renaming", &tmp))?;
    super::cache::seal(&out).map_err(io("sealing", &out))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::link_overflow;

    #[test]
    fn linker_overflow_messages_give_region_and_bytes() {
        let lld = "rust-lld: error: section '.rodata' will not fit in region 'FLASH': overflowed by 123456 bytes";
        assert_eq!(link_overflow(lld), Some(("FLASH".into(), 123456)));
        let bfd = "ld: region `RAM' overflowed by 42 bytes";
        assert_eq!(link_overflow(bfd), Some(("RAM".into(), 42)));
        assert_eq!(link_overflow("error: something else"), None);
    }
}
