use crate::arch::{EmuCore, CSRR_A0_MCYCLE, C_RET, RET};
use crate::block_hook;
use crate::hooks::{self, HookState, Uc};
use crate::memory::{add_invalid_access_hooks, identity_tlb};
use crate::model::CycleModel;
use crate::ppb::{Ppb, PPB_BASE, PPB_SIZE};
use crate::profile::{ProfileRequest, Profiler, RawProfile};
use crate::systick::{SysTick, EXC_RETURN_EXCEPTION};
use std::time::Instant;
use tinybench_device::rtt::run_channels;
use tinybench_device::ModeledReads;
use tinybench_device::{
    Device, DeviceError, DeviceInfo, DeviceStop, Fault, FirmwareImage, RunLimits,
};
use tinybench_results::CountKind;
use unicorn_engine::unicorn_const::{uc_error, HookType, MemType, Prot};
use unicorn_engine::{RegisterARM, Unicorn};

/// A memory region of the emulated target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemRegion {
    /// `flash` or `ram` (for messages).
    pub name: String,
    /// Start address.
    pub origin: u64,
    /// Size in bytes.
    pub size: u64,
    /// Writable by the firmware (RAM).
    pub writable: bool,
}

/// How to build the emulated machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmuConfig {
    /// CPU model.
    pub core: EmuCore,
    /// Flash and RAM regions.
    pub regions: Vec<MemRegion>,
    /// Instructions between two RTT drains.
    pub drain_interval: u64,
    /// Profile the timed regions (per address and call stack); off for plain runs.
    pub profile: Option<ProfileRequest>,
}

const PAGE: u64 = 0x1000;
/// A firmware counter's range: 32-bit CYCCNT and `mcycle` reads.
const COUNTER_RANGE: u64 = 1 << 32;

/// The unicorn-backed emulated device.
pub struct Emulator {
    config: EmuConfig,
    loaded: Option<Loaded>,
    last_modeled: Option<ModeledReads>,
    last_profile: Option<RawProfile>,
    last_read_counts: Vec<u64>,
    last_read_pcs: Vec<u64>,
    counter_range: u64,
}

struct Loaded {
    image: FirmwareImage,
    done: u64,
    fault: u64,
    rtt: u64,
    reset: Reset,
    /// RISC-V: address of the `ret` of `tinybench_read_counter`, where `a0` is replaced
    /// by the instruction count. (Cortex-M reads DWT CYCCNT through memory instead.)
    counter_ret: Option<u64>,
}

/// How the core starts.
enum Reset {
    /// Cortex-M: SP and PC from the vector table at this address.
    VectorTable(u64),
    /// RISC-V: PC at the ELF entry; riscv-rt sets up the stack itself.
    Entry(u64),
}

fn backend_err(detail: impl std::fmt::Display) -> DeviceError {
    DeviceError::Backend {
        backend: "emulator".into(),
        detail: detail.to_string(),
    }
}

impl Emulator {
    /// The profile of the last run, if profiling was configured.
    pub fn take_profile(&mut self) -> Option<RawProfile> {
        self.last_profile.take()
    }

    /// An emulated target with this configuration.
    pub fn new(config: EmuConfig) -> Self {
        Self {
            config,
            loaded: None,
            last_modeled: None,
            last_profile: None,
            last_read_counts: Vec::new(),
            last_read_pcs: Vec::new(),
            counter_range: COUNTER_RANGE,
        }
    }

    /// The instructions executed at each counter read of the last run, in order: what
    /// the firmware's counter should have returned (tests compare the two).
    pub fn read_counts(&self) -> &[u64] {
        &self.last_read_counts
    }

    /// The address of the reading instruction of each counter read of the last run (the
    /// ARM cross-check has QEMU count at them).
    pub fn read_pcs(&self) -> &[u64] {
        &self.last_read_pcs
    }

    /// Give the firmware's counters `bits` bits instead of 32 (at most 32), so tests can
    /// show a region too long for the counter is refused without running 2^32
    /// instructions.
    pub fn with_counter_bits(mut self, bits: u32) -> Self {
        self.counter_range = 1 << bits.min(32);
        self
    }
}

pub(crate) fn round_up(v: u64) -> u64 {
    v.div_ceil(PAGE) * PAGE
}

