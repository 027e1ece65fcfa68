//! The per-core cycle model: instruction classes and each core's published timings.
//!
//! Pure and small on purpose: [`classify_arm`]/[`classify_riscv`] map a disassembled
//! instruction (capstone's mnemonic and operands) to an [`InsnClass`], and a
//! [`TimingTable`] gives its cycles. The emulator adds them up per executed instruction,
//! plus the taken-branch penalty when control does not fall through.
//!
//! Sources: the instruction timing tables of the Cortex-M0+, M3 and M4 Technical
//! Reference Manuals, and the SiFive E31 Core Complex Manual's pipeline chapter. Where a
//! manual gives a data-dependent range (divide, long multiply on M3) the model takes a
//! fixed middle value. Known limits, all documented in docs/cycle-model.md: no flash wait
//! states or caches, no bus contention, no interrupt latency; the M7 (whose TRM publishes
//! no per-instruction table) is modeled single-issue with a perfect branch predictor, and
//! the M33 with the M4's table.

/// What an instruction is, for timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsnClass {
    /// Data processing, moves, compares, IT, CSR access, nop.
    Alu,
    /// Single load (LDR*, LW/LH/LB).
    Load,
    /// Single store.
    Store,
    /// Load multiple / POP of `n` registers; `pc` when it also loads the PC.
    LoadMulti {
        /// Registers loaded.
        n: u8,
        /// The PC is one of them (a branch).
        pc: bool,
    },
    /// Store multiple / PUSH of `n` registers.
    StoreMulti {
        /// Registers stored.
        n: u8,
    },
    /// 32×32→32 multiply.
    Mul,
    /// Multiply-accumulate 32-bit (MLA/MLS).
    MulAcc,
    /// 32×32→64 multiply or multiply-accumulate.
    MulLong,
    /// DSP extension MAC (SMLAD, SMLABB, SMUAD …).
    DspMac,
    /// Hardware divide.
    Div,
    /// Conditional branch (taken or not decided at run time).
    BranchCond,
    /// Unconditional direct branch.
    Branch,
    /// Call (BL/BLX, JAL with link).
    Call,
    /// Indirect branch / return (BX, JALR, RET).
    Indirect,
    /// Table branch (TBB/TBH).
    TableBranch,
}

impl InsnClass {
    /// Whether control may leave the fall-through path after this instruction.
    pub fn is_branch(self) -> bool {
        matches!(
            self,
            InsnClass::BranchCond
                | InsnClass::Branch
                | InsnClass::Call
                | InsnClass::Indirect
                | InsnClass::TableBranch
                | InsnClass::LoadMulti { pc: true, .. }
        )
    }
}

/// One core's timings, in cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingTable {
    /// Model name, printed with the numbers.
    pub name: &'static str,
    /// Single load.
    pub load: u8,
    /// Single store.
    pub store: u8,
    /// A load/store directly after another single load/store (M3/M4 pipeline their
    /// address and data phases).
    pub ldst_pipelined: u8,
    /// Extra cycles per register of LDM/STM/PUSH/POP, on top of 1.
    pub per_reg: u8,
    /// MUL.
    pub mul: u8,
    /// MLA/MLS.
    pub mul_acc: u8,
    /// SMULL/UMULL/SMLAL/UMLAL (middle of a data-dependent range where given).
    pub mul_long: u8,
    /// DSP MACs.
    pub dsp_mac: u8,
    /// SDIV/UDIV/DIV/REM (middle of the range).
    pub div: u8,
    /// A branch instruction itself (not taken).
    pub branch: u8,
    /// Extra cycles when a branch is taken (pipeline refill).
    pub taken_penalty: u8,
    /// Extra cycles of a call/indirect branch/table branch over a plain taken branch.
    pub call_extra: u8,
    /// Exception entry, and again its return (stacking/unstacking the 8-word frame):
    /// the TRM's interrupt latency. Only the ARMv6-M firmware's SysTick wrap takes one.
    pub exception: u8,
    /// Dual issue (M7): two neighbouring single-cycle instructions issue in one cycle
    /// when at most one accesses memory, at most one multiplies and the first is not a
    /// branch (see [`TimingTable::pairs`]).
    pub dual_issue: bool,
}

