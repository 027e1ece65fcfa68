//! SysTick as the ARMv6-M firmware uses it (a 24-bit down-counter with the full reload and
//! its wrap interrupt on): the counter, the pending bit, and the exception taken and
//! returned the way an M-profile core does it. unicorn models no NVIC or SysTick, and
//! raises no interrupts itself, so the emulator does both here.
//!
//! The counter counts instructions from reset: its value at count `c` is
//! `0xFF_FFFF - c mod 2^24`, and it wraps at every multiple of 2^24. The exception is
//! taken at the first block boundary after a wrap where ENABLE and TICKINT are set and
//! PRIMASK is clear (a core takes it at the next instruction boundary; the firmware's
//! race-free read does not depend on when). Entry pushes the basic 8-word frame
//! (r0-r3, r12, lr, return address, xPSR) on the main stack, 8-byte aligned as with
//! CCR.STKALIGN, and enters the handler with LR = EXC_RETURN (thread, main stack); the
//! handler's return to EXC_RETURN pops it. Not modeled: the FP context of an extended
//! frame, nesting, SYST_RVR other than 0xFF_FFFF, COUNTFLAG.

use unicorn_engine::{RegisterARM, Unicorn};

/// SysTick control and status: ENABLE (bit 0), TICKINT (bit 1).
pub(crate) const SYST_CSR: u64 = 0xE000_E010;
/// SysTick current value.
pub(crate) const SYST_CVR: u64 = 0xE000_E018;
/// Interrupt control and state: PENDSTSET (bit 26), VECTACTIVE (bits 8:0).
pub(crate) const SCB_ICSR: u64 = 0xE000_ED04;
/// Vector table offset.
pub(crate) const SCB_VTOR: u64 = 0xE000_ED08;
const PERIOD: u64 = 1 << 24;
const EXCEPTION: u32 = 15;
/// EXC_RETURN: back to thread mode on the main stack, basic frame.
pub(crate) const EXC_RETURN: u32 = 0xFFFF_FFF9;
/// unicorn's exception number for a branch to EXC_RETURN in handler mode (QEMU's
/// `EXCP_EXCEPTION_EXIT`), raised to its interrupt hook.
pub(crate) const EXC_RETURN_EXCEPTION: u32 = 8;
/// xPSR bit 9 in a stacked frame: the stack was realigned by 4 bytes on entry.
const STACK_REALIGNED: u32 = 1 << 9;
const FRAME_REGS: [RegisterARM; 6] = [
    RegisterARM::R0,
    RegisterARM::R1,
    RegisterARM::R2,
    RegisterARM::R3,
    RegisterARM::R12,
    RegisterARM::LR,
];

/// The emulated SysTick of one run.
#[derive(Debug, Default)]
pub(crate) struct SysTick {
    /// Wraps dealt with: their exception taken, or dropped while TICKINT was off.
    taken: u64,
    /// Inside the handler.
    pub active: bool,
    /// Where the vector table is when VTOR reads 0 (the image's `__vector_table`).
    pub vectors: u64,
}

impl SysTick {
    /// SysTick of a core whose vector table is at `vectors`.
    pub fn new(vectors: u64) -> Self {
        Self {
            vectors,
            ..Self::default()
        }
    }

    /// SYST_CVR at instruction count `count`.
    pub fn value(count: u64) -> u32 {
        (PERIOD - 1 - count % PERIOD) as u32
    }

    /// The count at which a wrap may next want its exception.
    #[inline]
    pub fn next_due(&self) -> u64 {
        (self.taken + 1) * PERIOD
    }

    /// Whether a wrap happened that has not been taken yet.
    fn wrapped(&self, count: u64) -> bool {
        count / PERIOD > self.taken
    }

    /// SCB_ICSR at `count`, given SYST_CSR as the firmware wrote it.
    pub fn icsr(&self, count: u64, csr: u32) -> u32 {
        let pending = csr & 3 == 3 && self.wrapped(count);
        (u32::from(pending) << 26) | if self.active { EXCEPTION } else { 0 }
    }

    /// At a block boundary at `pc` with `count` instructions done: take the exception if
    /// a wrap wants it and the core accepts it now. Returns whether it was taken (the
    /// core then continues at the handler, not at `pc`).
    /// `csr` and `vtor` are SYST_CSR and SCB_VTOR as the firmware wrote them.
    pub fn maybe_take<D>(
        &mut self,
        uc: &mut Unicorn<'_, D>,
        (count, pc): (u64, u64),
        csr: u32,
        vtor: u32,
    ) -> bool {
        if self.active || !self.wrapped(count) {
            return false;
        }
        if csr & 3 != 3 {
            // No interrupt wanted: the wrap only reloads the counter.
            self.taken = count / PERIOD;
            return false;
        }
        if uc.reg_read(RegisterARM::PRIMASK).unwrap_or(1) & 1 != 0 {
            return false;
        }
        if self.enter(uc, pc, vtor as u64).is_err() {
            return false;
        }
        self.taken = count / PERIOD;
        self.active = true;
        true
    }

