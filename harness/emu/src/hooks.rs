//! The hooks of one run and the state they share. Counting is per translated block
//! ([`on_block`]): no hook runs per instruction in a plain run. Everything that must
//! happen at one exact instruction inside a block finds its position in the block's
//! decoded instructions: the done/fault markers and the RISC-V counter read through
//! narrow code hooks (unicorn calls a code hook only at the addresses it covers), the
//! Cortex-M counter reads through the PPB's MMIO callback, which finds the reading
//! instruction in the current block (`ppb`).

use crate::model::CycleModel;
use crate::ppb::{Ppb, PPB_BASE};
use crate::profile::Profiler;
use crate::systick::{SysTick, SCB_ICSR, SCB_VTOR, SYST_CSR, SYST_CVR};
use crate::timing::InsnClass;
use std::time::{Duration, Instant};
use tinybench_device::rtt::{TargetMemory, UpChannel};
use tinybench_device::{DeviceError, DeviceStop, Fault};
use unicorn_engine::{RegisterRISCV, Unicorn};

/// DWT cycle counter register, read by the firmware's timer.
pub(crate) const DWT_CYCCNT: u64 = 0xE000_1004;
/// Instructions between two looks at the wall clock (a few milliseconds).
const CLOCK_EVERY: u64 = 1 << 22;

/// State the hooks share, stored as unicorn's user data.
pub(crate) struct HookState<'s> {
    /// Counts and the cycle model, advanced per block.
    pub model: CycleModel,
    pub budget: u64,
    pub next_drain: u64,
    pub interval: u64,
    pub deadline: Option<Instant>,
    pub wall: Duration,
    /// The count at which to look at the wall clock next.
    pub clock_at: u64,
    /// Below this count after a block, nothing but counting happens at a block boundary
    /// (no budget stop, drain, clock or SysTick due): the minimum of those, or 0 while
    /// profiling. Set by [`on_block_slow`].
    pub fast_until: u64,
    pub stop: Option<DeviceStop>,
    pub bad_access: Option<String>,
    /// Up channels 0 and 1 (the latter only if the firmware has it).
    pub rtt: [UpChannel; 2],
    pub rtt_error: Option<DeviceError>,
    pub scratch: Vec<u8>,
    pub on_bytes: &'s mut dyn FnMut(u32, &[u8]),
    /// Modeled cycles at each firmware counter read.
    pub reads: Vec<u64>,
    /// Instructions executed at each firmware counter read (the reading one included).
    pub read_counts: Vec<u64>,
    /// The reading instruction of each counter read.
    pub read_pcs: Vec<u64>,
    /// Instruction count at the previous counter read, and the counter's range: a
    /// region of that many instructions or more would wrap.
    pub last_read: u64,
    pub counter_range: u64,
    /// The profiler, when profiling, and the next position of the current block it has
    /// not accounted for.
    pub profiler: Option<Profiler>,
    pub prof_next: usize,
    /// unicorn's stack-pointer register id.
    pub sp_reg: i32,
    /// Cortex-M: the emulated SysTick.
    pub systick: Option<SysTick>,
    /// Cortex-M: the PPB's registers as written, and how a read finds its instruction.
    pub ppb: Ppb,
}

pub(crate) type Uc<'a, 's> = Unicorn<'a, HookState<'s>>;

/// Target memory as RTT sees it: the emulator's own address space.
struct UcMemory<'a, 'b, 's>(&'a mut Uc<'b, 's>);

impl TargetMemory for UcMemory<'_, '_, '_> {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), String> {
        self.0.mem_read(addr, buf).map_err(|e| format!("{e:?}"))
    }
    fn write_u32(&mut self, addr: u64, value: u32) -> Result<(), String> {
        self.0
            .mem_write(addr, &value.to_le_bytes())
            .map_err(|e| format!("{e:?}"))
    }
}

