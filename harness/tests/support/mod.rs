//! Helpers shared by the integration tests (each file under `tests/` is its own crate and
//! takes what it needs; `support/mod.rs` keeps this out of the list of test crates).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tinybench_device::{DeviceStop, FirmwareImage, RunLimits};

/// The project root (holds targets/, suites/, kernels/).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `tinybench` binary on this project, with the caller's probe settings removed so a
/// developer's own environment cannot pick a probe for a test.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tinybench"));
    cmd.args(args)
        .arg("--project-dir")
        .arg(root())
        .env_remove("TINYBENCH_PROBE")
        .env_remove("TINYBENCH_RUNNER_CONFIG");
    cmd
}

/// Run `tinybench` with `args` on this project.
pub fn tinybench(args: &[&str]) -> Output {
    command(args).output().expect("tinybench runs")
}

/// Run `tinybench` with `args` and a result store of its own.
pub fn tinybench_in(store: &Path, args: &[&str]) -> Output {
    command(args)
        .arg("--results-dir")
        .arg(store)
        .output()
        .expect("tinybench runs")
}

/// The MLPerf Tiny models (read, never copied into the repository):
/// `TINYBENCH_MODELS_DIR`, else `../shared/models/mlperf-tiny` beside the project root.
pub fn models_dir() -> PathBuf {
    std::env::var_os("TINYBENCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/models/mlperf-tiny"))
}

/// Lossy UTF-8 of captured output.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The smoke firmware for sim-cortex-m4 and the raw RTT bytes it sends in the emulator:
/// a real stream to replay through decoders and the board path.
pub fn smoke_rtt_stream() -> (FirmwareImage, Vec<u8>) {
    let image = smoke_firmware_with("sim-cortex-m4", &[]);
    let [bytes, power] = emulated_streams(&image);
    assert!(power.is_empty(), "the smoke firmware has one up channel");
    (image, bytes)
}

/// Run `image` on sim-cortex-m4 to its done marker: the bytes of RTT up channels 0 and 1.
fn emulated_streams(image: &FirmwareImage) -> [Vec<u8>; 2] {
    let target = tinybench::project::Project::find(Some(&root()))
        .unwrap()
        .target("sim-cortex-m4")
        .unwrap();
    let mut dev = tinybench::backend::open(&target).unwrap();
    dev.load(image).unwrap();
    let mut bytes: [Vec<u8>; 2] = Default::default();
    let limits = RunLimits {
        max_instructions: 100_000_000,
        wall_timeout: std::time::Duration::from_secs(60),
    };
    let stop = dev
        .run(&limits, &mut |channel, b| {
            bytes[channel as usize].extend_from_slice(b)
        })
        .unwrap();
    assert_eq!(stop, DeviceStop::Done);
    bytes
}

/// Build the smoke suite for `target` with extra firmware `features` (the hidden
/// `--firmware-feature` of `tinybench build`; `--energy ina226` itself refuses emulated
/// targets) and return the parsed ELF.
pub fn smoke_firmware_with(target: &str, features: &[&str]) -> FirmwareImage {
    let mut args = vec!["build", "--target", target, "--suite", "smoke"];
    for f in features {
        args.extend(["--firmware-feature", f]);
    }
    let out = tinybench(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let elf = std::fs::read(text(&out.stdout).trim()).unwrap();
    FirmwareImage::parse(elf).unwrap()
}

/// The smoke firmware built with `power-ina226` and the raw bytes of RTT up channels 0
/// and 1 it sends in the emulator (whose I2C bus is the firmware's `NoBus` placeholder,
/// so every reading is a `TB power-error`).
pub fn power_rtt_streams() -> (FirmwareImage, [Vec<u8>; 2]) {
    let image = smoke_firmware_with("sim-cortex-m4", &["power-ina226"]);
    let streams = emulated_streams(&image);
    (image, streams)
}

/// The widest line of `s`, in characters (what a terminal's columns hold).
pub fn widest(s: &str) -> usize {
    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}
