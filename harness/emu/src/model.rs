//! Applying the cycle model while the emulator runs: decode each executed address once
//! (capstone), keep its class in a flat table over flash, and add its cycles on every
//! execution, plus the taken-branch penalty when the next PC is not the fall-through.

use crate::arch::EmuCore;
use crate::timing::{classify_arm, classify_riscv, is_ldst, InsnClass, TimingTable};
use capstone::arch::{arm, riscv, BuildsCapstone, BuildsCapstoneExtraMode};
use capstone::Capstone;
use std::collections::HashMap;

type Decoded = Option<(InsnClass, u8)>;

/// Running cycle model of one emulated run.
pub(crate) struct CycleModel {
    table: TimingTable,
    cs: Capstone,
    arm: bool,
    /// Decoded instructions by `(addr - base) / 2` for the code region; elsewhere a map.
    base: u64,
    flat: Vec<Decoded>,
    other: HashMap<u64, Decoded>,
    /// Modeled cycles so far.
    pub cycles: u64,
    prev_ldst: bool,
    /// After a branch: (fall-through address, penalty if control goes elsewhere).
    pending: Option<(u64, u32)>,
    /// Instructions capstone could not decode (counted as 1 cycle each).
    pub undecoded: u64,
}

impl CycleModel {
    /// A model for `core` whose code lives in `[base, base + size)`.
    pub fn new(core: EmuCore, base: u64, size: u64) -> Result<Self, String> {
        let table = match core {
            EmuCore::CortexM0 => TimingTable::CORTEX_M0PLUS,
            EmuCore::CortexM3 => TimingTable::CORTEX_M3,
            EmuCore::CortexM4 => TimingTable::CORTEX_M4,
            EmuCore::CortexM7 => TimingTable::CORTEX_M7,
            EmuCore::CortexM33 => TimingTable::CORTEX_M33,
            EmuCore::Rv32 => TimingTable::SIFIVE_E31,
        };
        let cs = if core.is_arm() {
            Capstone::new()
                .arm()
                .mode(arm::ArchMode::Thumb)
                .extra_mode([arm::ArchExtraMode::MClass].into_iter())
                .build()
        } else {
            Capstone::new()
                .riscv()
                .mode(riscv::ArchMode::RiscV32)
                .extra_mode([riscv::ArchExtraMode::RiscVC].into_iter())
                .build()
        }
        .map_err(|e| format!("capstone: {e}"))?;
        Ok(Self {
            table,
            cs,
            arm: core.is_arm(),
            base,
            flat: vec![None; (size / 2) as usize],
            other: HashMap::new(),
            cycles: 0,
            prev_ldst: false,
            pending: None,
            undecoded: 0,
        })
    }

    /// The model's name, printed with its numbers.
    pub fn name(&self) -> &'static str {
        self.table.name
    }

    fn decode(&mut self, addr: u64, bytes: &[u8]) -> Decoded {
        let insns = self.cs.disasm_count(bytes, addr, 1).ok()?;
        let i = insns.iter().next()?;
        let (m, ops) = (i.mnemonic().unwrap_or(""), i.op_str().unwrap_or(""));
        let class = if self.arm {
            classify_arm(m, ops)
        } else {
            classify_riscv(m, ops)
        };
        Some((class, i.len() as u8))
    }

    /// Whether `addr` still needs its bytes (first execution).
    #[inline]
    pub fn needs_bytes(&self, addr: u64) -> bool {
        let idx = (addr.wrapping_sub(self.base) / 2) as usize;
        if idx < self.flat.len() {
            self.flat[idx].is_none()
        } else {
            !self.other.contains_key(&addr)
        }
    }

    /// Account for one executed instruction at `addr`; `bytes` are its bytes when
    /// [`Self::needs_bytes`] said so.
    #[inline]
    pub fn step(&mut self, addr: u64, bytes: Option<&[u8]>) -> Decoded {
        if let Some((fallthrough, penalty)) = self.pending.take() {
            if addr != fallthrough {
                self.cycles += penalty as u64;
            }
        }
        let idx = addr.wrapping_sub(self.base) / 2;
        let cached = if (idx as usize) < self.flat.len() {
            self.flat[idx as usize]
        } else {
            self.other.get(&addr).copied().flatten()
        };
        let decoded = match cached {
            Some(d) => Some(d),
            None => {
                let d = bytes.and_then(|b| self.decode(addr, b));
                if (idx as usize) < self.flat.len() {
                    self.flat[idx as usize] = d;
                } else {
                    self.other.insert(addr, d);
                }
                d
            }
        };
        match decoded {
            Some((class, size)) => {
                self.cycles += self.table.cost(class, self.prev_ldst) as u64;
                self.prev_ldst = is_ldst(class);
                if class.is_branch() {
                    self.pending = Some((addr + size as u64, self.table.taken(class)));
                }
            }
            None => {
                self.undecoded += 1;
                self.cycles += 1;
                self.prev_ldst = false;
            }
        }
        decoded
    }
}
