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
            // Every instruction costs at least one modeled cycle (half a cycle on the
            // dual-issue M7).
            let issue = if target == "sim-cortex-m7" { 2 } else { 1 };
            assert!(
                issue * cycles.median + 8 >= instr.median,
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

/// A copy of the shipped `targets/<shipped>.toml` in `dir`, named `name` (so parallel
/// tests do not share the shipped target's generated files), with `extra` appended.
fn target_copy(dir: &Path, shipped: &str, name: &str, extra: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(support::root().join(format!("targets/{shipped}.toml")))
        .unwrap()
        .replace(
            &format!("name = \"{shipped}\""),
            &format!("name = \"{name}\""),
        );
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, format!("{text}{extra}")).unwrap();
    p
}

/// `tinybench run --target <t> --energy ina226 --build-only`.
fn ina226_build(t: &Path) -> std::process::Output {
    let t = t.to_str().unwrap();
    tinybench(&["run", "--target", t, "--energy", "ina226", "--build-only"])
}

/// The ELF a successful `--build-only` run printed the path of.
fn built_elf(out: &std::process::Output) -> Vec<u8> {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::read(text(&out.stdout).trim()).unwrap()
}

/// Whether `elf` contains the bytes `s` (a symbol or DWARF name).
fn has(elf: &[u8], s: &[u8]) -> bool {
    elf.windows(s.len()).any(|w| w == s)
}

/// An `[power.monitor]` section with an INA226 on `sda`/`scl`.
fn monitor(sda: &str, scl: &str) -> String {
    format!(
        "\n[power.monitor]\nkind = \"ina226\"\nshunt_ohm = 0.1\nsda = \"{sda}\"\nscl = \"{scl}\"\n"
    )
}

/// `--energy ina226` on an nRF52840 builds the INA226 driver with the TWIM0 bus glue,
/// pins from the target file; a board without glue (the STM32F411, its pins in STM32
/// naming) is refused before building.
#[test]
fn nrf52840_builds_with_ina226_twim_glue_and_boards_without_glue_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let nrf = target_copy(
        dir.path(),
        "nrf52840",
        "nrf52840-ina226",
        &monitor("P0.26", "P0.27"),
    );
    let elf = built_elf(&ina226_build(&nrf));
    // Fat LTO inlines the driver; its DWARF linkage name stays (debug = 2 in release).
    let driver = b"Twim0$u20$as$u20$embedded_hal..i2c..I2c$GT$11transaction";
    assert!(has(&elf, driver), "no TWIM driver in the INA226 build");
    // The plain board build has neither the driver nor the PAC.
    let plain = built_elf(&tinybench(&["run", "--target", "nrf52840", "--build-only"]));
    assert!(!has(&plain, b"Twim0") && !has(&plain, b"nrf52840_pac"));

    let stm = target_copy(dir.path(), "stm32f411", "stm32f411", &monitor("PB9", "PB8"));
    let out = ina226_build(&stm);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "no I2C bus glue for board stm32f411 (chip STM32F411RETx); supported: nrf52840, stm32l4r5"
        ),
        "{err}"
    );
    assert!(text(&out.stdout).trim().is_empty(), "nothing is built");
}

/// `--energy ina226` on the STM32L4R5 builds the INA226 driver with the I2C1 glue on the
/// NUCLEO-L4R5ZI's PB9/PB8; the plain board build has neither the driver nor the PAC, and
/// pins off I2C1 are refused before building.
#[test]
fn stm32l4r5_builds_with_ina226_i2c1_glue() {
    let dir = tempfile::tempdir().unwrap();
    let l4 = target_copy(
        dir.path(),
        "stm32l4r5",
        "stm32l4r5-ina226",
        &monitor("PB9", "PB8"),
    );
    let elf = built_elf(&ina226_build(&l4));
    let driver = b"I2c1$u20$as$u20$embedded_hal..i2c..I2c$GT$11transaction";
    assert!(has(&elf, driver), "no I2C1 driver in the INA226 build");
    assert!(has(&elf, b"stm32_i2c::take"), "no I2C1 set-up");
    let plain = built_elf(&tinybench(&[
        "run",
        "--target",
        "stm32l4r5",
        "--build-only",
    ]));
    assert!(!has(&plain, b"I2c1$u20$as") && !has(&plain, b"stm32l4r5"));

    let off = target_copy(
        dir.path(),
        "stm32l4r5",
        "stm32l4r5-pa",
        &monitor("PB9", "PA9"),
    );
    let out = ina226_build(&off);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("SCL is PB6 or PB8 and SDA PB7 or PB9"),
        "{err}"
    );
    assert!(text(&out.stdout).trim().is_empty(), "nothing is built");
}

