//! A scripted board for tests (feature `fake`): RAM holding a real SEGGER RTT control
//! block, firmware "output" written into the ring from recorded byte streams, and
//! scripted halts, faults, hangs, flaky attaches and unplugs.
//!
//! Each [`BoardSession::state`] poll plays one [`Step`], so a test says exactly what
//! the board does between two polls. Like real firmware in blocking mode, an `Emit`
//! that does not fit the ring writes what fits and waits for the host to drain.

use crate::session::{BoardSession, Clock, Connector, CoreState, FlashStatus, Reg, SessionError};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tinybench_device::rtt::TargetMemory;

/// What the board does at one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The firmware writes these bytes to up channel 0 (blocking if the ring is full).
    Emit(Vec<u8>),
    /// The firmware writes these bytes to up channel `channel` (blocking if its ring is
    /// full; dropped if the board has no such channel).
    EmitOn {
        /// Up channel index.
        channel: u32,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// The core halts with the PC here (a `bkpt`).
    Halt {
        /// PC at the halt.
        pc: u32,
    },
    /// The core halts inside a fault handler: exception number `exception` in IPSR,
    /// this frame stacked at `msp`, LR holding EXC_RETURN to thread mode on MSP.
    FaultHalt {
        /// IPSR (3 = HardFault).
        exception: u32,
        /// Stack pointer the frame is at.
        msp: u32,
        /// r0, r1, r2, r3, r12, lr, pc, xpsr.
        frame: [u32; 8],
    },
    /// The core locks up at this PC.
    LockUp {
        /// PC at lockup.
        pc: u32,
    },
    /// The probe disappears: every later call fails.
    Unplug,
}

/// The board's state, shared between the connector and the sessions it hands out.
#[derive(Debug)]
pub struct FakeState {
    ram_base: u64,
    ram: Vec<u8>,
    cb: u64,
    /// Address and size of each up channel's ring.
    rings: Vec<(u64, u32)>,
    script: VecDeque<Step>,
    core: CoreState,
    regs: HashMap<Reg, u32>,
    unplugged: bool,
    /// Attach attempts that fail before one succeeds.
    pub failing_attaches: u32,
    /// Every attach attempt number seen.
    pub attaches: Vec<u32>,
    /// Bytes of the ELFs flashed.
    pub flashed: Vec<usize>,
    /// Polls of the core state.
    pub polls: u64,
}

impl FakeState {
    /// RAM `[ram_base, ram_base + ram_size)` with an initialised control block at `cb`
    /// (one up channel, a ring of `ring_size` bytes at the end of RAM), as defmt-rtt's.
    pub fn new(ram_base: u64, ram_size: usize, cb: u64, ring_size: u32) -> Self {
        Self::with_channels(ram_base, ram_size, cb, &[ring_size])
    }

    /// As [`FakeState::new`] with one up channel per entry of `ring_sizes`, as a power
    /// firmware's two-channel control block; the rings sit at the end of RAM, channel 0's
    /// last.
    pub fn with_channels(ram_base: u64, ram_size: usize, cb: u64, ring_sizes: &[u32]) -> Self {
        let mut end = ram_base + ram_size as u64;
        let rings: Vec<(u64, u32)> = ring_sizes
            .iter()
            .map(|&size| {
                end -= u64::from(size);
                (end, size)
            })
            .collect();
        let mut s = Self {
            ram_base,
            ram: vec![0; ram_size],
            cb,
            rings: rings.clone(),
            script: VecDeque::new(),
            core: CoreState::Running,
            regs: HashMap::new(),
            unplugged: false,
            failing_attaches: 0,
            attaches: Vec::new(),
            flashed: Vec::new(),
            polls: 0,
        };
        s.poke(cb, b"SEGGER RTT\0\0\0\0\0\0");
        s.poke(cb + 16, &(rings.len() as u32).to_le_bytes()); // max up channels
        s.poke(cb + 20, &0u32.to_le_bytes()); // max down channels
        for (c, (ring, size)) in rings.iter().enumerate() {
            let desc = [0u32, *ring as u32, *size, 0, 0, 0];
            for (i, w) in desc.iter().enumerate() {
                s.poke(cb + 24 + 24 * c as u64 + 4 * i as u64, &w.to_le_bytes());
            }
        }
        s
    }

