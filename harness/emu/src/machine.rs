use crate::arch::{EmuCore, CSRR_A0_MCYCLE, C_RET, RET};
use crate::model::CycleModel;
use crate::profile::{ProfileRequest, Profiler, RawProfile};
use tinybench_device::rtt::{run_channels, TargetMemory, UpChannel};
use tinybench_device::ModeledReads;
use tinybench_device::{
    Device, DeviceError, DeviceInfo, DeviceStop, Fault, FirmwareImage, RunLimits,
};
use tinybench_results::CountKind;
use unicorn_engine::unicorn_const::{uc_error, HookType, MemType, Prot};
use unicorn_engine::{RegisterARM, RegisterRISCV, Unicorn};

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

/// DWT cycle counter register, read by the firmware's timer.
const DWT_CYCCNT: u64 = 0xE000_1004;
/// SysTick current value register: the ARMv6-M firmware's timer (a 24-bit down-counter).
const SYST_CVR: u64 = 0xE000_E018;
/// The Private Peripheral Bus, mapped as MMIO.
const PPB_BASE: u64 = 0xE000_0000;
const PPB_SIZE: u64 = 0x0010_0000;
const PAGE: u64 = 0x1000;

/// The unicorn-backed emulated device.
pub struct Emulator {
    config: EmuConfig,
    loaded: Option<Loaded>,
    last_modeled: Option<ModeledReads>,
    last_profile: Option<RawProfile>,
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

/// State the hooks share, stored as unicorn's user data.
struct HookState<'s> {
    count: u64,
    last_pc: u64,
    budget: u64,
    next_drain: u64,
    interval: u64,
    done: u64,
    fault: u64,
    counter_ret: u64,
    stop: Option<DeviceStop>,
    bad_access: Option<String>,
    /// Up channels 0 and 1 (the latter only if the firmware has it).
    rtt: [UpChannel; 2],
    rtt_error: Option<DeviceError>,
    scratch: Vec<u8>,
    on_bytes: &'s mut dyn FnMut(u32, &[u8]),
    /// The cycle model, advanced on every instruction.
    model: CycleModel,
    /// Modeled cycles at each firmware counter read.
    reads: Vec<u64>,
    /// The profiler, when profiling.
    profiler: Option<Profiler>,
    /// unicorn's stack-pointer register id.
    sp_reg: i32,
}

/// Target memory as RTT sees it: the emulator's own address space.
struct UcMemory<'a, 'b, 's>(&'a mut Unicorn<'b, HookState<'s>>);

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
        }
    }

    /// Drain both RTT up channels into the caller; errors are kept to be returned after
    /// the run.
    fn drain(uc: &mut Unicorn<'_, HookState<'_>>) {
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
}