/// Build the suite file `suite` for `target` and return the parsed ELF.
fn build_suite(target: &str, suite: &Path) -> tinybench_device::FirmwareImage {
    let out = tinybench(&[
        "build",
        "--target",
        target,
        "--suite",
        suite.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    tinybench_device::FirmwareImage::parse(built_elf(&out)).unwrap()
}

/// Run `image` on the emulated `target` (counters of `bits` bits): the run and, per
/// counter read, the instructions the emulator had executed.
fn run_emulated(
    target: &str,
    image: &tinybench_device::FirmwareImage,
    bits: u32,
) -> (tinybench_device::RunOutput, Vec<u64>) {
    let (out, counts, _) = run_emulated_pcs(target, image, bits);
    (out, counts)
}

/// [`run_emulated`], and the address of each counter read's reading instruction.
fn run_emulated_pcs(
    target: &str,
    image: &tinybench_device::FirmwareImage,
    bits: u32,
) -> (tinybench_device::RunOutput, Vec<u64>, Vec<u64>) {
    let target = tinybench::project::Project::find(Some(&support::root()))
        .unwrap()
        .target(target)
        .unwrap();
    let mut emu = tinybench::backend::emulator_with(&target, None).with_counter_bits(bits);
    let limits = tinybench_device::RunLimits {
        max_instructions: 500_000_000,
        wall_timeout: std::time::Duration::from_secs(600),
    };
    let out = tinybench_device::run_firmware(&mut emu, image, None, &limits, &mut |_| {})
        .expect("the run starts");
    (out, emu.read_counts().to_vec(), emu.read_pcs().to_vec())
}

/// The firmware's counts of every region (overhead, then samples), in order.
fn region_counts(out: &tinybench_device::RunOutput) -> Vec<u64> {
    use tinybench_device::protocol::Event;
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::Overhead { count, .. } | Event::Sample { count, .. } => Some(*count as u64),
            _ => None,
        })
        .collect()
}

#[test]
fn armv6m_counts_past_2_pow_24_equal_the_emulators_own() {
    // One case of about 18 M instructions on the M0+: its SysTick wraps once inside the
    // region, so the firmware's count is right only if the wrap interrupt and the
    // race-free read work. The emulator's own instruction counts at the two reads are
    // the truth, whatever the kernel's count is.
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("long.toml");
    std::fs::write(
        &suite,
        "name = \"long\"\ndescription = \"one region past 2^24\"\noverhead_reps = 2\n\
         [defaults]\nwarmup = 0\nreps = 2\nvariants = [\"reference\"]\n\
         [[case]]\nname = \"kws_conv1\"\nkernel = \"conv2d\"\ninput = [49, 10, 1]\n\
         kernel_size = [10, 4]\nstride = [2, 2]\npadding = \"same\"\nout_channels = 64\n\
         input_zero_point = 101\noutput_zero_point = -128\nrequant_scale = 0.0042\n\
         activation = \"relu\"\n",
    )
    .unwrap();
    let image = build_suite("sim-cortex-m0plus", &suite);
    let (out, reads) = run_emulated("sim-cortex-m0plus", &image, 32);
    assert_eq!(
        out.outcome,
        tinybench_device::RunOutcome::Completed,
        "{out:?}"
    );
    let truth: Vec<u64> = reads.chunks(2).map(|p| p[1] - p[0]).collect();
    let counts = region_counts(&out);
    assert_eq!(counts, truth);
    assert!(counts.iter().any(|&c| c > 1 << 24), "{counts:?}");
}

#[test]
fn a_region_too_long_for_the_counter_is_refused() {
    // With 16-bit counters the smoke suite's largest FC (over 100 k instructions)
    // would wrap: the run must stop with an error naming it, not print a number.
    let image = support::smoke_firmware_with("sim-cortex-m4", &[]);
    let (out, _) = run_emulated("sim-cortex-m4", &image, 16);
    let d = out.outcome.describe();
    assert!(
        d.contains("counter wrap") && d.contains("16-bit counter"),
        "{d}"
    );
    assert!(region_counts(&out).iter().all(|&c| c < 1 << 16));
    // The same firmware with the real 32-bit counter completes.
    let (out, _) = run_emulated("sim-cortex-m4", &image, 32);
    assert_eq!(out.outcome, tinybench_device::RunOutcome::Completed);
}

