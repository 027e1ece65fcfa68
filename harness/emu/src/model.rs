//! Counting and the cycle model per translated block: each block unicorn translates is
//! decoded once (capstone) into its instructions, their classes and the modeled cycles
//! from the block's entry through each of them; every execution of the block then adds
//! its instruction count and cycles at once. The taken-branch penalty is added when the
//! next block does not start at the fall-through of the block's last branch, and the
//! load/store pipelining rule across the block boundary by a per-block adjustment, so
//! the totals equal stepping the same model instruction by instruction.
//!
//! A block's instruction count includes instructions an IT block skips (their condition
//! fails): the core spends an issue slot on each, and unicorn, which jumps over them,
//! would otherwise not count them. The cycle model charges them their full cost (see
//! docs/cycle-model.md).

use crate::arch::EmuCore;
use crate::timing::{classify_arm, classify_riscv, is_ldst, InsnClass, TimingTable};
use capstone::arch::{arm, riscv, BuildsCapstone, BuildsCapstoneExtraMode};
use capstone::Capstone;
use std::collections::HashMap;

pub(crate) type Decoded = Option<(InsnClass, u8)>;

/// One instruction of a block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Insn {
    pub addr: u64,
    /// Modeled cycles from the block's entry through this instruction, with no
    /// load/store before the block.
    pub cum: u32,
    pub decoded: Decoded,
}

/// One translated block: its instructions, for the positions inside it.
#[derive(Debug)]
pub(crate) struct Block {
    pub insns: Vec<Insn>,
}

/// What one execution of a block adds. [`CycleModel::enter_cached`] reads it for every
/// block executed, packed into the 32 bytes of its slot in the code region's table
/// ([`Summary::pack`]), so a block costs one load of one cache line; the instructions
/// themselves (`Block`) are only read inside a block (counter reads, stops, profiling).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Summary {
    /// The block's size in bytes (a block at the same address may be translated again
    /// with another size).
    size: u32,
    /// Instructions, those an IT block skips included.
    insns: u32,
    /// Modeled cycles from the entry through the last instruction (its `cum`).
    cycles: u32,
    undecoded: u32,
    /// The last instruction is a branch: its fall-through address and taken penalty
    /// (`penalty` 0 otherwise). Addresses are 32-bit on every emulated core.
    fallthrough: u32,
    penalty: u16,
    /// Cycles to add to every `cum` when the previous block ended with a single
    /// load/store and the first instruction is one too (negative: they pipeline).
    entry_adjust: i16,
    last_ldst: bool,
    /// The block's index + 1 (0: an empty slot).
    block: u32,
}

impl Summary {
    /// Packed into four words; all zeros is an empty slot. Words rather than the struct
    /// itself so the table can be a zeroed allocation (`vec![[0; 4]; n]`), which the
    /// system commits page by page as blocks are found, with no `unsafe`.
    fn pack(&self) -> [u64; 4] {
        [
            self.size as u64 | (self.insns as u64) << 32,
            self.cycles as u64 | (self.undecoded as u64) << 32,
            self.fallthrough as u64 | (self.block as u64) << 32,
            self.penalty as u64
                | (self.entry_adjust as u16 as u64) << 16
                | (self.last_ldst as u64) << 32,
        ]
    }

    #[inline]
    fn unpack(w: &[u64; 4]) -> Self {
        Self {
            size: w[0] as u32,
            insns: (w[0] >> 32) as u32,
            cycles: w[1] as u32,
            undecoded: (w[1] >> 32) as u32,
            fallthrough: w[2] as u32,
            block: (w[2] >> 32) as u32,
            penalty: w[3] as u16,
            entry_adjust: (w[3] >> 16) as u16 as i16,
            last_ldst: (w[3] >> 32) & 1 != 0,
        }
    }
}

