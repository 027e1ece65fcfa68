//! Gathers the project files an installed tinybench needs — the firmware crate, the kernel
//! crate it depends on by path, board definitions, suites and their datasets, and the
//! workspace manifest the kernels inherit their package fields from — into
//! `$OUT_DIR/project`, which `include_dir!` embeds (src/project/embedded.rs).
//!
//! Copied rather than embedded in place so that build output (`target/`), editor files and
//! anything larger than a source file never end up in the binary.
use std::fs;
use std::path::Path;

/// Files larger than this are not project sources (a stray model or log): skipped, with a
/// build warning.
const MAX_FILE: u64 = 1024 * 1024;

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    let mut entries: Vec<_> = fs::read_dir(from)
        .unwrap_or_else(|e| panic!("reading {}: {e}", from.display()))
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name == "target" || name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&*name));
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_dir() {
            copy_tree(&src, &dst);
        } else if meta.len() > MAX_FILE {
            println!(
                "cargo:warning=not embedding {} ({} bytes): larger than a project source",
                src.display(),
                meta.len()
            );
        } else {
            fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copying {}: {e}", src.display()));
        }
    }
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest)
        .parent()
        .expect("harness/ has a parent");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("project");
    let _ = fs::remove_dir_all(&out);
    for dir in ["targets", "suites", "kernels"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
        copy_tree(&root.join(dir), &out.join(dir));
    }
    let ws = root.join("Cargo.toml");
    println!("cargo:rerun-if-changed={}", ws.display());
    fs::copy(&ws, out.join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("copying {}: {e}", ws.display()));
}
