//! Benchmarks of your own code (issue 21): `examples/own-bench`, built by its own cargo
//! for thumbv7em-none-eabihf with the toolchain the harness selects for firmware (rustup's
//! target, or `-Zbuild-std=core`), run with `tinybench run --target sim-cortex-m4 --elf`:
//! the table is labelled, the checksums pinned in the example are checked, the run is
//! stored, the example's defmt log lines come through the same decoder, and a benchmark
//! that faults is reported with the name of the function it faulted in.

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;
use support::{root, text, tinybench, tinybench_in};
use tinybench::firmware::toolchain::{self, Preference};

const TRIPLE: &str = "thumbv7em-none-eabihf";

/// The example's release directory for `triple`: both of its binaries, built once per
/// triple for every test of this file (one cargo run each; later runs of the suite reuse
/// its target directory).
fn example_for(triple: &'static str, built: &'static OnceLock<PathBuf>) -> &'static PathBuf {
    built.get_or_init(|| {
        let tc = toolchain::select(triple, Preference::Auto, false).expect("a firmware toolchain");
        let dir = root().join("target").join("own-bench");
        let out = tc
            .cargo_command()
            .current_dir(root().join("examples").join("own-bench"))
            .args(["build", "--release", "--bins", "--target", triple])
            .arg("--target-dir")
            .arg(&dir)
            .args(tc.cargo_args())
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        dir.join(triple).join("release")
    })
}

/// The example built for [`TRIPLE`] (sim-cortex-m4).
fn example() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    example_for(TRIPLE, &BUILT)
}

fn elf(name: &str) -> String {
    example().join(name).display().to_string()
}

#[test]
fn own_benchmarks_run_labelled_checked_and_stored() {
    let store = tempfile::tempdir().unwrap();
    let own = elf("own-bench");
    let out = tinybench_in(
        store.path(),
        &["run", "--target", "sim-cortex-m4", "--elf", &own, "-v"],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("instructions, emulated"), "{stdout}");
    for name in ["fir_q15_32x256", "crc32_1k"] {
        let row = stdout
            .lines()
            .find(|l| l.contains(name) && l.contains('✔'))
            .unwrap_or_else(|| panic!("no passing row for {name}:\n{stdout}"));
        // Each row's count: a number of instructions, not a dash.
        assert!(
            row.split('│')
                .any(|c| c.trim().parse::<u64>().is_ok_and(|n| n > 1000)),
            "{row}"
        );
    }
    // The checksums pinned with `.expect(..)` (computed by the example's host test).
    assert!(stdout.contains("0xbf658d30  equals the pinned"), "{stdout}");
    assert!(stdout.contains("0x4593092e  equals the pinned"), "{stdout}");
    // The example's own `defmt::info!`, through the same decoder, with -v.
    assert!(stderr.contains("fir: 32 taps over 256 samples"), "{stderr}");
    // Stored like every run.
    let listed = tinybench_in(store.path(), &["results", "list"]);
    let listed = text(&listed.stdout);
    assert!(listed.contains("own-bench"), "{listed}");
}

#[test]
fn a_faulting_benchmark_is_reported_with_its_symbol_and_its_logs() {
    let store = tempfile::tempdir().unwrap();
    let faulting = elf("faulting");
    let out = tinybench_in(
        store.path(),
        &["run", "--target", "sim-cortex-m4", "--elf", &faulting],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let fault = stderr
        .lines()
        .find(|l| l.starts_with("error:") && l.contains("fault:"))
        .unwrap_or_else(|| panic!("no fault line:\n{stderr}"));
    assert!(fault.contains("read_past_the_end"), "{fault}");
    // Logs are printed without -v when the run fails.
    assert!(stderr.contains("faulting: reading 0x6ffffff0"), "{stderr}");
    // The benchmark before the faulting one still counted and passed.
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("crc32_1k") && l.contains('✔')),
        "{stdout}"
    );
}

#[test]
fn a_file_that_is_not_a_firmware_is_refused_with_its_path() {
    let manifest = root().join("Cargo.toml").display().to_string();
    let out = tinybench(&[
        "run",
        "--target",
        "sim-cortex-m4",
        "--elf",
        &manifest,
        "--no-save",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Cargo.toml"), "{stderr}");
    let missing = root().join("no-such.elf").display().to_string();
    let out = tinybench(&[
        "run",
        "--target",
        "sim-cortex-m4",
        "--elf",
        &missing,
        "--no-save",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no-such.elf"), "{stderr}");
}

#[test]
fn tinybench_new_writes_a_project_that_builds_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("mybench");
    let out = tinybench(&[
        "new",
        project.to_str().unwrap(),
        "--target",
        "sim-cortex-m4",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let config = std::fs::read_to_string(project.join(".cargo/config.toml")).unwrap();
    assert!(
        config.contains("runner = \"tinybench run --target sim-cortex-m4 --elf\""),
        "{config}"
    );
    assert!(std::fs::read_to_string(project.join("memory.x"))
        .unwrap()
        .contains("ORIGIN = 0x20000000, LENGTH = 256K"));
    // A second `new` into the same directory is refused.
    let again = tinybench(&["new", project.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    // It builds (sharing the example's target directory, so its dependencies are built
    // once) and runs.
    let tc = toolchain::select(TRIPLE, Preference::Auto, false).expect("a firmware toolchain");
    let target_dir = root().join("target").join("own-bench");
    let built = tc
        .cargo_command()
        .current_dir(&project)
        .args(["build", "--release", "--target-dir"])
        .arg(&target_dir)
        .args(tc.cargo_args())
        .output()
        .expect("cargo runs");
    assert!(built.status.success(), "{}", text(&built.stderr));
    let elf = target_dir.join(TRIPLE).join("release").join("mybench");
    let elf = elf.to_str().unwrap();
    let out = tinybench(&[
        "run",
        "--target",
        "sim-cortex-m4",
        "--elf",
        elf,
        "--no-save",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("dot_i16_256") && stdout.contains("recorded, not checked"),
        "{stdout}"
    );
}

/// The same benchmarks on the emulated RV32IMAC (the example's second runner line): the
/// portable code computes the same pinned checksums there, counted by `mcycle`.
#[test]
fn own_benchmarks_run_on_the_emulated_rv32imac_too() {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let own = example_for("riscv32imac-unknown-none-elf", &BUILT).join("own-bench");
    let out = tinybench(&[
        "run",
        "--target",
        "sim-rv32imac",
        "--elf",
        own.to_str().unwrap(),
        "--no-save",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("instructions, emulated"), "{stdout}");
    assert!(stdout.contains("0xbf658d30  equals the pinned"), "{stdout}");
    assert!(stdout.contains("0x4593092e  equals the pinned"), "{stdout}");
}