impl TimingTable {
    /// Cortex-M0+ TRM, instruction set summary: 2-stage pipeline, single-cycle
    /// multiplier option, LDR/STR 2, taken branch 2, BL 3, LDM/STM/PUSH/POP 1+N.
    pub const CORTEX_M0PLUS: TimingTable = TimingTable {
        name: "Cortex-M0+ TRM timings",
        load: 2,
        store: 2,
        ldst_pipelined: 2,
        per_reg: 1,
        mul: 1,
        mul_acc: 2,
        mul_long: 4,
        dsp_mac: 1,
        div: 7,
        branch: 1,
        taken_penalty: 1,
        call_extra: 1,
        exception: 15,
        dual_issue: false,
    };
    /// Cortex-M3 TRM: LDR/STR 2 (neighbours pipeline to 1), MLA 2, long multiply 3–5,
    /// divide 2–12, taken branch 1+P (P = 2 assumed).
    pub const CORTEX_M3: TimingTable = TimingTable {
        name: "Cortex-M3 TRM timings",
        load: 2,
        store: 2,
        ldst_pipelined: 1,
        per_reg: 1,
        mul: 1,
        mul_acc: 2,
        mul_long: 4,
        dsp_mac: 1,
        div: 7,
        branch: 1,
        taken_penalty: 2,
        call_extra: 0,
        exception: 12,
        dual_issue: false,
    };
    /// Cortex-M4 TRM: as the M3, but MLA and all long multiplies and DSP MACs are single
    /// cycle.
    pub const CORTEX_M4: TimingTable = TimingTable {
        name: "Cortex-M4 TRM timings",
        mul_acc: 1,
        mul_long: 1,
        ..TimingTable::CORTEX_M3
    };
    /// Cortex-M33: the M4's table (same 3-stage pipeline class; the M33 TRM gives no
    /// per-instruction table).
    pub const CORTEX_M33: TimingTable = TimingTable {
        name: "Cortex-M33 (M4 timings assumed)",
        ..TimingTable::CORTEX_M4
    };
    /// Cortex-M7: the M4's costs with TCM loads, a predictor that always hits, and a
    /// rough dual-issue rule ([`TimingTable::pairs`]) without data dependencies: the M7
    /// TRM publishes no per-instruction table, so this is an approximation either way.
    pub const CORTEX_M7: TimingTable = TimingTable {
        name: "Cortex-M7 dual-issue approximation",
        load: 1,
        store: 1,
        ldst_pipelined: 1,
        taken_penalty: 0,
        dual_issue: true,
        ..TimingTable::CORTEX_M4
    };
    /// SiFive E31 manual: one instruction per cycle, load-use latency 2 (modeled as a
    /// 2-cycle load), pipelined multiplier, divider 2–33 cycles (middle taken),
    /// taken branches and jumps cost a bubble.
    pub const SIFIVE_E31: TimingTable = TimingTable {
        name: "SiFive E31 manual timings",
        load: 2,
        store: 1,
        ldst_pipelined: 2,
        per_reg: 1,
        mul: 1,
        mul_acc: 1,
        mul_long: 1,
        dsp_mac: 1,
        div: 17,
        branch: 1,
        taken_penalty: 1,
        call_extra: 0,
        exception: 0,
        dual_issue: false,
    };

    /// Cycles of an instruction of class `c`, given whether the previous one was a
    /// single load/store; the taken-branch penalty is added separately.
    pub fn cost(&self, c: InsnClass, prev_ldst: bool) -> u32 {
        let ldst = |base: u8| if prev_ldst { self.ldst_pipelined.min(base) } else { base } as u32;
        match c {
            InsnClass::Alu => 1,
            InsnClass::Load => ldst(self.load),
            InsnClass::Store => ldst(self.store),
            InsnClass::LoadMulti { n, .. } | InsnClass::StoreMulti { n } => {
                1 + self.per_reg as u32 * n as u32
            }
            InsnClass::Mul => self.mul as u32,
            InsnClass::MulAcc => self.mul_acc as u32,
            InsnClass::MulLong => self.mul_long as u32,
            InsnClass::DspMac => self.dsp_mac as u32,
            InsnClass::Div => self.div as u32,
            InsnClass::BranchCond | InsnClass::Branch => self.branch as u32,
            InsnClass::Call | InsnClass::Indirect => self.branch as u32 + self.call_extra as u32,
            InsnClass::TableBranch => self.load as u32 + self.call_extra as u32,
        }
    }

    /// Dual issue: whether `second` issues in the same cycle as `first`: both single
    /// cycle, `first` an ALU instruction or a store (not a branch; not a load or a
    /// multiply, whose results come late enough that the next instruction usually waits),
    /// and not two memory accesses. No register dependencies are looked at.
    pub fn pairs(&self, first: InsnClass, second: InsnClass) -> bool {
        let single = |c: InsnClass| self.cost(c, false) == 1;
        let mem = |c: InsnClass| is_ldst(c);
        let mul = |c: InsnClass| {
            matches!(
                c,
                InsnClass::Mul | InsnClass::MulAcc | InsnClass::MulLong | InsnClass::DspMac
            )
        };
        self.dual_issue
            && single(first)
            && single(second)
            && matches!(first, InsnClass::Alu | InsnClass::Store)
            && !(mem(first) && mem(second))
            && !(mul(first) && mul(second))
    }