    /// Append steps to the script.
    pub fn script(&mut self, steps: impl IntoIterator<Item = Step>) {
        self.script.extend(steps);
    }

    /// Steps not played yet.
    pub fn remaining(&self) -> usize {
        self.script.len()
    }

    /// Up channel 0's flags word (mode bits), as the host left it.
    pub fn channel_flags(&self) -> u32 {
        self.flags_of(0)
    }

    /// Up channel `channel`'s flags word (mode bits), as the host left it.
    pub fn flags_of(&self, channel: u32) -> u32 {
        self.peek_u32(self.cb + 24 + 24 * u64::from(channel) + 20)
    }

    fn poke(&mut self, addr: u64, bytes: &[u8]) {
        let off = (addr - self.ram_base) as usize;
        self.ram[off..off + bytes.len()].copy_from_slice(bytes);
    }

    fn peek_u32(&self, addr: u64) -> u32 {
        let off = (addr - self.ram_base) as usize;
        u32::from_le_bytes(self.ram[off..off + 4].try_into().expect("4 bytes"))
    }

    /// Firmware side of channel `channel`'s ring: write as much as fits, return what did
    /// not (nothing when there is no such channel: the bytes are lost).
    fn emit(&mut self, channel: u32, bytes: &[u8]) -> Vec<u8> {
        let Some(&(ring, size)) = self.rings.get(channel as usize) else {
            return Vec::new();
        };
        let desc = self.cb + 24 + 24 * u64::from(channel);
        let (mut write, read) = (self.peek_u32(desc + 12), self.peek_u32(desc + 16));
        // One slot stays empty so that write == read means "empty".
        let free = (read + size - write - 1) % size;
        let n = (free as usize).min(bytes.len());
        for &b in &bytes[..n] {
            self.poke(ring + u64::from(write), &[b]);
            write = (write + 1) % size;
        }
        self.poke(desc + 12, &write.to_le_bytes());
        bytes[n..].to_vec()
    }

    fn step(&mut self) -> Result<CoreState, SessionError> {
        self.polls += 1;
        if self.unplugged {
            return Err(gone());
        }
        if self.core != CoreState::Running {
            return Ok(self.core);
        }
        match self.script.pop_front() {
            None => {} // nothing scripted: the firmware hangs
            Some(Step::Emit(bytes)) => {
                let rest = self.emit(0, &bytes);
                if !rest.is_empty() {
                    self.script.push_front(Step::Emit(rest));
                }
            }
            Some(Step::EmitOn { channel, bytes }) => {
                let rest = self.emit(channel, &bytes);
                if !rest.is_empty() {
                    self.script.push_front(Step::EmitOn {
                        channel,
                        bytes: rest,
                    });
                }
            }
            Some(Step::Halt { pc }) => {
                self.core = CoreState::Halted;
                self.regs.insert(Reg::Pc, pc);
                self.regs.insert(Reg::Xpsr, 0x0100_0000);
            }
            Some(Step::FaultHalt {
                exception,
                msp,
                frame,
            }) => {
                self.core = CoreState::Halted;
                for (i, w) in frame.iter().enumerate() {
                    self.poke(u64::from(msp) + 4 * i as u64, &w.to_le_bytes());
                }
                self.regs.insert(Reg::Msp, msp);
                self.regs.insert(Reg::Psp, 0);
                self.regs.insert(Reg::Lr, 0xFFFF_FFF9); // return to thread mode, MSP
                self.regs.insert(Reg::Xpsr, 0x0100_0000 | exception);
                self.regs.insert(Reg::Pc, 0x100); // somewhere in the handler
            }
            Some(Step::LockUp { pc }) => {
                self.core = CoreState::LockedUp;
                self.regs.insert(Reg::Pc, pc);
            }
            Some(Step::Unplug) => {
                self.unplugged = true;
                return Err(gone());
            }
        }
        Ok(self.core)
    }
}

fn gone() -> SessionError {
    SessionError {
        detail: "probe not found (USB device disconnected)".into(),
        lost: true,
    }
}

