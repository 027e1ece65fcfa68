//! Benchmarks of your own code (issue 21): `examples/own-bench`, built by its own cargo
//! for thumbv7em-none-eabihf with the toolchain the harness selects for firmware (rustup's
//! target, or `-Zbuild-std=core`), run with `tinybench run --target sim-cortex-m4 --elf`:
//! the table is labelled, the checksums pinned in the example are checked, the run is
//! stored, the example's defmt log lines come through the same decoder, and a benchmark
//! that faults is reported with the name of the function it faulted in. With `--host`,
//! the same benchmarks built for the host run under criterion: host ns beside the counts,
//! and the device's checksums checked against the host's.

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;
use support::{command, root, text, tinybench, tinybench_in};
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
    // The FIR declares its MACs and shape (`.macs`, `.shape`: the TB work frame).
    let fir = stdout
        .lines()
        .find(|l| l.contains("fir_q15_32x256"))
        .unwrap();
    assert!(
        fir.contains("32 taps x 256") && fir.contains(" 8192 "),
        "{fir}"
    );
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

/// The host side of the same benchmarks (`--host`, run as cargo's runner runs it: cargo
/// sets CARGO_MANIFEST_DIR): one host build of the example, criterion's quick settings.
/// The device's checksums equal the host's; a host result with one checksum changed is
/// reported as a mismatch and fails the run.
#[test]
fn the_host_run_of_the_same_benchmarks_checks_the_devices_checksums() {
    let own = elf("own-bench");
    let example = root().join("examples").join("own-bench");
    let out = command(&[
        "run",
        "--target",
        "sim-cortex-m4",
        "--elf",
        &own,
        "--host",
        "--no-save",
    ])
    .env("CARGO_MANIFEST_DIR", &example)
    .env("TINYBENCH_HOST_QUICK", "1")
    .output()
    .expect("tinybench runs");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for sum in ["0xbf658d30", "0x4593092e"] {
        let line = format!("{sum}  equals the pinned .expect(..); equals the host's");
        assert!(stdout.contains(&line), "{stdout}");
    }
    // Host beside device, labelled: criterion's ns per call of each benchmark.
    assert!(
        stdout.contains("host: ns, host wall-clock (criterion)"),
        "{stdout}"
    );
    let host_row = |name: &str| {
        stdout
            .lines()
            .filter(|l| l.contains(name))
            .find(|l| l.contains('[') && l.contains('×'))
            .unwrap_or_else(|| panic!("no host row for {name}:\n{stdout}"))
            .to_string()
    };
    // The FIR's host ns per MAC is a number (it declares 8192 MACs); the CRC's is a dash.
    let fir: Vec<String> = host_row("fir_q15_32x256")
        .split('│')
        .map(|c| c.trim().to_string())
        .collect();
    assert_eq!(fir[2], "8192", "{fir:?}");
    assert!(fir[4].parse::<f64>().is_ok_and(|ns| ns > 0.0), "{fir:?}");
    let crc = host_row("crc32_1k");
    assert!(crc.contains('—'), "{crc}");

    // The host's file, with the FIR's checksum changed: a mismatch, not a pass.
    let file = root().join("target/own-bench/tinybench-host/own-bench/tinybench-host.json");
    let mut host: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let fir = host["benches"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|b| b["name"] == "fir_q15_32x256")
        .unwrap();
    assert_eq!(fir["checksum"], 0xbf65_8d30u32);
    fir["checksum"] = (0xbf65_8d30u32 ^ 1).into();
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("host.json");
    std::fs::write(&wrong, host.to_string()).unwrap();
    let out = tinybench(&[
        "run",
        "--target",
        "sim-cortex-m4",
        "--elf",
        &own,
        "--host-results",
        wrong.to_str().unwrap(),
        "--no-save",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("0xbf658d30  equals the pinned .expect(..); host's 0xbf658d31: differs"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 case(s) failed: fir_q15_32x256"),
        "{stderr}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("fir_q15_32x256") && l.contains('✘')),
        "{stdout}"
    );
}

/// An ELF built before `TB work` existed (frame schema 3) still runs: its benchmarks have
/// no declared work, everything else as before. A schema this host does not know is
/// refused. The example's ELF stands in for an old one, its `TINYBENCH_META` schema word
/// rewritten (the only difference a schema-3 build of it has besides the frames it sends).
#[test]
fn elfs_of_frame_schema_3_still_run_and_unknown_schemas_are_refused() {
    let bytes = std::fs::read(elf("own-bench")).unwrap();
    // TINYBENCH_META: magic "TBNC", schema 4, payload hash 0, little-endian.
    let meta: Vec<u8> = [0x5442_4E43u32, 4, 0]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    let at = bytes
        .windows(meta.len())
        .position(|w| w == meta.as_slice())
        .expect("TINYBENCH_META in the ELF");
    let dir = tempfile::tempdir().unwrap();
    let with_schema = |schema: u8| {
        let mut b = bytes.clone();
        b[at + 4] = schema;
        let path = dir.path().join(format!("own-bench-schema{schema}"));
        std::fs::write(&path, b).unwrap();
        let path = path.to_str().unwrap().to_string();
        tinybench(&[
            "run",
            "--target",
            "sim-cortex-m4",
            "--elf",
            &path,
            "--no-save",
        ])
    };
    let out = with_schema(3);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("0xbf658d30  equals the pinned"), "{stdout}");
    let out = with_schema(5);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("schema 5"), "{stderr}");
}