    fn enter<D>(&self, uc: &mut Unicorn<'_, D>, pc: u64, vtor: u64) -> Result<(), ()> {
        let e = |_| ();
        let mut sp = uc.reg_read(RegisterARM::SP).map_err(e)? as u32;
        let mut xpsr = uc.reg_read(RegisterARM::XPSR).map_err(e)? as u32;
        if sp & 4 != 0 {
            sp -= 4;
            xpsr |= STACK_REALIGNED;
        }
        sp -= 32;
        let mut frame = [0u32; 8];
        for (slot, reg) in frame.iter_mut().zip(FRAME_REGS) {
            *slot = uc.reg_read(reg).map_err(e)? as u32;
        }
        frame[6] = pc as u32 & !1;
        frame[7] = xpsr | (1 << 24);
        let bytes: Vec<u8> = frame.iter().flat_map(|w| w.to_le_bytes()).collect();
        uc.mem_write(sp as u64, &bytes).map_err(e)?;
        let table = if vtor == 0 { self.vectors } else { vtor };
        let handler = read_u32(uc, table + 4 * EXCEPTION as u64).ok_or(())?;
        uc.reg_write(RegisterARM::SP, sp as u64).map_err(e)?;
        uc.reg_write(RegisterARM::LR, EXC_RETURN as u64)
            .map_err(e)?;
        uc.reg_write(RegisterARM::IPSR, EXCEPTION as u64)
            .map_err(e)?;
        rebuild_flags(uc)?;
        uc.reg_write(RegisterARM::PC, handler as u64 | 1)
            .map_err(e)?;
        Ok(())
    }

    /// The handler returned to EXC_RETURN: pop the frame and continue where the
    /// exception was taken. Returns false if no handler was active.
    pub fn exit<D>(&mut self, uc: &mut Unicorn<'_, D>) -> bool {
        if !self.active {
            return false;
        }
        self.active = false;
        let e = |_| ();
        let run = |uc: &mut Unicorn<'_, D>| -> Result<(), ()> {
            let sp = uc.reg_read(RegisterARM::SP).map_err(e)?;
            let mut bytes = [0u8; 32];
            uc.mem_read(sp, &mut bytes).map_err(e)?;
            let w = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
            for (i, reg) in FRAME_REGS.into_iter().enumerate() {
                uc.reg_write(reg, w(i) as u64).map_err(e)?;
            }
            let xpsr = w(7);
            let realign = if xpsr & STACK_REALIGNED != 0 { 4 } else { 0 };
            uc.reg_write(RegisterARM::SP, sp + 32 + realign)
                .map_err(e)?;
            uc.reg_write(RegisterARM::XPSR, (xpsr & !STACK_REALIGNED) as u64)
                .map_err(e)?;
            uc.reg_write(RegisterARM::IPSR, 0).map_err(e)?;
            rebuild_flags(uc)?;
            uc.reg_write(RegisterARM::PC, w(6) as u64 | 1).map_err(e)?;
            Ok(())
        };
        run(uc).is_ok()
    }
}

/// Writing IPSR does not make unicorn recompute its cached translation flags (handler
/// mode decides whether a branch to EXC_RETURN is an exception return); writing the
/// condition flags does, so write them back unchanged.
fn rebuild_flags<D>(uc: &mut Unicorn<'_, D>) -> Result<(), ()> {
    let nzcv = uc.reg_read(RegisterARM::APSR_NZCV).map_err(|_| ())?;
    uc.reg_write(RegisterARM::APSR_NZCV, nzcv).map_err(|_| ())
}

fn read_u32<D>(uc: &Unicorn<'_, D>, addr: u64) -> Option<u32> {
    let mut b = [0u8; 4];
    uc.mem_read(addr, &mut b).ok()?;
    Some(u32::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_counts_down_and_wraps_at_2_pow_24() {
        assert_eq!(SysTick::value(0), 0xFF_FFFF);
        assert_eq!(SysTick::value(PERIOD - 1), 0);
        assert_eq!(SysTick::value(PERIOD), 0xFF_FFFF);
    }

    #[test]
    fn a_wrap_is_pending_only_with_tickint_until_taken() {
        let mut s = SysTick::default();
        assert_eq!(s.icsr(PERIOD - 1, 3), 0);
        assert_eq!(s.icsr(PERIOD, 3), 1 << 26);
        assert_eq!(s.icsr(PERIOD, 1), 0, "TICKINT off: nothing pends");
        s.taken = 1;
        s.active = true;
        assert_eq!(s.icsr(PERIOD + 5, 3), EXCEPTION);
        assert_eq!(s.next_due(), 2 * PERIOD);
    }
}
