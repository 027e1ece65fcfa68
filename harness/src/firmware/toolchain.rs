//! Which Rust toolchain builds the firmware, and what is missing when none can.
//!
//! Two ways are supported: the normal rustup toolchain with the target's prebuilt
//! standard library (`rustup target add`), and a toolchain that ships `rust-src` matching
//! its own rustc (Debian's `rustc-web`/`cargo-web`/`rust-web-src`), which builds `core`
//! from source with `-Zbuild-std=core` for machines where rustup cannot download.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Toolchain preference (`--toolchain` / `TINYBENCH_TOOLCHAIN`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Preference {
    /// rustup if it has the target, else a build-std toolchain.
    #[default]
    Auto,
    /// Only the active rustup toolchain.
    Rustup,
    /// Only a system toolchain with rust-src (Debian's rustc-web), with build-std.
    BuildStd,
}

/// A toolchain able to build for a triple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolchain {
    /// How it builds.
    pub kind: Kind,
    /// `cargo` to run.
    pub cargo: PathBuf,
    /// `rustc` cargo must use.
    pub rustc: PathBuf,
    /// `rustc --version`.
    pub version: String,
}

/// Kind of toolchain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// rustup with the target's std installed.
    Rustup,
    /// system rustc + rust-src, `-Zbuild-std=core` with `RUSTC_BOOTSTRAP=1`.
    BuildStd,
}

impl Toolchain {
    /// Words for reports.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Rustup => format!("rustup ({})", self.version),
            Kind::BuildStd => format!(
                "{} with -Zbuild-std=core ({})",
                self.rustc.display(),
                self.version
            ),
        }
    }

    /// Prepare a cargo command for this toolchain.
    pub fn cargo_command(&self) -> Command {
        let mut cmd = Command::new(&self.cargo);
        // A harness started by `cargo run` inherits cargo's variables; none may leak into
        // the firmware build.
        for var in [
            "RUSTC",
            "RUSTC_WRAPPER",
            "RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_TARGET_DIR",
            "RUSTC_BOOTSTRAP",
            "CARGO_ENCODED_RUSTFLAGS",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("RUSTC", &self.rustc);
        if self.kind == Kind::BuildStd {
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        cmd
    }

    /// Extra cargo arguments.
    pub fn cargo_args(&self) -> Vec<&'static str> {
        match self.kind {
            Kind::Rustup => vec![],
            Kind::BuildStd => vec!["-Zbuild-std=core"],
        }
    }
}

/// What was found when looking for a toolchain.
#[derive(Debug, Clone)]
pub struct Survey {
    /// rustup's rustc and cargo, and its installed targets.
    pub rustup: Option<(PathBuf, PathBuf, String, Vec<String>)>,
    /// A system rustc + cargo with rust-src and rust-lld, or why not.
    pub build_std: Result<(PathBuf, PathBuf, String), String>,
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Look at this machine's toolchains.
pub fn survey() -> Survey {
    let rustup = (|| {
        let rustc = PathBuf::from(output(Command::new("rustup").args(["which", "rustc"]))?);
        let cargo = PathBuf::from(output(Command::new("rustup").args(["which", "cargo"]))?);
        let version = output(Command::new(&rustc).arg("--version"))?;
        let targets = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
        Some((
            rustc,
            cargo,
            version,
            targets.lines().map(str::to_string).collect(),
        ))
    })();
    let build_std = system_build_std();
    Survey { rustup, build_std }
}

/// Candidate system toolchain: Debian's rustc-web installs `/usr/bin/rustc` and
/// `/usr/bin/cargo`; override with `TINYBENCH_SYSTEM_RUSTC` / `TINYBENCH_SYSTEM_CARGO`.
fn system_build_std() -> Result<(PathBuf, PathBuf, String), String> {
    let rustc = std::env::var_os("TINYBENCH_SYSTEM_RUSTC")
        .map_or_else(|| PathBuf::from("/usr/bin/rustc"), PathBuf::from);
    let cargo = std::env::var_os("TINYBENCH_SYSTEM_CARGO")
        .map_or_else(|| PathBuf::from("/usr/bin/cargo"), PathBuf::from);
    let mut missing = Vec::new();
    if !rustc.is_file() {
        missing.push(format!("{} (apt-get install rustc-web)", rustc.display()));
    }
    if !cargo.is_file() {
        missing.push(format!("{} (apt-get install cargo-web)", cargo.display()));
    }
    if !missing.is_empty() {
        return Err(format!("missing {}", missing.join(", ")));
    }
    let version = output(Command::new(&rustc).arg("--version")).ok_or("rustc --version failed")?;
    let sysroot = output(Command::new(&rustc).args(["--print", "sysroot"]))
        .ok_or("rustc --print sysroot failed")?;
    let src = Path::new(&sysroot).join("lib/rustlib/src/rust/library/core");
    if !src.is_dir() {
        missing.push(format!(
            "rust-src at {} (apt-get install rust-web-src)",
            src.display()
        ));
    }
    let lld_ok = Command::new("rust-lld").arg("--version").output().is_ok()
        || Path::new(&sysroot)
            .join("lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld")
            .is_file();
    if !lld_ok {
        missing.push("rust-lld on PATH (apt-get install lld-22 rust-web-llvm)".into());
    }
    if missing.is_empty() {
        Ok((rustc, cargo, version))
    } else {
        Err(format!("missing {}", missing.join(", ")))
    }
}

/// No toolchain can build for the triple; the message says exactly what to do.
#[derive(Debug, thiserror::Error)]
#[error("no toolchain can build firmware for {triple}:\n{fixes}")]
pub struct ToolchainError {
    /// The triple asked for.
    pub triple: String,
    /// One line per way out.
    pub fixes: String,
}

/// Pick a toolchain for `triple`. With `install`, a missing rustup target is installed.
pub fn select(triple: &str, pref: Preference, install: bool) -> Result<Toolchain, ToolchainError> {
    let s = survey();
    let mut fixes = Vec::new();
    if pref != Preference::BuildStd {
        match &s.rustup {
            Some((rustc, cargo, version, targets)) => {
                let mut have = targets.iter().any(|t| t == triple);
                if !have && install {
                    eprintln!(
                        "installing the {triple} standard library: rustup target add {triple}"
                    );
                    have = Command::new("rustup")
                        .args(["target", "add", triple])
                        .status()
                        .is_ok_and(|st| st.success());
                }
                if have {
                    return Ok(Toolchain {
                        kind: Kind::Rustup,
                        cargo: cargo.clone(),
                        rustc: rustc.clone(),
                        version: version.clone(),
                    });
                }
                fixes.push(format!(
                    "  - run `rustup target add {triple}` (or pass --install-targets)"
                ));
            }
            None => fixes.push(
                "  - install rustup (https://rustup.rs), then `rustup target add ".to_string()
                    + triple
                    + "`",
            ),
        }
    }
    if pref != Preference::Rustup {
        match &s.build_std {
            Ok((rustc, cargo, version)) => {
                return Ok(Toolchain {
                    kind: Kind::BuildStd,
                    cargo: cargo.clone(),
                    rustc: rustc.clone(),
                    version: version.clone(),
                })
            }
            Err(why) => fixes.push(format!(
                "  - or use a system toolchain with rust-src (build-std): {why}; \
                 `apt-get install rustc-web cargo-web rust-web-src rust-web-llvm lld-22`"
            )),
        }
    }
    Err(ToolchainError {
        triple: triple.to_string(),
        fixes: fixes.join("\n"),
    })
}
