//! `--energy model` on an emulated target: the datasheet model runs through the sample
//! pipeline and reproduces the direct computation, labelled as modeled.

mod support;
use support::tinybench;

use tinybench_results::parse_run;

#[test]
fn modeled_energy_per_inference_is_labelled_and_consistent() {
    let out = tinybench(&[
        "run",
        "--target",
        "sim-cortex-m4",
        "--energy",
        "model",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = parse_run(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let label = run.energy_source.clone().expect("energy source");
    assert!(
        label.starts_with("energy, modeled (datasheet: nRF52840"),
        "{label}"
    );
    // 52 µA/MHz at 64 MHz and 3 V: 9.984 mW, i.e. 0.156 nJ per cycle at 64 MHz.
    let uj_per_cycle = 52e-6 * 64.0 * 3.0 / 64e6 * 1e6;
    for c in &run.cases {
        let e = c
            .energy
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no energy", c.name));
        let cycles = c.modeled_summary.unwrap().median as f64;
        let direct = cycles * uj_per_cycle;
        assert!(
            (e.median_uj - direct).abs() <= 1e-6 * direct + e.bound_uj,
            "{}: {} vs {direct}",
            c.name,
            e.median_uj
        );
        assert!(
            (e.avg_power_mw - 9.984).abs() < 1e-6,
            "{}: {}",
            c.name,
            e.avg_power_mw
        );
        assert_eq!(e.per_inference_uj.len(), c.samples.len());
    }
    let table = tinybench(&["run", "--target", "sim-cortex-m4", "--energy", "model"]);
    let t = String::from_utf8_lossy(&table.stdout);
    assert!(
        t.contains("µJ/inference: energy, modeled (datasheet:"),
        "{t}"
    );
}

#[test]
fn energy_model_without_a_power_figure_names_the_file() {
    let out = tinybench(&["run", "--target", "sim-cortex-m3", "--energy", "model"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("targets/sim-cortex-m3.toml has no [power] section"),
        "{err}"
    );
    assert!(!err.contains("firmware for"), "built before failing: {err}");
}

#[test]
fn measured_energy_on_the_emulator_fails_fast_and_says_use_model() {
    for source in ["ppk2", "ppk2:/dev/ttyACM0", "ina226"] {
        let out = tinybench(&["run", "--target", "sim-cortex-m4", "--energy", source]);
        assert_eq!(out.status.code(), Some(2), "{source}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no power monitor on an emulated target")
                && err.contains("--energy model"),
            "{source}: {err}"
        );
        assert!(!err.contains("firmware for"), "built before failing: {err}");
    }
}

#[test]
fn measured_energy_on_a_board_names_what_is_missing_before_building() {
    // A copy of the nrf52840 target with PPK2 wiring: no PPK2 is attached here (no
    // serial port with its USB id), so the run stops before building and says so.
    let dir = tempfile::tempdir().unwrap();
    let board = std::fs::read_to_string(support::root().join("targets/nrf52840.toml")).unwrap();
    let wiring = "[power.ppk2]\nmarker_pin = \"P0.13\"\n";
    let regs = "[power.ppk2.marker]\ninit = [[0x50000518, 0, 0x2000]]\nset = [0x50000508, 0x2000]\nclear = [0x5000050C, 0x2000]\n";
    let path = dir.path().join("nrf52840.toml");
    // Without the marker registers the firmware could not drive the pin: named first.
    std::fs::write(&path, format!("{board}\n{wiring}")).unwrap();
    let out = tinybench(&[
        "run",
        "--target",
        path.to_str().unwrap(),
        "--energy",
        "ppk2",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("has no [power.ppk2.marker]"), "{err}");
    let with_ppk2 = format!("{board}\n{wiring}{regs}");
    std::fs::write(&path, with_ppk2).unwrap();
    let p = path.to_str().unwrap();
    let out = tinybench(&["run", "--target", p, "--energy", "ppk2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no PPK2 attached"), "{err}");
    assert!(!err.contains("firmware for"), "built before failing: {err}");
    // The shipped file has no monitor section: ina226 names the section to add.
    let out = tinybench(&["run", "--target", "nrf52840", "--energy", "ina226"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("has no [power.monitor]"), "{err}");
}