/// Running count and cycle model of one emulated run.
pub(crate) struct CycleModel {
    table: TimingTable,
    cs: Capstone,
    arm: bool,
    blocks: Vec<Block>,
    /// `blocks`' summaries, by the same index.
    summaries: Vec<Summary>,
    /// Each block's packed summary by `(addr - base) / 2` over the code region; elsewhere
    /// (or a second size at one address) a map to the block index + 1.
    base: u64,
    flat: Vec<[u64; 4]>,
    other: HashMap<(u64, u32), u32>,
    /// Instructions executed, through the end of the current block.
    pub count: u64,
    /// Modeled cycles, through the end of the current block.
    pub cycles: u64,
    prev_ldst: bool,
    /// The previous block's branch: its fall-through address and taken penalty (0: no
    /// branch).
    pending: (u32, u16),
    /// Instructions capstone could not decode (counted as 1 cycle each).
    pub undecoded: u64,
    /// The current block, and the count and cycles before its first instruction.
    pub cur: usize,
    pub cur_count: u64,
    cur_cycles: i64,
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
            blocks: Vec::new(),
            summaries: Vec::new(),
            base,
            flat: vec![[0; 4]; (size / 2) as usize],
            other: HashMap::new(),
            count: 0,
            cycles: 0,
            prev_ldst: false,
            pending: (0, 0),
            undecoded: 0,
            cur: usize::MAX,
            cur_count: 0,
            cur_cycles: 0,
        })
    }

    /// The model's name, printed with its numbers.
    pub fn name(&self) -> &'static str {
        self.table.name
    }

    /// The hot path: enter the block at `addr` of `size` bytes if it is in the code
    /// region's table and the count after it stays below `limit`; false (nothing done)
    /// otherwise.
    #[inline]
    pub fn enter_cached(&mut self, addr: u64, size: u32, limit: u64) -> bool {
        let idx = (addr.wrapping_sub(self.base) / 2) as usize;
        let Some(w) = self.flat.get(idx) else {
            return false;
        };
        let s = Summary::unpack(w);
        if s.size != size || s.block == 0 || self.count + s.insns as u64 >= limit {
            return false;
        }
        self.enter_summary(&s, addr);
        true
    }

    /// The decoded block at `addr` of `size` bytes, if seen before.
    pub fn lookup(&self, addr: u64, size: u32) -> Option<usize> {
        let idx = (addr.wrapping_sub(self.base) / 2) as usize;
        let i = match self.flat.get(idx).map(Summary::unpack) {
            Some(s) if s.block != 0 && s.size == size => s.block,
            _ => *self.other.get(&(addr, size))?,
        };
        Some(i as usize - 1)
    }

    /// Decode the block at `addr` from its `bytes` and remember it.
    pub fn insert(&mut self, addr: u64, bytes: &[u8]) -> usize {
        let (block, mut summary) = self.decode_block(addr, bytes);
        let i = self.blocks.len() as u32 + 1;
        summary.block = i;
        self.blocks.push(block);
        self.summaries.push(summary);
        let idx = (addr.wrapping_sub(self.base) / 2) as usize;
        match self.flat.get_mut(idx) {
            Some(slot) if *slot == [0; 4] => *slot = summary.pack(),
            _ => {
                self.other.insert((addr, bytes.len() as u32), i);
            }
        }
        i as usize - 1
    }

    fn decode(&self, addr: u64, bytes: &[u8]) -> Decoded {
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

    fn decode_block(&self, addr: u64, bytes: &[u8]) -> (Block, Summary) {
        let mut insns = Vec::new();
        let (mut off, mut cum, mut prev_ldst) = (0usize, 0u32, false);
        let mut undecoded = 0;
        let mut entry_adjust = 0i16;
        let mut branch = (0, 0);
        // Dual issue: the previous instruction, while it may still take a partner.
        let mut open: Option<InsnClass> = None;
        while off < bytes.len() {
            let at = addr + off as u64;
            let decoded = self.decode(at, &bytes[off..]);
            branch = (0, 0);
            match decoded {
                Some((class, size)) => {
                    if off == 0 && is_ldst(class) {
                        entry_adjust = self.table.cost(class, true) as i16
                            - self.table.cost(class, false) as i16;
                    }
                    if open.is_some_and(|first| self.table.pairs(first, class)) {
                        // Issues beside the previous instruction: no cycle of its own.
                        open = None;
                    } else {
                        cum += self.table.cost(class, prev_ldst);
                        open = Some(class);
                    }
                    prev_ldst = is_ldst(class);
                    if class.is_branch() {
                        branch = (at + size as u64, self.table.taken(class));
                    }
                    off += size as usize;
                }
                None => {
                    // Not decodable: one cycle, and step by the smallest instruction.
                    undecoded += 1;
                    cum += 1;
                    open = None;
                    prev_ldst = false;
                    off += if self.arm {
                        thumb_len(&bytes[off..])
                    } else {
                        2
                    };
                }
            }
            insns.push(Insn {
                addr: at,
                cum,
                decoded,
            });
        }
        let summary = Summary {
            size: bytes.len() as u32,
            insns: insns.len() as u32,
            cycles: cum,
            undecoded,
            fallthrough: branch.0 as u32,
            penalty: branch.1 as u16,
            entry_adjust,
            last_ldst: prev_ldst,
            block: 0,
        };
        (Block { insns }, summary)
    }

    /// Enter block `i` (it starts at `addr`): count all its instructions and cycles.
    pub fn enter(&mut self, i: usize, addr: u64) {
        let s = self.summaries[i];
        self.enter_summary(&s, addr);
    }

    #[inline]
    fn enter_summary(&mut self, s: &Summary, addr: u64) {
        let (fallthrough, penalty) = self.pending;
        let mut base = self.cycles as i64;
        if addr as u32 != fallthrough {
            base += penalty as i64;
        }
        if self.prev_ldst {
            base += s.entry_adjust as i64;
        }
        self.cur = s.block as usize - 1;
        self.cur_count = self.count;
        self.cur_cycles = base;
        self.count += s.insns as u64;
        self.cycles = (base + s.cycles as i64) as u64;
        self.prev_ldst = s.last_ldst;
        self.pending = (s.fallthrough, s.penalty);
        self.undecoded += s.undecoded as u64;
    }

    /// Control left the current block before its end (an exception was taken at its
    /// start): nothing of it ran.
    pub fn leave_block(&mut self) {
        self.cur = usize::MAX;
    }

    /// The current block.
    pub fn current(&self) -> Option<&Block> {
        self.blocks.get(self.cur)
    }

    /// Position of the instruction at `pc` in the current block.
    pub fn position(&self, pc: u64) -> Option<usize> {
        let b = self.current()?;
        b.insns.binary_search_by_key(&pc, |x| x.addr).ok()
    }

    /// Instructions executed through position `pos` of the current block (included).
    pub fn count_through(&self, pos: usize) -> u64 {
        self.cur_count + pos as u64 + 1
    }

    /// Modeled cycles through position `pos` of the current block (included).
    pub fn cycles_through(&self, pos: usize) -> u64 {
        let cum = self.current().map_or(0, |b| b.insns[pos].cum);
        (self.cur_cycles + cum as i64) as u64
    }

    /// Cycles of the instruction at position `pos` of the current block alone.
    pub fn cycles_of(&self, pos: usize) -> u64 {
        let before = if pos == 0 {
            self.cur_cycles as u64
        } else {
            self.cycles_through(pos - 1)
        };
        self.cycles_through(pos) - before
    }

    /// Cycles of an exception entry and return the model adds (not instructions).
    pub fn add_cycles(&mut self, n: u32) {
        self.cycles += n as u64;
        self.pending = (0, 0);
        self.prev_ldst = false;
    }

    /// The table's exception entry (stacking) cycles.
    pub fn exception_cycles(&self) -> u32 {
        self.table.exception as u32
    }
}

