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

/// One translated block.
#[derive(Debug)]
pub(crate) struct Block {
    size: u32,
    pub insns: Vec<Insn>,
    /// Cycles to add to every `cum` when the previous block ended with a single
    /// load/store and the first instruction is one too (negative: they pipeline).
    entry_adjust: i64,
    last_ldst: bool,
    /// The last instruction is a branch: (fall-through address, taken penalty).
    branch: Option<(u64, u32)>,
    undecoded: u32,
}

/// Running count and cycle model of one emulated run.
pub(crate) struct CycleModel {
    table: TimingTable,
    cs: Capstone,
    arm: bool,
    blocks: Vec<Block>,
    /// Block index + 1 by `(addr - base) / 2` over the code region; elsewhere a map.
    base: u64,
    flat: Vec<u32>,
    other: HashMap<(u64, u32), u32>,
    /// Instructions executed, through the end of the current block.
    pub count: u64,
    /// Modeled cycles, through the end of the current block.
    pub cycles: u64,
    prev_ldst: bool,
    pending: Option<(u64, u32)>,
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
            base,
            flat: vec![0; (size / 2) as usize],
            other: HashMap::new(),
            count: 0,
            cycles: 0,
            prev_ldst: false,
            pending: None,
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

    /// The decoded block at `addr` of `size` bytes, if seen before.
    #[inline]
    pub fn lookup(&self, addr: u64, size: u32) -> Option<usize> {
        let idx = (addr.wrapping_sub(self.base) / 2) as usize;
        let i = match self.flat.get(idx) {
            Some(&i) if i != 0 && self.blocks[i as usize - 1].size == size => i,
            _ => *self.other.get(&(addr, size))?,
        };
        Some(i as usize - 1)
    }

    /// Decode the block at `addr` from its `bytes` and remember it.
    pub fn insert(&mut self, addr: u64, bytes: &[u8]) -> usize {
        let block = self.decode_block(addr, bytes);
        self.blocks.push(block);
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

    fn decode_block(&self, addr: u64, bytes: &[u8]) -> Block {
        let mut insns = Vec::new();
        let (mut off, mut cum, mut prev_ldst) = (0usize, 0u32, false);
        let mut undecoded = 0;
        let mut entry_adjust = 0i64;
        let mut branch = None;
        // Dual issue: the previous instruction, while it may still take a partner.
        let mut open: Option<InsnClass> = None;
        while off < bytes.len() {
            let at = addr + off as u64;
            let decoded = self.decode(at, &bytes[off..]);
            branch = None;
            match decoded {
                Some((class, size)) => {
                    if off == 0 && is_ldst(class) {
                        entry_adjust = self.table.cost(class, true) as i64
                            - self.table.cost(class, false) as i64;
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
                        branch = Some((at + size as u64, self.table.taken(class)));
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
        Block {
            size: bytes.len() as u32,
            insns,
            entry_adjust,
            last_ldst: prev_ldst,
            branch,
            undecoded,
        }
    }

    /// Enter block `i` (it starts at `addr`): count all its instructions and cycles.
    #[inline]
    pub fn enter(&mut self, i: usize, addr: u64) {
        let b = &self.blocks[i];
        let mut base = self.cycles as i64;
        if let Some((fallthrough, penalty)) = self.pending.take() {
            if addr != fallthrough {
                base += penalty as i64;
            }
        }
        if self.prev_ldst {
            base += b.entry_adjust;
        }
        self.cur = i;
        self.cur_count = self.count;
        self.cur_cycles = base;
        self.count += b.insns.len() as u64;
        self.cycles = (base + b.insns.last().map_or(0, |x| x.cum) as i64) as u64;
        self.prev_ldst = b.last_ldst;
        self.pending = b.branch;
        self.undecoded += b.undecoded as u64;
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
        self.pending = None;
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
