//! Pulls in what the harness generated for this build: `memory.x` (from the target's
//! TOML) and `suite.rs` (the compiled-in suite) or `image.rs` (a model build's sizes). The harness points `TINYBENCH_GEN_DIR`
//! at a directory holding both.
use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=TINYBENCH_GEN_DIR");
    let Some(gen) = env::var_os("TINYBENCH_GEN_DIR").map(PathBuf::from) else {
        panic!(
            "TINYBENCH_GEN_DIR is not set: this firmware is built by `tinybench build`/`tinybench run`, \
             which generates its suite and memory layout"
        );
    };
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    // memory.x, and suite.rs or (feature `model`) image.rs: the model image region's and
    // pool's sizes and the kernel variant (the model itself is written into the ELF later).
    let files: &[&str] = if env::var_os("CARGO_FEATURE_MODEL").is_some() {
        &["memory.x", "image.rs"]
    } else {
        &["memory.x", "suite.rs"]
    };
    for f in files {
        let p = gen.join(f);
        println!("cargo:rerun-if-changed={}", p.display());
        fs::copy(&p, out.join(f)).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    }
    // PPK2 marker registers (feature power-marker); builds without them get none.
    let marker = gen.join("marker.rs");
    println!("cargo:rerun-if-changed={}", marker.display());
    let text = fs::read_to_string(&marker).unwrap_or_default();
    let text = if text.trim().is_empty() {
        "pub const MARKER_INIT: &[(u32, u32, u32)] = &[];\npub const MARKER_SET: (u32, u32) = (0, 0);\npub const MARKER_CLEAR: (u32, u32) = (0, 0);\n".to_string()
    } else {
        text
    };
    fs::write(out.join("marker.rs"), text).unwrap_or_else(|e| panic!("writing marker.rs: {e}"));
    // The I2C bus glue's pins (feature i2c-<board>): `pub const SDA/SCL: (u8, u8)`,
    // generated from the target file's [power.monitor] sda/scl.
    let i2c = gen.join("i2c.rs");
    println!("cargo:rerun-if-changed={}", i2c.display());
    let glue = ["NRF52840", "STM32L4R5"]
        .into_iter()
        .find(|b| env::var_os(format!("CARGO_FEATURE_I2C_{b}")).is_some());
    if let Some(board) = glue {
        let text = fs::read_to_string(&i2c).unwrap_or_default();
        if !text.contains("SDA") || !text.contains("SCL") {
            panic!(
                "feature i2c-{} needs {} with SDA and SCL: tinybench generates it from \
                 the target file's [power.monitor] sda/scl",
                board.to_lowercase(),
                i2c.display()
            );
        }
        fs::write(out.join("i2c.rs"), text).unwrap_or_else(|e| panic!("writing i2c.rs: {e}"));
    }
    println!("cargo:rustc-link-search={}", out.display());
    let target = env::var("TARGET").unwrap();
    if target.starts_with("thumb") {
        println!("cargo:rustc-link-arg=--nmagic");
    }
    // cortex-m-rt's and riscv-rt's link.x both INCLUDE the generated memory.x.
    println!("cargo:rustc-link-arg=-Tlink.x");
    println!("cargo:rustc-link-arg=-Tdefmt.x");
}