/// Length of the Thumb instruction starting with these bytes (2 or 4).
fn thumb_len(b: &[u8]) -> usize {
    match b.get(1) {
        Some(hi) if (hi >> 3) >= 0b11101 => 4,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_survives_packing() {
        let s = Summary {
            size: 0xFFFF_FFFE,
            insns: 7,
            cycles: 0x8000_0001,
            undecoded: 3,
            fallthrough: 0xFFFF_FFF0,
            penalty: 2,
            entry_adjust: -1,
            last_ldst: true,
            block: 42,
        };
        assert_eq!(Summary::unpack(&s.pack()), s);
        assert_eq!(
            Summary::default().pack(),
            [0; 4],
            "an empty slot is all zeros"
        );
    }

    #[test]
    fn a_block_is_found_by_address_and_size_and_counted() {
        let mut m = CycleModel::new(EmuCore::CortexM4, 0, 0x100).unwrap();
        // adds r0, #1; ldr r1, [r2]; bne.n (taken or not, decided at run time)
        let code = [0x01, 0x30, 0x11, 0x68, 0xfb, 0xd1];
        assert!(!m.enter_cached(0x10, 6, u64::MAX), "not decoded yet");
        let i = m.insert(0x10, &code);
        assert_eq!(m.lookup(0x10, 6), Some(i));
        assert_eq!(m.lookup(0x10, 4), None, "another size is another block");
        assert!(
            !m.enter_cached(0x10, 6, 3),
            "the count would reach the limit"
        );
        assert!(m.enter_cached(0x10, 6, 4));
        assert_eq!((m.count, m.cur_count), (3, 0));
        // ALU 1 + load 2 + branch 1; entering 0x10 again, not the fall-through 0x16,
        // adds the M4's taken penalty 2.
        assert_eq!(m.cycles, 4);
        assert!(m.enter_cached(0x10, 6, u64::MAX));
        assert_eq!((m.count, m.cycles), (6, 10));
    }
}