/// QEMU's `virt` machine maps 32 MiB of pflash at 0x2000_0000, where sim-rv32imac's flash
/// is: the image of the firmware's flash segments (at their load addresses).
fn virt_flash_image(image: &tinybench_device::FirmwareImage) -> Vec<u8> {
    let mut flash = vec![0u8; 32 << 20];
    for seg in image.segments.iter().filter(|s| s.addr >= 0x2000_0000) {
        let at = (seg.addr - 0x2000_0000) as usize;
        flash[at..at + seg.data.len()].copy_from_slice(&seg.data);
    }
    flash
}

/// `a0` at the `ret` of `tinybench_read_counter` at every read, under
/// `qemu-system-riscv32 -M virt -icount shift=0` (mcycle then counts instructions), read
/// with gdb-multiarch over QEMU's gdbstub up to `tinybench_done`.
fn qemu_rv32_reads(elf: &Path, flash: &Path, dir: &Path) -> Vec<u64> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut qemu = std::process::Command::new("qemu-system-riscv32")
        .args(["-M", "virt", "-bios", "none", "-display", "none", "-S"])
        .args(["-monitor", "none", "-serial", "none"])
        .args(["-icount", "shift=0,sleep=off", "-gdb"])
        .arg(format!("tcp:127.0.0.1:{port}"))
        .arg("-drive")
        .arg(format!(
            "if=pflash,unit=0,format=raw,file={}",
            flash.display()
        ))
        .spawn()
        .expect("qemu-system-riscv32 runs (ci/setup.sh installs qemu-system-misc)");
    let out_file = dir.join("reads.txt");
    let script = dir.join("reads.gdb");
    std::fs::write(
        &script,
        format!(
            "set pagination off\nset confirm off\ntarget remote 127.0.0.1:{port}\n\
             set $pc=0x20000000\npython\nimport gdb\nvals=[]\n\
             class B(gdb.Breakpoint):\n    def stop(self):\n        \
             vals.append(int(gdb.parse_and_eval('$a0')) & 0xffffffff)\n        return False\n\
             fn=int(gdb.parse_and_eval('(long)&tinybench_read_counter'))\n\
             B('*%d' % (fn+4), internal=True)\nend\nbreak tinybench_done\ncontinue\n\
             python\nopen('{}','w').write(' '.join(map(str,vals)))\nend\nkill\n",
            out_file.display()
        ),
    )
    .unwrap();
    let gdb = std::process::Command::new("gdb-multiarch")
        .args(["-q", "-batch", "-x"])
        .arg(&script)
        .arg(elf)
        .output()
        .expect("gdb-multiarch runs (ci/setup.sh installs it)");
    let _ = qemu.kill();
    let _ = qemu.wait();
    let text = std::fs::read_to_string(&out_file)
        .unwrap_or_else(|e| panic!("no reads from gdb ({e}): {}", support::text(&gdb.stderr)));
    text.split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

/// An independent engine: QEMU's instruction count (mcycle with -icount shift=0) at
/// every counter read of `image`. Each region's count (second read minus first) must
/// equal the one the firmware reports in the emulator, sample by sample.
fn assert_rv32_counts_equal_qemus(image: &tinybench_device::FirmwareImage) {
    let dir = tempfile::tempdir().unwrap();
    let (elf, flash) = (dir.path().join("fw.elf"), dir.path().join("flash.bin"));
    std::fs::write(&elf, image.bytes.as_slice()).unwrap();
    std::fs::write(&flash, virt_flash_image(image)).unwrap();
    let reads = qemu_rv32_reads(&elf, &flash, dir.path());
    let qemu: Vec<u64> = reads
        .chunks(2)
        .map(|p| p[1].wrapping_sub(p[0]) & 0xFFFF_FFFF)
        .collect();
    let (out, _) = run_emulated("sim-rv32imac", image, 32);
    assert_regions_equal(&qemu, &out);
}