impl Device for Emulator {
    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            backend: "emulator (unicorn-engine 2.1)".into(),
            count_kind: CountKind::InstructionsEmulated,
        }
    }

    fn modeled_reads(&self) -> Option<ModeledReads> {
        self.last_modeled.clone()
    }

    fn load(&mut self, image: &FirmwareImage) -> Result<(), DeviceError> {
        if image.machine != self.config.core.elf_machine() {
            return Err(DeviceError::Load(format!(
                "the ELF is for machine {} but this emulated target is a {:?} (machine {})",
                image.machine,
                self.config.core,
                self.config.core.elf_machine()
            )));
        }
        for seg in &image.segments {
            let end = seg.addr + seg.data.len() as u64;
            let fits = self
                .config
                .regions
                .iter()
                .any(|r| seg.addr >= r.origin && end <= r.origin + r.size);
            if !fits {
                return Err(DeviceError::Load(format!(
                    "segment {:#010x}..{end:#010x} ({} bytes) lies outside the target's memory ({})",
                    seg.addr,
                    seg.data.len(),
                    self.config
                        .regions
                        .iter()
                        .map(|r| format!("{} {:#010x}+{}K", r.name, r.origin, r.size / 1024))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let need = |name: &'static str| {
            image
                .require(name)
                .map_err(|e| DeviceError::Load(e.to_string()))
        };
        let (reset, counter_ret) = if self.config.core.is_arm() {
            let vt = image
                .symbol("__vector_table")
                .or_else(|| self.config.regions.first().map(|r| r.origin))
                .ok_or_else(|| DeviceError::Load("no vector table".into()))?;
            (Reset::VectorTable(vt), None)
        } else {
            let f = need("tinybench_read_counter")?;
            (Reset::Entry(image.entry), Some(counter_ret(image, f)?))
        };
        self.loaded = Some(Loaded {
            done: need("tinybench_done")?,
            fault: need("tinybench_fault")?,
            rtt: need("_SEGGER_RTT")?,
            reset,
            counter_ret,
            image: image.clone(),
        });
        Ok(())
    }

    fn run(
        &mut self,
        limits: &RunLimits,
        on_bytes: &mut dyn FnMut(u32, &[u8]),
    ) -> Result<DeviceStop, DeviceError> {
        let l = self
            .loaded
            .as_ref()
            .ok_or_else(|| backend_err("run before load"))?;
        if l.done == l.fault {
            return Err(DeviceError::Load(
                "tinybench_done and tinybench_fault share an address; the firmware must keep them distinct".into(),
            ));
        }
        let state = self.hook_state(l, limits, on_bytes)?;
        let core = self.config.core;
        let (arch, mode, model) = core.unicorn();
        let mut uc = Unicorn::new_with_data(arch, mode, state).map_err(uc_err)?;
        uc.ctl_set_cpu_model(model).map_err(uc_err)?;
        if core.is_arm() {
            // QEMU gives M-profile cores 1 KiB pages (for MPU regions that small; no
            // firmware here enables the MPU). A jump across a page boundary cannot be
            // chained to its target block and goes through a look-up instead, and a
            // block ends at one: with 4 KiB pages (the mapping's granule) VWW ran
            // measurably faster, with the same counts.
            uc.ctl_set_page_size(PAGE as u32).map_err(uc_err)?;
        }
        self.map_memory(&mut uc, l)?;
        // Dropped after the run, before the engine.
        let _block_hook = block_hook::add(&mut uc).map_err(uc_err)?;
        add_hooks(&mut uc, core, l, self.config.profile.is_some())?;
        add_invalid_access_hooks(&mut uc, &self.config.regions)?;
        // RAM read/write but not executable, so stores to RAM stay on unicorn's fast
        // path (about 1.5x the speed; docs/emulator.md).
        identity_tlb(&mut uc, &self.config.regions, core.is_arm())?;
        let begin = match l.reset {
            Reset::VectorTable(vt) => {
                let mut word = [0u8; 4];
                uc.mem_read(vt, &mut word).map_err(uc_err)?;
                uc.reg_write(RegisterARM::SP, u32::from_le_bytes(word) as u64)
                    .map_err(uc_err)?;
                uc.mem_read(vt + 4, &mut word).map_err(uc_err)?;
                // The Thumb bit tells unicorn to start in Thumb state.
                u32::from_le_bytes(word) as u64 | 1
            }
            Reset::Entry(pc) => pc,
        };
        // No unicorn timeout: its timer thread alone cost ~40 % of the run time; the
        // block hook looks at the wall clock instead.
        let result = uc.emu_start(begin, u64::MAX, 0, 0);
        // Whatever happened, collect the last bytes the firmware wrote.
        hooks::drain(&mut uc);
        let st = uc.get_data_mut();
        self.last_profile = st.profiler.take().map(Profiler::finish);
        self.last_read_counts = std::mem::take(&mut st.read_counts);
        self.last_read_pcs = std::mem::take(&mut st.read_pcs);
        self.last_modeled = Some(ModeledReads {
            model: st.model.name().to_string(),
            reads: std::mem::take(&mut st.reads),
            undecoded: st.model.undecoded,
        });
        if let Some(err) = st.rtt_error.take() {
            return Err(err);
        }
        if let Some(stop) = st.stop.take() {
            return Ok(stop);
        }
        let kind = match result {
            Err(e) => st.bad_access.take().unwrap_or_else(|| describe_uc_error(e)),
            Ok(()) => "the emulator stopped without reaching a marker".into(),
        };
        let pc = uc.reg_read(core.pc_reg()).unwrap_or(0);
        Ok(DeviceStop::Fault(Fault { kind, pc }))
    }
}

impl Emulator {
    fn hook_state<'s>(
        &self,
        l: &Loaded,
        limits: &RunLimits,
        on_bytes: &'s mut dyn FnMut(u32, &[u8]),
    ) -> Result<HookState<'s>, DeviceError> {
        // The cycle model keeps a flat table over the code region (flash).
        let code = self
            .config
            .regions
            .iter()
            .find(|r| !r.writable)
            .or(self.config.regions.first())
            .cloned()
            .ok_or_else(|| backend_err("no memory regions"))?;
        let core = self.config.core;
        let vectors = match l.reset {
            Reset::VectorTable(vt) => vt,
            Reset::Entry(_) => 0,
        };
        Ok(HookState {
            model: CycleModel::new(core, code.origin, code.size).map_err(backend_err)?,
            budget: limits.max_instructions,
            next_drain: self.config.drain_interval,
            interval: self.config.drain_interval.max(1),
            deadline: Instant::now().checked_add(limits.wall_timeout),
            wall: limits.wall_timeout,
            clock_at: 0,
            fast_until: 0,
            stop: None,
            bad_access: None,
            rtt: run_channels(l.rtt),
            rtt_error: None,
            scratch: Vec::new(),
            on_bytes,
            reads: Vec::new(),
            read_counts: Vec::new(),
            read_pcs: Vec::new(),
            last_read: 0,
            counter_range: self.counter_range,
            profiler: self.config.profile.map(Profiler::new),
            prof_next: 0,
            sp_reg: core.sp_reg(),
            systick: core.is_arm().then(|| SysTick::new(vectors)),
            ppb: Ppb::new(),
        })
    }

    fn map_memory(&self, uc: &mut Uc<'_, '_>, l: &Loaded) -> Result<(), DeviceError> {
        for r in &self.config.regions {
            // RAM is not executable: stores to a page unicorn may have translated code
            // from all take its slow path (self-modifying-code checks), which cost ~10 %
            // of the run time; the firmware runs from flash only.
            let perms = if r.writable {
                Prot::READ | Prot::WRITE
            } else {
                Prot::READ | Prot::EXEC
            };
            uc.mem_map(r.origin, round_up(r.size), perms).map_err(|e| {
                backend_err(format!("mapping {} at {:#010x}: {e:?}", r.name, r.origin))
            })?;
        }
        for seg in &l.image.segments {
            uc.mem_write(seg.addr, &seg.data).map_err(uc_err)?;
        }
        if self.config.core.is_arm() {
            // The PPB is MMIO: only the loads that hit it leave unicorn's fast path (a
            // memory-read hook on the counter registers sent every load through the slow
            // path and cost about 45 % of the run time). `ppb` says how a read finds the
            // reading instruction.
            uc.mmio_map(
                PPB_BASE,
                PPB_SIZE,
                Some(hooks::on_ppb_read),
                Some(hooks::on_ppb_write),
            )
            .map_err(uc_err)?;
        }
        Ok(())
    }
}

/// The hooks of a run: per block, at the markers and counter reads, on bad accesses and
/// exceptions, and (profiling only) per instruction.
fn add_hooks(
    uc: &mut Uc<'_, '_>,
    core: EmuCore,
    l: &Loaded,
    profile: bool,
) -> Result<(), DeviceError> {
    for (marker, done) in [(l.done, true), (l.fault, false)] {
        uc.add_code_hook(marker, marker, move |uc, _, _| hooks::on_marker(uc, done))
            .map_err(uc_err)?;
    }
    if let Some(ret) = l.counter_ret {
        uc.add_code_hook(ret, ret, |uc, addr, _| hooks::on_counter_ret(uc, addr))
            .map_err(uc_err)?;
    }
    if profile {
        uc.add_code_hook(1, 0, |uc, addr, _| hooks::on_profiled_insn(uc, addr))
            .map_err(uc_err)?;
    }
    if core.requires_alignment() {
        uc.add_mem_hook(
            HookType::MEM_READ | HookType::MEM_WRITE,
            1,
            0,
            move |uc, kind, addr, size, _| {
                if size > 1 && addr % size as u64 != 0 {
                    let what = if kind == MemType::WRITE {
                        "write"
                    } else {
                        "read"
                    };
                    // unicorn syncs the PC before memory hooks: the accessing instruction.
                    let pc = uc.reg_read(core.pc_reg()).unwrap_or(0);
                    let st = uc.get_data_mut();
                    if st.stop.is_none() {
                        st.stop = Some(DeviceStop::Fault(Fault {
                            kind: format!("unaligned {size}-byte {what} at {addr:#010x}"),
                            pc,
                        }));
                    }
                    let _ = uc.emu_stop();
                }
                true
            },
        )
        .map_err(uc_err)?;
    }
    uc.add_intr_hook(move |uc, intno| {
        if core.is_arm() && intno == EXC_RETURN_EXCEPTION && hooks::exception_return(uc) {
            return;
        }
        let pc = fault_pc(uc, core);
        let st = uc.get_data_mut();
        if st.stop.is_none() {
            st.stop = Some(DeviceStop::Fault(Fault {
                kind: core.exception(intno),
                pc,
            }));
        }
        let _ = uc.emu_stop();
    })
    .map_err(uc_err)?;
    Ok(())
}

/// The instruction that raised an exception. unicorn leaves the ARM PC on it, but
/// advances the RISC-V PC by 4 before the interrupt hook: step back to the instruction
/// of the current block that ends there (2 or 4 bytes long).
fn fault_pc(uc: &Uc<'_, '_>, core: EmuCore) -> u64 {
    let pc = uc.reg_read(core.pc_reg()).unwrap_or(0);
    if core.is_arm() {
        return pc;
    }
    let model = &uc.get_data().model;
    [4u64, 2]
        .into_iter()
        .map(|back| pc.wrapping_sub(back))
        .find(|&a| model.position(a).is_some())
        .unwrap_or(pc.wrapping_sub(4))
}

/// Check that `tinybench_read_counter` is `csrr a0, mcycle; ret` and return the address
/// of its `ret`, where the emulator supplies the count. Checked rather than assumed so a
/// compiler that lays it out differently gets a clear error, never a wrong number.
fn counter_ret(image: &FirmwareImage, f: u64) -> Result<u64, DeviceError> {
    let bytes = image
        .read(f, 8)
        .ok_or_else(|| DeviceError::Load("tinybench_read_counter is not in the image".into()))?;
    let first = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let next16 = u16::from_le_bytes([bytes[4], bytes[5]]);
    let next32 = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if first == CSRR_A0_MCYCLE && (next16 == C_RET || next32 == RET) {
        Ok(f + 4)
    } else {
        Err(DeviceError::Load(format!(
            "tinybench_read_counter at {f:#x} is not `csrr a0, mcycle; ret` (found {first:#010x} {next32:#010x})"
        )))
    }
}

pub(crate) fn uc_err(e: uc_error) -> DeviceError {
    backend_err(describe_uc_error(e))
}

fn describe_uc_error(e: uc_error) -> String {
    match e {
        uc_error::INSN_INVALID => "invalid instruction".into(),
        uc_error::READ_UNALIGNED | uc_error::WRITE_UNALIGNED => "unaligned memory access".into(),
        uc_error::FETCH_UNALIGNED => "unaligned instruction fetch".into(),
        uc_error::EXCEPTION => "unhandled CPU exception".into(),
        // RAM has no invalid-access hook (see `add_invalid_access_hooks`): the PC beside
        // this message is the address fetched from.
        uc_error::FETCH_PROT => "instruction fetch from non-executable memory (RAM)".into(),
        other => format!("unicorn error {other:?}"),
    }
}
