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

/// What one execution of a block adds, packed into 32 bytes (aligned: one cache line)
/// because [`CycleModel::enter_cached`] reads it for every block executed; the
/// instructions themselves (`Block`) are only read inside a block (counter reads,
/// stops, profiling).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
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
    /// (`penalty` 0 otherwise).
    fallthrough: u64,
    penalty: u32,
    /// Cycles to add to every `cum` when the previous block ended with a single
    /// load/store and the first instruction is one too (negative: they pipeline).
    entry_adjust: i16,
    last_ldst: bool,
}

/// Running count and cycle model of one emulated run.
pub(crate) struct CycleModel {
    table: TimingTable,
    cs: Capstone,
    arm: bool,
    blocks: Vec<Block>,
    /// `blocks`' summaries, by the same index.
    summaries: Vec<Summary>,
    /// Block index + 1 by `(addr - base) / 2` over the code region; elsewhere a map.
    base: u64,
    flat: Vec<u32>,
    other: HashMap<(u64, u32), u32>,
    /// Instructions executed, through the end of the current block.
    pub count: u64,
    /// Modeled cycles, through the end of the current block.
    pub cycles: u64,
    prev_ldst: bool,
    /// The previous block's branch: its fall-through address and taken penalty (0: no
    /// branch).
    pending: (u64, u32),
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
            flat: vec![0; (size / 2) as usize],
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
        let Some(&i) = self.flat.get(idx) else {
            return false;
        };
        let Some(s) = self.summaries.get((i as usize).wrapping_sub(1)) else {
            return false;
        };
        if s.size != size || self.count + s.insns as u64 >= limit {
            return false;
        }
        let s = *s;
        self.enter_summary(i as usize - 1, &s, addr);
        true
    }

    /// The decoded block at `addr` of `size` bytes, if seen before.
    pub fn lookup(&self, addr: u64, size: u32) -> Option<usize> {
        let idx = (addr.wrapping_sub(self.base) / 2) as usize;
        let i = match self.flat.get(idx) {
            Some(&i) if i != 0 && self.summaries[i as usize - 1].size == size => i,
            _ => *self.other.get(&(addr, size))?,
        };
        Some(i as usize - 1)
    }

    /// Decode the block at `addr` from its `bytes` and remember it.
    pub fn insert(&mut self, addr: u64, bytes: &[u8]) -> usize {
        let (block, summary) = self.decode_block(addr, bytes);
        self.blocks.push(block);
        self.summaries.push(summary);
        let i = self.blocks.len() as u32;
        let idx = (addr.wrapping_sub(self.base) / 2) as usize;
        match self.flat.get_mut(idx) {
            Some(slot) if *slot == 0 => *slot = i,
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
            fallthrough: branch.0,
            penalty: branch.1,
            entry_adjust,
            last_ldst: prev_ldst,
        };
        (Block { insns }, summary)
    }

    /// Enter block `i` (it starts at `addr`): count all its instructions and cycles.
    pub fn enter(&mut self, i: usize, addr: u64) {
        let s = self.summaries[i];
        self.enter_summary(i, &s, addr);
    }

    #[inline]
    fn enter_summary(&mut self, i: usize, s: &Summary, addr: u64) {
        let (fallthrough, penalty) = self.pending;
        let mut base = self.cycles as i64;
        if addr != fallthrough {
            base += penalty as i64;
        }
        if self.prev_ldst {
            base += s.entry_adjust as i64;
        }
        self.cur = i;
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