/// Drain both RTT up channels into the caller; errors are kept to be returned after the
/// run.
pub(crate) fn drain(uc: &mut Uc<'_, '_>) {
    for i in 0..uc.get_data().rtt.len() {
        let mut rtt = uc.get_data().rtt[i].clone();
        let mut scratch = std::mem::take(&mut uc.get_data_mut().scratch);
        scratch.clear();
        let r = rtt.drain(&mut UcMemory(uc), &mut scratch);
        let st = uc.get_data_mut();
        st.rtt[i] = rtt;
        match r {
            Ok(0) => {}
            Ok(_) => (st.on_bytes)(st.rtt[i].channel(), &scratch),
            Err(e) => {
                if st.rtt_error.is_none() {
                    st.rtt_error = Some(e.into());
                }
            }
        }
        st.scratch = scratch;
    }
}

fn stop(uc: &mut Uc<'_, '_>, why: DeviceStop) {
    let st = uc.get_data_mut();
    if st.stop.is_none() {
        st.stop = Some(why);
    }
    let _ = uc.emu_stop();
}

/// A translated block is about to run: count it. Everything else a block boundary may
/// have to do waits for a count (`fast_until`), so most blocks cost a table look-up and
/// a few additions; the others, and blocks not decoded yet, take [`on_block_slow`].
#[inline]
pub(crate) fn on_block(uc: &mut Uc<'_, '_>, addr: u64, size: u32) {
    let st = uc.get_data_mut();
    if st.model.enter_cached(addr, size, st.fast_until) {
        st.prof_next = 0;
        return;
    }
    on_block_slow(uc, addr, size);
    let st = uc.get_data_mut();
    st.fast_until = if st.profiler.is_some() {
        0
    } else {
        let due = st.systick.as_ref().map_or(u64::MAX, SysTick::next_due);
        st.budget.min(st.next_drain).min(st.clock_at).min(due)
    };
}

/// A block boundary that has more to do than counting: take a due SysTick exception
/// instead, or decode and count the block, then check the budget, the RTT drain interval
/// and the wall clock.
#[inline(never)]
fn on_block_slow(uc: &mut Uc<'_, '_>, addr: u64, size: u32) {
    if take_exception(uc, addr) {
        return;
    }
    let st = uc.get_data_mut();
    let i = match st.model.lookup(addr, size) {
        Some(i) => i,
        None => {
            let mut bytes = vec![0u8; size as usize];
            if uc.mem_read(addr, &mut bytes).is_err() {
                return;
            }
            uc.get_data_mut().model.insert(addr, &bytes)
        }
    };
    let st = uc.get_data_mut();
    if st.profiler.is_some() {
        flush_profile(uc, None);
    }
    let st = uc.get_data_mut();
    st.model.enter(i, addr);
    st.prof_next = 0;
    if st.model.count >= st.budget {
        let pos = (st.budget - st.model.cur_count).saturating_sub(1) as usize;
        let pc = st.model.current().map(|b| b.insns[pos].addr);
        let limit = format!("instruction budget of {}", st.budget);
        let instructions = Some(st.budget);
        return stop(
            uc,
            DeviceStop::Timeout {
                limit,
                instructions,
                pc,
            },
        );
    }
    if st.model.count >= st.next_drain {
        st.next_drain = st.model.count + st.interval;
        drain(uc);
    }
    let st = uc.get_data_mut();
    if st.model.count >= st.clock_at {
        st.clock_at = st.model.count + CLOCK_EVERY;
        if st.deadline.is_some_and(|d| Instant::now() >= d) {
            let why = DeviceStop::Timeout {
                limit: format!("wall-clock limit of {:?}", st.wall),
                instructions: Some(st.model.cur_count),
                pc: Some(addr),
            };
            stop(uc, why);
        }
    }
}

/// Cortex-M: take a SysTick exception that is due at this block boundary.
fn take_exception(uc: &mut Uc<'_, '_>, addr: u64) -> bool {
    let st = uc.get_data_mut();
    let count = st.model.count;
    let Some(mut t) = st.systick.take_if(|t| count >= t.next_due()) else {
        return false;
    };
    let (csr, vtor) = (st.ppb.word(SYST_CSR), st.ppb.word(SCB_VTOR));
    let taken = t.maybe_take(uc, (count, addr), csr, vtor);
    let st = uc.get_data_mut();
    st.systick = Some(t);
    if taken {
        if st.profiler.is_some() {
            flush_profile(uc, None);
        }
        let st = uc.get_data_mut();
        let c = st.model.exception_cycles();
        st.model.add_cycles(c);
        st.model.leave_block();
    }
    taken
}