/// Lock the shared state; a test that panicked while holding it has failed anyway.
fn lock(state: &Mutex<FakeState>) -> MutexGuard<'_, FakeState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Connector handing out sessions on one [`FakeState`].
#[derive(Debug, Clone)]
pub struct FakeConnector {
    /// The board.
    pub state: Arc<Mutex<FakeState>>,
}

impl FakeConnector {
    /// A connector for `state`.
    pub fn new(state: FakeState) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }
}

impl Connector for FakeConnector {
    fn attach(&mut self, attempt: u32) -> Result<Box<dyn BoardSession>, SessionError> {
        let mut s = lock(&self.state);
        s.attaches.push(attempt);
        if s.unplugged {
            return Err(gone());
        }
        if s.failing_attaches > 0 {
            s.failing_attaches -= 1;
            return Err(SessionError::new("SWD wire error (scripted)"));
        }
        Ok(Box::new(FakeSession(self.state.clone())))
    }

    fn describe(&self) -> String {
        "fake probe 0000:0000:FAKE → FakeChip".into()
    }
}

/// A session on the fake board.
#[derive(Debug)]
pub struct FakeSession(Arc<Mutex<FakeState>>);

impl TargetMemory for FakeSession {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), String> {
        let s = lock(&self.0);
        if s.unplugged {
            return Err(gone().detail);
        }
        let off = addr
            .checked_sub(s.ram_base)
            .ok_or_else(|| format!("{addr:#x} is not RAM"))? as usize;
        let src = s
            .ram
            .get(off..off + buf.len())
            .ok_or_else(|| format!("{addr:#x} is not RAM"))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn write_u32(&mut self, addr: u64, value: u32) -> Result<(), String> {
        let mut s = lock(&self.0);
        if s.unplugged {
            return Err(gone().detail);
        }
        if addr < s.ram_base || addr + 4 > s.ram_base + s.ram.len() as u64 {
            return Err(format!("{addr:#x} is not RAM"));
        }
        s.poke(addr, &value.to_le_bytes());
        Ok(())
    }
}

impl BoardSession for FakeSession {
    fn flash(
        &mut self,
        elf: &[u8],
        progress: &mut dyn FnMut(FlashStatus),
    ) -> Result<(), SessionError> {
        let mut s = lock(&self.0);
        if s.unplugged {
            return Err(gone());
        }
        s.flashed.push(elf.len());
        progress(FlashStatus::Phase {
            name: "program",
            total: Some(elf.len() as u64),
        });
        progress(FlashStatus::Progress {
            bytes: elf.len() as u64,
        });
        progress(FlashStatus::Done);
        Ok(())
    }

    fn reset_and_run(&mut self) -> Result<(), SessionError> {
        let mut s = lock(&self.0);
        if s.unplugged {
            return Err(gone());
        }
        s.core = CoreState::Running;
        Ok(())
    }

    fn state(&mut self) -> Result<CoreState, SessionError> {
        lock(&self.0).step()
    }

    fn halt(&mut self) -> Result<(), SessionError> {
        let mut s = lock(&self.0);
        if s.unplugged {
            return Err(gone());
        }
        s.core = CoreState::Halted;
        s.regs.entry(Reg::Pc).or_insert(0x0000_0abc);
        Ok(())
    }

    fn read_reg(&mut self, reg: Reg) -> Result<u32, SessionError> {
        let s = lock(&self.0);
        if s.unplugged {
            return Err(gone());
        }
        Ok(s.regs.get(&reg).copied().unwrap_or(0))
    }
}

/// A clock that advances `step` every time it is read, and never sleeps.
#[derive(Debug)]
pub struct StepClock {
    now: Mutex<Duration>,
    step: Duration,
}

impl StepClock {
    /// Starts at zero.
    pub fn new(step: Duration) -> Self {
        Self {
            now: Mutex::new(Duration::ZERO),
            step,
        }
    }
}

impl Clock for StepClock {
    fn now(&self) -> Duration {
        let mut t = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *t += self.step;
        *t
    }
    fn sleep(&self, _d: Duration) {}
}
