//! `tinybench new DIR --target T`: a cargo project of benchmarks of your own code, ready
//! for `cargo run --release` (docs/own-code.md): the `tinybench-target` dependency, the
//! target's triple, runner line and linker scripts, its `memory.x`, and one benchmark.

use super::ProjectOpts;
use std::path::{Path, PathBuf};

/// Write a new project of benchmarks of your own code.
///
/// The project depends on `tinybench-target` (the target side every tinybench firmware is
/// built on) by path, builds for the target's triple with its memory map, and runs with
/// tinybench as cargo's runner: `cd DIR && cargo run --release` (`-- --host` to run the
/// same benchmarks on the host under criterion too).
#[derive(Debug, clap::Args)]
pub struct NewCmd {
    /// Directory to create; its last component names the package.
    pub dir: PathBuf,
    /// Target the project builds for and runs on (see `tinybench list targets`).
    #[arg(long, default_value = crate::run::DEFAULT_TARGET)]
    pub target: String,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl NewCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project()?;
        let target = project.target(&self.target)?;
        let name = package_name(&self.dir)?;
        if self.dir.exists() {
            anyhow::bail!(
                "{} exists already: `tinybench new` only creates a new directory",
                self.dir.display()
            );
        }
        let bench = project.root.join("targets").join("bench");
        let files = files(&name, &target, &bench);
        for (path, text) in &files {
            let p = self.dir.join(path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| anyhow::anyhow!("creating {}: {e}", parent.display()))?;
            }
            std::fs::write(&p, text)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", p.display()))?;
        }
        crate::outln!(
            "created {} for {}: cd {} && cargo run --release",
            self.dir.display(),
            target.name,
            self.dir.display()
        );
        Ok(crate::exit::OK)
    }
}

/// The package name: the directory's last component, if cargo accepts it.
fn package_name(dir: &Path) -> anyhow::Result<String> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        anyhow::bail!(
            "{}: the directory's name is the package name, and `{name}` is not one cargo accepts \
             (a letter, then letters, digits, - or _)",
            dir.display()
        );
    }
    Ok(name)
}

/// Every file of the new project, relative to its directory.
fn files(
    name: &str,
    t: &crate::config::target::Target,
    bench: &Path,
) -> Vec<(&'static str, String)> {
    let riscv = t.core.is_riscv();
    let rustflags = if riscv {
        r#"["-C", "link-arg=-Tlink.x", "-C", "link-arg=-Tdefmt.x"]"#
    } else {
        r#"["-C", "link-arg=--nmagic", "-C", "link-arg=-Tlink.x", "-C", "link-arg=-Tdefmt.x"]"#
    };
    let cargo = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\ntinybench-target = {{ path = {bench:?} }}\ndefmt = \"1.0\"\n\n\
         [[bin]]\nname = \"{name}\"\ntest = false\nbench = false\n\n\
         # As tinybench's own firmware: optimized counts; debug info (host only) names faults.\n\
         [profile.release]\nopt-level = 3\nlto = \"fat\"\ncodegen-units = 1\ndebug = 2\npanic = \"abort\"\n\n\
         [profile.dev]\npanic = \"abort\"\nopt-level = 1\n",
        bench = bench.display().to_string()
    );
    let config = format!(
        "# Written by `tinybench new` for target {tn}: `cargo run --release` builds for it and\n\
         # runs the ELF with tinybench (on PATH).\n[build]\ntarget = \"{triple}\"\n\n\
         [target.{triple}]\nrunner = \"tinybench run --target {tn} --elf\"\nrustflags = {rustflags}\n\n\
         # defmt compiles out every log level below this.\n[env]\nDEFMT_LOG = \"info\"\n",
        tn = t.name,
        triple = t.triple
    );
    let build = "//! The linker finds memory.x (written by `tinybench new` from the target file) here.\n\
                 fn main() {\n    println!(\"cargo:rustc-link-search={}\", env!(\"CARGO_MANIFEST_DIR\"));\n    \
                 println!(\"cargo:rerun-if-changed=memory.x\");\n}\n";
    vec![
        ("Cargo.toml", cargo),
        (".cargo/config.toml", config),
        ("build.rs", build.to_string()),
        ("memory.x", t.memory_x()),
        ("src/main.rs", MAIN.to_string()),
        (".gitignore", "/target\n/tinybench-results\n".to_string()),
    ]
}

/// The one benchmark a new project starts with.
const MAIN: &str = r#"//! Benchmarks of your own code (docs/own-code.md in the tinybench repository).
//! `cargo run --release` runs them on the target; `cargo run --release -- --host` also
//! builds this file for the host and runs the same benchmarks there under criterion
//! (host ns beside the counts, and the device's checksums checked against the host's).
#![cfg_attr(target_os = "none", no_std, no_main)]

use tinybench_target::Bench;

/// The code to measure: a dot product of two i16 vectors, 32-bit accumulation.
fn dot(v: &mut ([i16; 256], [i16; 256])) -> i32 {
    v.0.iter().zip(v.1.iter()).map(|(a, b)| *a as i32 * *b as i32).sum()
}

/// Its input, made once and untimed.
fn setup() -> ([i16; 256], [i16; 256]) {
    let mut v = ([0i16; 256], [0i16; 256]);
    for i in 0..256 {
        v.0[i] = (i as i16).wrapping_mul(97);
        v.1[i] = 300 - i as i16;
    }
    v
}

// Pin the checksum once you trust the output: `.expect(0x…)` (tinybench prints it).
tinybench_target::main! {
    Bench::new("dot_i16_256", setup, dot).reps(5).macs(256).shape("256"),
}
"#;
