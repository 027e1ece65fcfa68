//! Cortex-M: the Private Peripheral Bus as an MMIO region, and how a read of it finds the
//! instruction that reads.
//!
//! Why MMIO: any memory-read hook, however narrow its range, sends every load of the run
//! through unicorn's slow path (it halved the speed of load-heavy kernels), while an MMIO
//! region costs only the loads that hit it. But an MMIO callback does not see the reading
//! instruction's PC (unicorn syncs the PC only for memory hooks), and the counter reads
//! must return the exact count at that instruction. What the callback does know: the
//! current translated block (the block hook saw it start; its decoded instructions are in
//! the model), and the guest registers (TCG writes them back before every load that may
//! fault). So the reader is the load of the current block whose effective address,
//! computed from those registers, is the address read; a second read in the same
//! execution of the block is looked for after the first one's position. A read whose
//! instruction cannot be found is refused (a fault), never answered with a guess.
//!
//! Registers the firmware writes (DEMCR, DWT_CTRL, SYST_CSR, VTOR, CPACR …) are kept
//! here and read back as written.

use capstone::arch::arm::{ArmOperandType, ArmShift};
use capstone::arch::{arm, BuildsCapstone, BuildsCapstoneExtraMode, DetailsArchInsn};
use capstone::{Capstone, RegId};
use std::collections::HashMap;
use unicorn_engine::RegisterARM;

/// The Private Peripheral Bus.
pub(crate) const PPB_BASE: u64 = 0xE000_0000;
pub(crate) const PPB_SIZE: u64 = 0x0010_0000;

/// The PPB's registers as the firmware wrote them, and a detail decoder for loads.
pub(crate) struct Ppb {
    words: HashMap<u64, u32>,
    cs: Option<Capstone>,
    /// The block execution (its count before the block) and the position of the last
    /// counter read answered in it.
    last_reader: Option<(u64, usize)>,
}

/// A load's address: base + disp + (index << shift) × scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemOperand {
    pub base: RegisterARM,
    pub index: Option<(RegisterARM, i32, u32)>,
    pub disp: i32,
}

impl Ppb {
    pub fn new() -> Self {
        Self {
            words: HashMap::new(),
            cs: None,
            last_reader: None,
        }
    }

    /// The word at `addr` (word aligned) as written, 0 if never written.
    pub fn word(&self, addr: u64) -> u32 {
        self.words.get(&(addr & !3)).copied().unwrap_or(0)
    }

    /// A write of `size` bytes of `value` at `addr`.
    pub fn write(&mut self, addr: u64, size: usize, value: u64) {
        let (word, shift) = (addr & !3, (addr & 3) * 8);
        let mask = if size >= 4 {
            u32::MAX
        } else {
            ((1u32 << (size * 8)) - 1) << shift
        };
        let old = self.word(word);
        let new = (old & !mask) | (((value as u32) << shift) & mask);
        self.words.insert(word, new);
    }

    /// The positions to look for the reader at in the block execution that started at
    /// instruction count `cur_count`: after the last reader found in it.
    pub fn search_from(&self, cur_count: u64) -> usize {
        match self.last_reader {
            Some((c, pos)) if c == cur_count => pos + 1,
            _ => 0,
        }
    }

    /// The reader of the block execution at `cur_count` was at `pos`.
    pub fn found(&mut self, cur_count: u64, pos: usize) {
        self.last_reader = Some((cur_count, pos));
    }

    /// The memory operand of the load encoded by `bytes` at `addr`, if it has one whose
    /// base is a general register other than the PC (PC-relative loads read flash).
    pub fn mem_operand(&mut self, addr: u64, bytes: &[u8]) -> Option<MemOperand> {
        if self.cs.is_none() {
            let cs = Capstone::new()
                .arm()
                .mode(arm::ArchMode::Thumb)
                .extra_mode([arm::ArchExtraMode::MClass].into_iter())
                .detail(true)
                .build()
                .ok()?;
            self.cs = Some(cs);
        }
        let cs = self.cs.as_ref()?;
        let insns = cs.disasm_count(bytes, addr, 1).ok()?;
        let insn = insns.iter().next()?;
        let detail = cs.insn_detail(insn).ok()?;
        let arch = detail.arch_detail();
        let ops = arch.arm()?.operands();
        for op in ops {
            let ArmOperandType::Mem(m) = op.op_type else {
                continue;
            };
            let base = reg(cs, m.base())?;
            if base == RegisterARM::PC {
                return None;
            }
            let index = match m.index() {
                RegId(0) => None,
                i => {
                    let shift = match op.shift {
                        ArmShift::Lsl(n) => n,
                        _ => 0,
                    };
                    let scale = if op.subtracted { -1 } else { m.scale() };
                    Some((reg(cs, i)?, scale, shift))
                }
            };
            return Some(MemOperand {
                base,
                index,
                disp: m.disp(),
            });
        }
        None
    }
}

impl MemOperand {
    /// The address this operand names, given a register reader.
    pub fn address(&self, read: impl Fn(RegisterARM) -> u64) -> u64 {
        let mut a = (read(self.base) as u32).wrapping_add(self.disp as u32);
        if let Some((i, scale, shift)) = self.index {
            let v = (read(i) as u32).wrapping_shl(shift);
            a = if scale < 0 {
                a.wrapping_sub(v)
            } else {
                a.wrapping_add(v)
            };
        }
        a as u64
    }
}

/// capstone's register to unicorn's, by name.
fn reg(cs: &Capstone, r: RegId) -> Option<RegisterARM> {
    use RegisterARM::*;
    let name = cs.reg_name(r)?;
    Some(match name.as_str() {
        "r0" => R0,
        "r1" => R1,
        "r2" => R2,
        "r3" => R3,
        "r4" => R4,
        "r5" => R5,
        "r6" => R6,
        "r7" => R7,
        "r8" => R8,
        "r9" | "sb" => R9,
        "r10" | "sl" => R10,
        "r11" | "fp" => R11,
        "r12" | "ip" => R12,
        "sp" | "r13" => SP,
        "lr" | "r14" => LR,
        "pc" | "r15" => PC,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_word_writes_merge_into_the_word() {
        let mut p = Ppb::new();
        p.write(0xE000_E010, 4, 0x7);
        p.write(0xE000_E011, 1, 0xAB);
        assert_eq!(p.word(0xE000_E010), 0xAB07);
        assert_eq!(p.word(0xE000_E012), 0xAB07);
    }

    #[test]
    fn load_operands_decode_to_base_index_and_offset() {
        let mut p = Ppb::new();
        // ldr r0, [r1, #4]
        let m = p.mem_operand(0, &[0x48, 0x68]).unwrap();
        assert_eq!((m.base, m.index, m.disp), (RegisterARM::R1, None, 4));
        // ldr.w r0, [r1, r2, lsl #2]
        let m = p.mem_operand(0, &[0x51, 0xF8, 0x22, 0x00]).unwrap();
        assert_eq!(m.index, Some((RegisterARM::R2, 1, 2)));
        let at = m.address(|r| if r == RegisterARM::R1 { 0x1000 } else { 3 });
        assert_eq!(at, 0x100C);
        // ldr r0, [pc, #8]: a literal, never a PPB read
        assert_eq!(p.mem_operand(0, &[0x02, 0x48]), None);
    }
}