/// Cortex-M: the SysTick handler returned to EXC_RETURN (unicorn raised its exception
/// exit). Returns false if no handler was active.
pub(crate) fn exception_return(uc: &mut Uc<'_, '_>) -> bool {
    let Some(mut t) = uc.get_data_mut().systick.take() else {
        return false;
    };
    let ok = t.exit(uc);
    let st = uc.get_data_mut();
    st.systick = Some(t);
    if ok {
        let c = st.model.exception_cycles();
        st.model.add_cycles(c);
    }
    ok
}

/// The done or fault marker was reached.
pub(crate) fn on_marker(uc: &mut Uc<'_, '_>, done: bool) {
    stop(
        uc,
        if done {
            DeviceStop::Done
        } else {
            DeviceStop::FirmwareReportedFault
        },
    );
}

/// The firmware read its counter with the instruction at position `pos` of the current
/// block (at `pc`): note the modeled cycles, refuse a region that would wrap the counter,
/// open/close a profiled region. Returns the count.
fn counter_read(uc: &mut Uc<'_, '_>, pos: Option<usize>, pc: u64, check_range: bool) -> u64 {
    let sp = if uc.get_data().profiler.is_some() {
        uc.reg_read(uc.get_data().sp_reg).unwrap_or(0)
    } else {
        0
    };
    let st = uc.get_data_mut();
    let count = pos.map_or(st.model.count, |p| st.model.count_through(p));
    let cycles = pos.map_or(st.model.cycles, |p| st.model.cycles_through(p));
    st.reads.push(cycles);
    st.read_counts.push(count);
    st.read_pcs.push(pc);
    let since = count - st.last_read;
    st.last_read = count;
    if let Some(p) = st.profiler.as_mut() {
        p.on_counter_read(sp);
    }
    if check_range && since >= st.counter_range {
        let kind = format!(
            "counter wrap: {since} instructions since the previous counter read do not fit the \
             firmware's {}-bit counter; the count would be printed modulo 2^{}, so it is refused",
            st.counter_range.trailing_zeros(),
            st.counter_range.trailing_zeros()
        );
        stop(uc, DeviceStop::Fault(Fault { kind, pc }));
    }
    count
}

/// The position in the current block of the load that reads `addr`: the first load,
/// after the previous reader of this block execution, whose effective address from the
/// current registers is `addr`'s word (see `ppb`).
fn find_reader(uc: &mut Uc<'_, '_>, addr: u64) -> Option<usize> {
    let st = uc.get_data();
    let cur_count = st.model.cur_count;
    let from = st.ppb.search_from(cur_count);
    let loads: Vec<(usize, u64)> = st
        .model
        .current()?
        .insns
        .iter()
        .enumerate()
        .skip(from)
        .filter(|(_, i)| {
            matches!(
                i.decoded,
                Some((InsnClass::Load | InsnClass::LoadMulti { .. }, _))
            )
        })
        .map(|(k, i)| (k, i.addr))
        .collect();
    for (k, at) in loads {
        let mut bytes = [0u8; 4];
        if uc.mem_read(at, &mut bytes).is_err() && uc.mem_read(at, &mut bytes[..2]).is_err() {
            continue;
        }
        let Some(m) = uc.get_data_mut().ppb.mem_operand(at, &bytes) else {
            continue;
        };
        let ea = m.address(|r| uc.reg_read(r).unwrap_or(0));
        if ea & !3 == addr & !3 {
            uc.get_data_mut().ppb.found(cur_count, k);
            return Some(k);
        }
    }
    None
}

