//! `cfg(armv6m)` for Cortex-M0/M0+ builds: no DWT cycle counter there, so the counter is
//! SysTick extended by its wrap interrupt (src/arch.rs).
fn main() {
    println!("cargo:rustc-check-cfg=cfg(armv6m)");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("thumbv6m") {
        println!("cargo:rustc-cfg=armv6m");
    }
}