    /// Penalty when a branch of class `c` is taken.
    pub fn taken(&self, c: InsnClass) -> u32 {
        if c.is_branch() {
            self.taken_penalty as u32
        } else {
            0
        }
    }
}

/// Whether `c` is a single load or store (for the pipelining rule).
pub fn is_ldst(c: InsnClass) -> bool {
    matches!(c, InsnClass::Load | InsnClass::Store)
}

const ARM_CONDS: [&str; 16] = [
    "", "eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt",
];

fn reg_count(op_str: &str) -> u8 {
    let inside = op_str
        .split('{')
        .nth(1)
        .and_then(|s| s.split('}').next())
        .unwrap_or("");
    let mut n = 0u8;
    for part in inside.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        // A range like r4-r7 counts every register in it.
        n += match part.split_once('-') {
            Some((a, b)) => {
                let num = |r: &str| r.trim().trim_start_matches('r').parse::<u8>().ok();
                match (num(a), num(b)) {
                    (Some(a), Some(b)) if b >= a => b - a + 1,
                    _ => 1,
                }
            }
            None => 1,
        };
    }
    n.max(1)
}

/// Classify a Thumb instruction from capstone's mnemonic and operand text.
pub fn classify_arm(mnemonic: &str, op_str: &str) -> InsnClass {
    let m = mnemonic.trim_end_matches(".w").trim_end_matches(".n");
    let writes_pc = op_str.split(',').next().is_some_and(|d| d.trim() == "pc");
    if m == "pop" || m.starts_with("ldm") {
        return InsnClass::LoadMulti {
            n: reg_count(op_str),
            pc: op_str.contains("pc"),
        };
    }
    if m == "push" || m.starts_with("stm") {
        return InsnClass::StoreMulti {
            n: reg_count(op_str),
        };
    }
    if m.starts_with("ldrd") {
        return InsnClass::LoadMulti { n: 2, pc: false };
    }
    if m.starts_with("strd") {
        return InsnClass::StoreMulti { n: 2 };
    }
    if m.starts_with("ldr") || m.starts_with("vldr") || m.starts_with("ldaex") {
        return if writes_pc {
            InsnClass::Indirect
        } else {
            InsnClass::Load
        };
    }
    if m.starts_with("str") || m.starts_with("vstr") {
        return InsnClass::Store;
    }
    if m.starts_with("tbb") || m.starts_with("tbh") {
        return InsnClass::TableBranch;
    }
    if m == "cbz" || m == "cbnz" {
        return InsnClass::BranchCond;
    }
    if m == "bl" || m.starts_with("blx") {
        return InsnClass::Call;
    }
    if m.starts_with("bx") {
        return InsnClass::Indirect;
    }
    if let Some(cond) = m.strip_prefix('b') {
        if cond == "al" || cond.is_empty() {
            return InsnClass::Branch;
        }
        if ARM_CONDS.contains(&cond) || ["le", "gt", "ge", "lt"].contains(&cond) {
            return InsnClass::BranchCond;
        }
    }
    if m == "sdiv" || m == "udiv" {
        return InsnClass::Div;
    }
    if ["smull", "umull", "smlal", "umlal", "umaal"]
        .iter()
        .any(|p| m.starts_with(p))
    {
        return InsnClass::MulLong;
    }
    if m == "mla" || m == "mls" {
        return InsnClass::MulAcc;
    }
    if m == "mul" || m == "muls" {
        return InsnClass::Mul;
    }
    if [
        "smla", "smul", "smua", "smls", "smmul", "smmla", "smmls", "smus", "usad",
    ]
    .iter()
    .any(|p| m.starts_with(p))
    {
        return InsnClass::DspMac;
    }
    if writes_pc && (m.starts_with("mov") || m.starts_with("add")) {
        return InsnClass::Indirect;
    }
    InsnClass::Alu
}

