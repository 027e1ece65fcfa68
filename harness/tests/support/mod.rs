//! Helpers shared by the integration tests (each file under `tests/` is its own crate and
//! takes what it needs; `support/mod.rs` keeps this out of the list of test crates).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Lossy UTF-8 of captured output.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