fn round_up(v: u64) -> u64 {
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
        // The cycle model keeps a flat table over the code region (flash).
        let code = self
            .config
            .regions
            .iter()
            .find(|r| !r.writable)
            .or(self.config.regions.first())
            .cloned()
            .ok_or_else(|| backend_err("no memory regions"))?;
        let state = HookState {
            count: 0,
            last_pc: 0,
            budget: limits.max_instructions,
            next_drain: self.config.drain_interval,
            interval: self.config.drain_interval.max(1),
            done: l.done,
            fault: l.fault,
            counter_ret: l.counter_ret.unwrap_or(u64::MAX),
            stop: None,
            bad_access: None,
            rtt: run_channels(l.rtt),
            rtt_error: None,
            scratch: Vec::new(),
            on_bytes,
            model: CycleModel::new(self.config.core, code.origin, code.size)
                .map_err(backend_err)?,
            reads: Vec::new(),
            profiler: self.config.profile.map(Profiler::new),
            sp_reg: self.config.core.sp_reg(),
        };
        let core = self.config.core;
        let (arch, mode, model) = core.unicorn();
        let mut uc = Unicorn::new_with_data(arch, mode, state).map_err(uc_err)?;
        uc.ctl_set_cpu_model(model).map_err(uc_err)?;
        for r in &self.config.regions {
            let perms = if r.writable {
                Prot::ALL
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
        // The PPB is plain RAM with a read hook on CYCCNT that stores the instruction
        // count just before the firmware's load reads it. (An MMIO callback would be
        // simpler, but unicorn re-executes an instruction that touches MMIO mid-block,
        // which double-counts it: measured ±1 per read.)
        if core.is_arm() {
            uc.mem_map(PPB_BASE, PPB_SIZE, Prot::READ | Prot::WRITE)
                .map_err(uc_err)?;
            // The firmware's timer reads: CYCCNT counts up (32 bits); ARMv6-M's SysTick
            // current value counts down (24 bits).
            for (reg, encode) in [(DWT_CYCCNT, cyccnt as fn(u64) -> u32), (SYST_CVR, systick)] {
                uc.add_mem_hook(HookType::MEM_READ, reg, reg + 3, move |uc, _, _, _, _| {
                    counter_read(uc);
                    let st = uc.get_data_mut();
                    let value = encode(st.count);
                    let _ = uc.mem_write(reg, &value.to_le_bytes());
                    true
                })
                .map_err(uc_err)?;
            }
        }
        uc.add_code_hook(1, 0, |uc, addr, _size| {
            let st = uc.get_data_mut();
            st.count += 1;
            st.last_pc = addr;
            if addr == st.done || addr == st.fault {
                st.stop = Some(if addr == st.done {
                    DeviceStop::Done
                } else {
                    DeviceStop::FirmwareReportedFault
                });
                let _ = uc.emu_stop();
                return;
            }
            let before = st.model.cycles;
            let decoded = if st.model.needs_bytes(addr) {
                // First execution of this address: hand its bytes to the decoder.
                let mut b = [0u8; 4];
                let ok =
                    uc.mem_read(addr, &mut b).is_ok() || uc.mem_read(addr, &mut b[..2]).is_ok();
                uc.get_data_mut().model.step(addr, ok.then_some(&b[..]))
            } else {
                uc.get_data_mut().model.step(addr, None)
            };
            if uc
                .get_data()
                .profiler
                .as_ref()
                .is_some_and(Profiler::active)
            {
                let sp = uc.reg_read(uc.get_data().sp_reg).unwrap_or(0);
                let st = uc.get_data_mut();
                let cycles = st.model.cycles - before;
                if let Some(p) = st.profiler.as_mut() {
                    p.step(addr, decoded, cycles, sp);
                }
            }
            let st = uc.get_data_mut();
            if addr == st.counter_ret {
                let now = st.count & 0xFFFF_FFFF;
                counter_read(uc);
                let _ = uc.reg_write(RegisterRISCV::X10, now);
                return;
            }
            if st.count >= st.budget {
                st.stop = Some(DeviceStop::Timeout {
                    limit: format!("instruction budget of {}", st.budget),
                    instructions: Some(st.count),
                    pc: Some(addr),
                });
                let _ = uc.emu_stop();
                return;
            }
            if st.count >= st.next_drain {
                st.next_drain += st.interval;
                Emulator::drain(uc);
            }
        })
        .map_err(uc_err)?;
        uc.add_mem_hook(
            HookType::MEM_INVALID,
            1,
            0,
            |uc, kind, addr, size, _value| {
                let what = match kind {
                    MemType::READ_UNMAPPED => "invalid memory read",
                    MemType::WRITE_UNMAPPED => "invalid memory write",
                    MemType::FETCH_UNMAPPED => "instruction fetch from unmapped memory",
                    MemType::WRITE_PROT => "write to read-only memory",
                    MemType::FETCH_PROT => "instruction fetch from non-executable memory",
                    _ => "invalid memory access",
                };
                uc.get_data_mut().bad_access =
                    Some(format!("{what} of {size} bytes at {addr:#010x}"));
                false
            },
        )
        .map_err(uc_err)?;
        if core.requires_alignment() {
            uc.add_mem_hook(
                HookType::MEM_READ | HookType::MEM_WRITE,
                1,
                0,
                |uc, kind, addr, size, _| {
                    if size > 1 && addr % size as u64 != 0 {
                        let st = uc.get_data_mut();
                        let what = if kind == MemType::WRITE {
                            "write"
                        } else {
                            "read"
                        };
                        if st.stop.is_none() {
                            st.stop = Some(DeviceStop::Fault(Fault {
                                kind: format!("unaligned {size}-byte {what} at {addr:#010x}"),
                                pc: st.last_pc,
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
            let st = uc.get_data_mut();
            let kind = core.exception(intno);
            st.stop = Some(DeviceStop::Fault(Fault {
                kind,
                pc: st.last_pc,
            }));
            let _ = uc.emu_stop();
        })
        .map_err(uc_err)?;

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
        let timeout_us = limits.wall_timeout.as_micros().min(u64::MAX as u128) as u64;
        let result = uc.emu_start(begin, u64::MAX, timeout_us, 0);
        // Whatever happened, collect the last bytes the firmware wrote.
        Emulator::drain(&mut uc);
        let st = uc.get_data_mut();
        self.last_profile = st.profiler.take().map(Profiler::finish);
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
        let pc = st.last_pc;
        match result {
            Err(e) => {
                let kind = st.bad_access.take().unwrap_or_else(|| describe_uc_error(e));
                Ok(DeviceStop::Fault(Fault { kind, pc }))
            }
            Ok(()) => Ok(DeviceStop::Timeout {
                limit: format!("wall-clock limit of {:?}", limits.wall_timeout),
                instructions: Some(st.count),
                pc: Some(pc),
            }),
        }
    }
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

/// The firmware read its timer: note the modeled cycles, and open/close a profiled
/// region.
fn counter_read(uc: &mut Unicorn<'_, HookState<'_>>) {
    let sp = if uc.get_data().profiler.is_some() {
        uc.reg_read(uc.get_data().sp_reg).unwrap_or(0)
    } else {
        0
    };
    let st = uc.get_data_mut();
    st.reads.push(st.model.cycles);
    if let Some(p) = st.profiler.as_mut() {
        p.on_counter_read(sp);
    }
}

fn cyccnt(count: u64) -> u32 {
    (count & 0xFFFF_FFFF) as u32
}

fn systick(count: u64) -> u32 {
    0x00FF_FFFF - (count & 0x00FF_FFFF) as u32
}

fn uc_err(e: uc_error) -> DeviceError {
    backend_err(describe_uc_error(e))
}

fn describe_uc_error(e: uc_error) -> String {
    match e {
        uc_error::INSN_INVALID => "invalid instruction".into(),
        uc_error::READ_UNALIGNED | uc_error::WRITE_UNALIGNED => "unaligned memory access".into(),
        uc_error::FETCH_UNALIGNED => "unaligned instruction fetch".into(),
        uc_error::EXCEPTION => "unhandled CPU exception".into(),
        other => format!("unicorn error {other:?}"),
    }
}
