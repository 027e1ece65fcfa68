//! What differs per emulated architecture: the unicorn CPU, reset, how the firmware's
//! counter read is answered, and what an exception number means.

use unicorn_engine::unicorn_const::{Arch, Mode};
use unicorn_engine::{ArmCpuModel, RegisterARM, RegisterRISCV, Riscv32CpuModel};

/// The cores unicorn models that tinybench targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmuCore {
    /// Cortex-M0 / M0+ (ARMv6-M).
    CortexM0,
    /// Cortex-M3 (ARMv7-M).
    CortexM3,
    /// Cortex-M4 (ARMv7E-M, DSP, FPU).
    CortexM4,
    /// Cortex-M7 (ARMv7E-M).
    CortexM7,
    /// Cortex-M33 (ARMv8-M mainline).
    CortexM33,
    /// RV32IMAC (SiFive E31 model; also runs RV32IMC code).
    Rv32,
}

/// ELF machine numbers.
pub const EM_ARM: u16 = 40;
/// ELF machine number of RISC-V.
pub const EM_RISCV: u16 = 243;

impl EmuCore {
    pub(crate) fn is_arm(self) -> bool {
        self != EmuCore::Rv32
    }

    /// Cores whose data accesses must be naturally aligned (ARMv6-M faults on any
    /// unaligned access; the E31 traps on misaligned loads and stores). unicorn does not
    /// enforce this itself, so the emulator checks it.
    pub(crate) fn requires_alignment(self) -> bool {
        matches!(self, EmuCore::CortexM0 | EmuCore::Rv32)
    }

    /// unicorn's id of the stack pointer.
    pub(crate) fn sp_reg(self) -> i32 {
        if self.is_arm() {
            RegisterARM::SP as i32
        } else {
            RegisterRISCV::X2 as i32
        }
    }

    /// unicorn's id of the program counter.
    pub(crate) fn pc_reg(self) -> i32 {
        if self.is_arm() {
            RegisterARM::PC as i32
        } else {
            RegisterRISCV::PC as i32
        }
    }

    pub(crate) fn elf_machine(self) -> u16 {
        if self.is_arm() {
            EM_ARM
        } else {
            EM_RISCV
        }
    }

    pub(crate) fn unicorn(self) -> (Arch, Mode, i32) {
        let arm = |m: ArmCpuModel| (Arch::ARM, Mode::THUMB | Mode::MCLASS, m as i32);
        match self {
            EmuCore::CortexM0 => arm(ArmCpuModel::CORTEX_M0),
            EmuCore::CortexM3 => arm(ArmCpuModel::CORTEX_M3),
            EmuCore::CortexM4 => arm(ArmCpuModel::CORTEX_M4),
            EmuCore::CortexM7 => arm(ArmCpuModel::CORTEX_M7),
            EmuCore::CortexM33 => arm(ArmCpuModel::CORTEX_M33),
            EmuCore::Rv32 => (
                Arch::RISCV,
                Mode::RISCV32,
                Riscv32CpuModel::SIFIVE_E31 as i32,
            ),
        }
    }

    /// Words for an exception unicorn raised (`intno`): ARM's QEMU exception numbers, or
    /// the RISC-V `mcause` code.
    pub(crate) fn exception(self, intno: u32) -> String {
        if self.is_arm() {
            match intno {
                1 => "undefined instruction (UsageFault)".into(),
                2 => "supervisor call (svc) with no handler".into(),
                3 => "prefetch abort (bus fault on instruction fetch)".into(),
                4 => "data abort (bus fault on data access)".into(),
                7 => "breakpoint (bkpt) outside the done/fault markers".into(),
                n => format!("CPU exception {n}"),
            }
        } else {
            match intno {
                0 => "instruction address misaligned".into(),
                1 => "instruction access fault".into(),
                2 => "illegal instruction".into(),
                3 => "breakpoint (ebreak) outside the done/fault markers".into(),
                4 => "load address misaligned".into(),
                5 => "load access fault".into(),
                6 => "store address misaligned".into(),
                7 => "store access fault".into(),
                8..=11 => "environment call (ecall) with no handler".into(),
                n => format!("trap cause {n}"),
            }
        }
    }
}

/// `csrr a0, mcycle`: the first instruction of the firmware's RISC-V counter read.
pub(crate) const CSRR_A0_MCYCLE: u32 = 0xB000_2573;
/// `ret` (compressed `c.jr ra`) and uncompressed `jalr x0, 0(ra)`.
pub(crate) const C_RET: u16 = 0x8082;
pub(crate) const RET: u32 = 0x0000_8067;