/// Cortex-M: a read of `size` bytes at PPB offset `offset`. DWT CYCCNT, SysTick's value
/// and ICSR are answered from the exact instruction count at the reading instruction;
/// every other register reads as the firmware wrote it.
pub(crate) fn on_ppb_read(uc: &mut Uc<'_, '_>, offset: u64, size: usize) -> u64 {
    let addr = PPB_BASE + offset;
    let reg = addr & !3;
    let value = if [DWT_CYCCNT, SYST_CVR, SCB_ICSR].contains(&reg) {
        match find_reader(uc, addr) {
            Some(pos) => counter_value(uc, reg, pos),
            None => {
                let pc = uc.get_data().model.current().map_or(0, |b| b.insns[0].addr);
                let kind = format!(
                    "a read of {reg:#010x} by an instruction the emulator could not find in \
                     the block starting here; its count is unknown, so the run is stopped"
                );
                stop(uc, DeviceStop::Fault(Fault { kind, pc }));
                0
            }
        }
    } else {
        uc.get_data().ppb.word(reg)
    };
    let v = (value >> ((addr & 3) * 8)) as u64;
    if size >= 4 {
        v
    } else {
        v & ((1 << (size * 8)) - 1)
    }
}

/// Cortex-M: a write to the PPB, kept to be read back.
pub(crate) fn on_ppb_write(uc: &mut Uc<'_, '_>, offset: u64, size: usize, value: u64) {
    uc.get_data_mut().ppb.write(PPB_BASE + offset, size, value);
}

/// The value of counter register `reg` read at position `pos` of the current block.
fn counter_value(uc: &mut Uc<'_, '_>, reg: u64, pos: usize) -> u32 {
    let pc = uc
        .get_data()
        .model
        .current()
        .map_or(0, |b| b.insns[pos].addr);
    match reg {
        DWT_CYCCNT => counter_read(uc, Some(pos), pc, true) as u32,
        SYST_CVR => SysTick::value(counter_read(uc, Some(pos), pc, false)),
        _ => {
            let st = uc.get_data();
            let count = st.model.count_through(pos);
            let csr = st.ppb.word(SYST_CSR);
            st.systick.as_ref().map_or(0, |t| t.icsr(count, csr))
        }
    }
}

/// RISC-V: the `ret` of `tinybench_read_counter`, where `a0` becomes the count.
pub(crate) fn on_counter_ret(uc: &mut Uc<'_, '_>, addr: u64) {
    let pos = uc.get_data().model.position(addr);
    let count = counter_read(uc, pos, addr, true);
    let _ = uc.reg_write(RegisterRISCV::X10, count & 0xFFFF_FFFF);
}

/// Profiling: one instruction at `addr` is about to run. Instructions of the block
/// before it that unicorn skipped (failed IT conditions) are accounted first.
pub(crate) fn on_profiled_insn(uc: &mut Uc<'_, '_>, addr: u64) {
    if !uc
        .get_data()
        .profiler
        .as_ref()
        .is_some_and(Profiler::active)
    {
        // Outside a region: only keep the position.
        let st = uc.get_data_mut();
        if let Some(p) = st.model.position(addr) {
            st.prof_next = p + 1;
        }
        return;
    }
    let Some(pos) = uc.get_data().model.position(addr) else {
        return;
    };
    flush_profile(uc, Some(pos + 1));
}

/// Step the profiler over the current block's positions from `prof_next` up to `end`
/// (the block's end when `None`).
fn flush_profile(uc: &mut Uc<'_, '_>, end: Option<usize>) {
    let sp = uc.reg_read(uc.get_data().sp_reg).unwrap_or(0);
    let st = uc.get_data_mut();
    let Some(b) = st.model.current() else {
        return;
    };
    let end = end.unwrap_or(b.insns.len()).min(b.insns.len());
    for k in st.prof_next..end {
        let insn = b.insns[k];
        let cycles = st.model.cycles_of(k);
        if let Some(p) = st.profiler.as_mut() {
            p.step(insn.addr, insn.decoded, cycles, sp);
        }
    }
    st.prof_next = st.prof_next.max(end);
}
