//! memory.x for the target being built: the memory maps of tinybench's `sim-cortex-m4`
//! (an nRF52840's) and `sim-rv32imac` targets (targets/*.toml in the tinybench
//! repository). For a board, write its own memory.x here (or keep your HAL's).
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let memory = if target.starts_with("riscv32") {
        // riscv-rt places sections by region alias.
        "MEMORY\n{\n  FLASH : ORIGIN = 0x20000000, LENGTH = 4096K\n  RAM : ORIGIN = 0x80000000, LENGTH = 256K\n}\n\
         REGION_ALIAS(\"REGION_TEXT\", FLASH);\nREGION_ALIAS(\"REGION_RODATA\", FLASH);\n\
         REGION_ALIAS(\"REGION_DATA\", RAM);\nREGION_ALIAS(\"REGION_BSS\", RAM);\n\
         REGION_ALIAS(\"REGION_HEAP\", RAM);\nREGION_ALIAS(\"REGION_STACK\", RAM);\n"
    } else {
        "MEMORY\n{\n  FLASH : ORIGIN = 0x00000000, LENGTH = 1024K\n  RAM : ORIGIN = 0x20000000, LENGTH = 256K\n}\n"
    };
    fs::write(out.join("memory.x"), memory).expect("writing memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
}
