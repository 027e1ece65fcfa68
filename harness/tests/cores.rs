//! Every emulated core runs the smoke suite, with instructions and modeled cycles, and
//! reports faults with their kind and symbol.

mod support;
use support::{text, tinybench};

use std::path::Path;
use tinybench_results::{parse_run, CaseStatus};

const SIM_TARGETS: [&str; 7] = [
    "sim-cortex-m0plus",
    "sim-cortex-m3",
    "sim-cortex-m4",
    "sim-cortex-m7",
    "sim-cortex-m33",
    "sim-rv32imac",
    "sim-rv32imc",
];

#[test]
fn smoke_passes_on_every_sim_target_with_modeled_cycles() {
    for target in SIM_TARGETS {
        let out = tinybench(&[
            "run", "--target", target, "--suite", "smoke", "--format", "json",
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{target}: {err}");
        assert!(
            !err.contains("could not be decoded") && !err.contains("no modeled cycles"),
            "{target}: {err}"
        );
        let run = parse_run(&text(&out.stdout)).unwrap_or_else(|e| panic!("{target}: {e}"));
        assert_eq!(run.target, target);
        assert!(run.cycle_model.is_some(), "{target}: no cycle model");
        for c in &run.cases {
            assert_eq!(c.status, CaseStatus::Ok, "{target} {}", c.name);
            let instr = c.summary.unwrap();
            let cycles = c
                .modeled_summary
                .unwrap_or_else(|| panic!("{target} {}: no modeled cycles", c.name));
            assert_eq!(
                c.modeled_samples.len(),
                c.samples.len(),
                "{target} {}",
                c.name
            );
            // Every instruction costs at least one modeled cycle.
            assert!(
                cycles.median + 8 >= instr.median,
                "{target} {}: {cycles:?} < {instr:?}",
                c.name
            );
        }
    }
}

#[test]
fn unaligned_access_faults_where_the_core_faults() {
    for (target, faults) in [
        ("sim-cortex-m0plus", true),
        ("sim-rv32imac", true),
        ("sim-cortex-m4", false),
    ] {
        let out = tinybench(&[
            "run",
            "--target",
            target,
            "--firmware-feature",
            "selftest-unaligned",
        ]);
        let err = text(&out.stderr);
        if faults {
            assert_eq!(out.status.code(), Some(1), "{target}: {err}");
            assert!(
                err.contains("unaligned 4-byte read") && err.contains("(selftest_unaligned+0x"),
                "{target}: {err}"
            );
        } else {
            // ARMv7E-M performs unaligned word loads in hardware.
            assert_eq!(out.status.code(), Some(0), "{target}: {err}");
        }
    }
}

#[test]
fn invalid_access_is_symbolized_on_riscv_and_armv6m() {
    for target in ["sim-rv32imc", "sim-cortex-m0plus"] {
        let out = tinybench(&[
            "run",
            "--target",
            target,
            "--firmware-feature",
            "selftest-fault",
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{target}: {err}");
        assert!(
            err.contains("invalid memory read of 4 bytes at 0x6ffffff0"),
            "{target}: {err}"
        );
        assert!(err.contains("(selftest_fault+0x"), "{target}: {err}");
    }
}

#[test]
fn list_targets_shows_every_core() {
    let out = tinybench(&["list", "targets"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for t in SIM_TARGETS {
        assert!(s.contains(t), "{t} missing:\n{s}");
    }
    for core in [
        "cortex-m0plus",
        "cortex-m3",
        "cortex-m7",
        "cortex-m33",
        "rv32imac",
        "rv32imc",
    ] {
        assert!(s.contains(core), "{core} missing:\n{s}");
    }
}

#[test]
fn every_board_target_builds_and_reports_its_footprint() {
    for board in [
        "nrf52840",
        "nrf5340",
        "stm32f411",
        "stm32h743",
        "stm32l4r5",
        "rp2040",
        "esp32c3",
        "hifive1-revb",
    ] {
        // The FE310 has 16 KiB of RAM: the smoke suite's buffers do not fit there.
        let suite = if board == "hifive1-revb" {
            "tiny"
        } else {
            "smoke"
        };
        let out = tinybench(&["build", "--target", board, "--suite", suite]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{board}: {err}");
        assert!(
            Path::new(text(&out.stdout).trim()).is_file(),
            "{board}: no ELF"
        );
        assert!(
            err.contains(&format!("{board}: flash ")) && err.contains("static RAM"),
            "{board}: {err}"
        );
    }
    // And the RAM check refuses what cannot fit, with the numbers.
    let out = tinybench(&["build", "--target", "hifive1-revb", "--suite", "smoke"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("needs") && err.contains("but hifive1-revb has 16384"),
        "{err}"
    );
}