/// Classify an RV32IMAC instruction from capstone's mnemonic (aliases included).
pub fn classify_riscv(mnemonic: &str, _op_str: &str) -> InsnClass {
    let m = mnemonic.trim_start_matches("c.");
    match m {
        "lw" | "lh" | "lhu" | "lb" | "lbu" | "lwsp" | "flw" => InsnClass::Load,
        "sw" | "sh" | "sb" | "swsp" | "fsw" => InsnClass::Store,
        "mul" => InsnClass::Mul,
        "mulh" | "mulhu" | "mulhsu" => InsnClass::MulLong,
        "div" | "divu" | "rem" | "remu" => InsnClass::Div,
        "beq" | "bne" | "blt" | "bge" | "bltu" | "bgeu" | "beqz" | "bnez" | "blez" | "bgez"
        | "bltz" | "bgtz" | "bgt" | "ble" | "bgtu" | "bleu" => InsnClass::BranchCond,
        "j" => InsnClass::Branch,
        "jal" => InsnClass::Call,
        "jalr" | "jr" | "ret" => InsnClass::Indirect,
        _ if m.starts_with("lr.") || m.starts_with("amo") => InsnClass::Load,
        _ if m.starts_with("sc.") => InsnClass::Store,
        _ => InsnClass::Alu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_classes() {
        assert_eq!(classify_arm("ldr.w", "r0, [r1, #4]"), InsnClass::Load);
        assert_eq!(classify_arm("ldrsb", "r0, [r1, r2]"), InsnClass::Load);
        assert_eq!(
            classify_arm("pop", "{r4, r5, r7, pc}"),
            InsnClass::LoadMulti { n: 4, pc: true }
        );
        assert_eq!(
            classify_arm("push.w", "{r4-r11, lr}"),
            InsnClass::StoreMulti { n: 9 }
        );
        assert_eq!(classify_arm("bne", "#0x100"), InsnClass::BranchCond);
        assert_eq!(classify_arm("b.w", "#0x100"), InsnClass::Branch);
        assert_eq!(classify_arm("bl", "#0x100"), InsnClass::Call);
        assert_eq!(classify_arm("bx", "lr"), InsnClass::Indirect);
        assert_eq!(classify_arm("bic", "r0, r1"), InsnClass::Alu);
        assert_eq!(classify_arm("mla", "r0, r1, r2, r3"), InsnClass::MulAcc);
        assert_eq!(classify_arm("smlad", "r0, r1, r2, r3"), InsnClass::DspMac);
        assert_eq!(classify_arm("smull", "r0, r1, r2, r3"), InsnClass::MulLong);
        assert_eq!(classify_arm("ldr", "pc, [sp], #4"), InsnClass::Indirect);
    }

    #[test]
    fn riscv_classes() {
        assert_eq!(classify_riscv("c.lw", "a0, 0(a1)"), InsnClass::Load);
        assert_eq!(classify_riscv("bnez", "a0, 8"), InsnClass::BranchCond);
        assert_eq!(classify_riscv("ret", ""), InsnClass::Indirect);
        assert_eq!(classify_riscv("mul", "a0, a1, a2"), InsnClass::Mul);
        assert_eq!(classify_riscv("c.addi", "a0, 1"), InsnClass::Alu);
    }

    #[test]
    fn m4_costs_follow_the_trm_table() {
        let t = TimingTable::CORTEX_M4;
        assert_eq!(t.cost(InsnClass::Load, false), 2);
        assert_eq!(t.cost(InsnClass::Load, true), 1);
        assert_eq!(t.cost(InsnClass::LoadMulti { n: 4, pc: true }, false), 5);
        assert_eq!(t.cost(InsnClass::MulAcc, false), 1);
        assert_eq!(TimingTable::CORTEX_M3.cost(InsnClass::MulAcc, false), 2);
        assert_eq!(
            t.cost(InsnClass::BranchCond, false) + t.taken(InsnClass::BranchCond),
            3
        );
        assert_eq!(t.taken(InsnClass::Alu), 0);
        assert_eq!(TimingTable::CORTEX_M0PLUS.cost(InsnClass::Load, true), 2);
    }

    #[test]
    fn only_the_m7_dual_issues_and_not_after_a_load() {
        let m7 = TimingTable::CORTEX_M7;
        assert!(m7.pairs(InsnClass::Alu, InsnClass::Alu));
        assert!(m7.pairs(InsnClass::Alu, InsnClass::Load));
        assert!(m7.pairs(InsnClass::Store, InsnClass::Alu));
        assert!(!m7.pairs(InsnClass::Load, InsnClass::Alu));
        assert!(!m7.pairs(InsnClass::Store, InsnClass::Load));
        assert!(!m7.pairs(InsnClass::BranchCond, InsnClass::Alu));
        assert!(!m7.pairs(InsnClass::Alu, InsnClass::Div));
        assert!(!TimingTable::CORTEX_M4.pairs(InsnClass::Alu, InsnClass::Alu));
    }
}