/// The emulator's run completed and each of its regions (more than 20) counts what QEMU
/// counted, in order.
fn assert_regions_equal(qemu: &[u64], out: &tinybench_device::RunOutput) {
    assert_eq!(
        out.outcome,
        tinybench_device::RunOutcome::Completed,
        "{out:?}"
    );
    let ours = region_counts(out);
    assert!(ours.len() > 20, "{ours:?}");
    assert_eq!(qemu, ours);
}

#[test]
fn rv32_smoke_and_kernels_counts_equal_qemus_exactly() {
    assert_rv32_counts_equal_qemus(&support::smoke_firmware_with("sim-rv32imac", &[]));
    let kernels = support::root().join("suites/kernels.toml");
    assert_rv32_counts_equal_qemus(&build_suite("sim-rv32imac", &kernels));
}

/// The count plugin (`support/qemu_count_plugin.c`), built into `dir` with the system C
/// compiler.
fn qemu_count_plugin(dir: &Path) -> std::path::PathBuf {
    let so = dir.join("qemu_count.so");
    let src = support::root().join("harness/tests/support/qemu_count_plugin.c");
    let out = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o"])
        .arg(&so)
        .arg(&src)
        .output()
        .expect("cc runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    so
}

/// QEMU's instruction count at every run of the instructions at `pcs` (the firmware's
/// DWT CYCCNT reads) under `qemu-system-arm -M mps2-an386` (Cortex-M4; 4 MiB at 0 and
/// at 0x2000_0000, where sim-cortex-m4's flash and RAM are), from the count plugin, up
/// to `tinybench_done`.
fn qemu_arm_reads(image: &tinybench_device::FirmwareImage, pcs: &[u64], dir: &Path) -> Vec<u64> {
    let elf = dir.join("fw.elf");
    std::fs::write(&elf, image.bytes.as_slice()).unwrap();
    let (out_file, so) = (dir.join("reads.txt"), qemu_count_plugin(dir));
    let marker = |name| image.symbol(name).unwrap_or_else(|| panic!("no {name}"));
    let mut qemu = std::process::Command::new("qemu-system-arm")
        .args(["-M", "mps2-an386", "-display", "none", "-monitor", "none"])
        .args(["-serial", "none", "-plugin"])
        .arg(format!(
            "{},reads={},done={:#x},fault={:#x},out={}",
            so.display(),
            pcs.iter()
                .map(|p| format!("{p:#x}"))
                .collect::<Vec<_>>()
                .join(":"),
            marker("tinybench_done"),
            marker("tinybench_fault"),
            out_file.display()
        ))
        .arg("-kernel")
        .arg(&elf)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("qemu-system-arm runs (ci/setup.sh installs qemu-system-arm)");
    let start = std::time::Instant::now();
    while qemu.try_wait().unwrap().is_none() && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = qemu.kill();
    let qemu = qemu.wait_with_output().unwrap();
    let log = std::fs::read_to_string(&out_file).unwrap_or_default();
    let mut lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines.pop(),
        Some("done"),
        "QEMU did not reach tinybench_done: {}",
        text(&qemu.stderr)
    );
    lines.iter().map(|v| v.parse().unwrap()).collect()
}

/// An independent engine on ARM: each region's count from QEMU's plugin (second read
/// minus first) must equal the one the firmware reports on sim-cortex-m4, sample by
/// sample. Both count an instruction an IT block skips (QEMU's plugin counts every
/// instruction it translates, before the condition is tested), so there is no
/// systematic difference. QEMU counts at the reading instructions the emulator found
/// (QEMU models no DWT): a wrongly found reader would give QEMU a different count.
fn assert_m4_counts_equal_qemus(image: &tinybench_device::FirmwareImage) {
    let dir = tempfile::tempdir().unwrap();
    let (out, _, mut pcs) = run_emulated_pcs("sim-cortex-m4", image, 32);
    pcs.sort_unstable();
    pcs.dedup();
    let reads = qemu_arm_reads(image, &pcs, dir.path());
    let qemu: Vec<u64> = reads.chunks(2).map(|p| p[1] - p[0]).collect();
    assert_regions_equal(&qemu, &out);
}

#[test]
fn cortex_m4_smoke_and_kernels_counts_equal_qemus_exactly() {
    assert_m4_counts_equal_qemus(&support::smoke_firmware_with("sim-cortex-m4", &[]));
    let kernels = support::root().join("suites/kernels.toml");
    assert_m4_counts_equal_qemus(&build_suite("sim-cortex-m4", &kernels));
}
