//! Chooses the optimized kernels' inner products at compile time (see `src/mac.rs`).
//!
//! ARM target features are unstable, so stable rustc does not expose `target_feature =
//! "dsp"` to `cfg`; this script derives it from the target instead: every ARMv7E-M core
//! (thumbv7em: Cortex-M4/M7) has the DSP extension; ARMv8-M Mainline (thumbv8m.main:
//! Cortex-M33) has it when the build enables `+dsp` (`-C target-feature=+dsp`).
//! `tinybench_thumb1` marks ARMv6-M, the cores with only the 16-bit Thumb register model.
use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tinybench_dsp)");
    println!("cargo::rustc-check-cfg=cfg(tinybench_thumb1)");
    println!("cargo:rerun-if-env-changed=CARGO_CFG_TARGET_FEATURE");
    let target = env::var("TARGET").unwrap_or_default();
    let features = env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let has_dsp_flag = features.split(',').any(|f| f == "dsp");
    if target.starts_with("thumbv7em") || (target.starts_with("thumbv8m.main") && has_dsp_flag) {
        println!("cargo:rustc-cfg=tinybench_dsp");
    }
    // ARMv6-M (Cortex-M0/M0+): 16-bit Thumb with eight low registers, where some inner
    // loops are hand-written (`gemm.rs`, `fc_dot.rs`). (ARMv8-M Baseline would take the
    // same code, but no target here builds for it, so it stays on the portable path.)
    if target.starts_with("thumbv6m") {
        println!("cargo:rustc-cfg=tinybench_thumb1");
    }
}
