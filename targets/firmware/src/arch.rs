//! The few things that differ per architecture: entry, cycle counter, stop, faults.

#[cfg(target_arch = "arm")]
mod imp {
    pub use cortex_m_rt::entry;
    use cortex_m_rt::{exception, ExceptionFrame};

    /// Enable the DWT cycle counter (trace must be on for DWT to count).
    #[cfg(not(armv6m))]
    pub fn init_counter() {
        // SAFETY: called once at start-up before anything else uses the core peripherals.
        let mut cp = unsafe { cortex_m::Peripherals::steal() };
        cp.DCB.enable_trace();
        cp.DWT.enable_cycle_counter();
    }

    /// DWT CYCCNT. In the emulator the same read returns instructions executed.
    #[cfg(not(armv6m))]
    #[inline(always)]
    pub fn read_counter() -> u32 {
        cortex_m::peripheral::DWT::cycle_count()
    }

    /// Counter difference; CYCCNT is a full 32-bit counter.
    #[cfg(not(armv6m))]
    #[inline(always)]
    pub fn elapsed(t0: u32, t1: u32) -> u32 {
        t1.wrapping_sub(t0)
    }

    /// ARMv6-M (Cortex-M0/M0+) has no DWT cycle counter: run SysTick from the core clock
    /// with the full 24-bit reload and count its down-counting value instead.
    #[cfg(armv6m)]
    pub fn init_counter() {
        use cortex_m::peripheral::syst::SystClkSource;
        // SAFETY: called once at start-up before anything else uses the core peripherals.
        let mut cp = unsafe { cortex_m::Peripherals::steal() };
        cp.SYST.set_clock_source(SystClkSource::Core);
        cp.SYST.set_reload(0x00FF_FFFF);
        cp.SYST.clear_current();
        cp.SYST.enable_counter();
    }

    /// Cycles as an up-count from SysTick's current value (24 bits). In the emulator the
    /// read returns instructions executed, in the same form.
    #[cfg(armv6m)]
    #[inline(always)]
    pub fn read_counter() -> u32 {
        0x00FF_FFFF - cortex_m::peripheral::SYST::get_current()
    }

    /// Counter difference modulo SysTick's 24 bits: regions must stay under 2^24 counts.
    #[cfg(armv6m)]
    #[inline(always)]
    pub fn elapsed(t0: u32, t1: u32) -> u32 {
        t1.wrapping_sub(t0) & 0x00FF_FFFF
    }

    /// Halt after the done marker: `bkpt #0x00` stops the core under a debugger.
    pub fn stop_done() -> ! {
        loop {
            // SAFETY: a breakpoint instruction has no memory effects.
            unsafe { core::arch::asm!("bkpt #0x00") };
        }
    }

    /// Halt after a fault report: `bkpt #0x01`, so the two markers never fold into one
    /// function (the host tells them apart by address, and a probe by the immediate).
    pub fn stop_fault() -> ! {
        loop {
            // SAFETY: as above.
            unsafe { core::arch::asm!("bkpt #0x01") };
        }
    }

    #[exception]
    unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
        defmt::println!(
            "TB hardfault pc={=u32} lr={=u32} xpsr={=u32}",
            ef.pc(),
            ef.lr(),
            ef.xpsr()
        );
        crate::tinybench_fault()
    }
}

#[cfg(target_arch = "riscv32")]
mod imp {
    pub use riscv_rt::entry;

    /// `mcycle` counts from reset on every core we target; nothing to enable.
    pub fn init_counter() {}

    /// Reads `mcycle`. Kept out of line under a fixed symbol: the emulator recognises
    /// this function (a `csrr a0, mcycle` then `ret`) and returns the exact instruction
    /// count from it, since unicorn's own `mcycle` is not an instruction count.
    #[no_mangle]
    #[inline(never)]
    pub extern "C" fn tinybench_read_counter() -> u32 {
        let v: u32;
        // SAFETY: reading a counter CSR has no side effects.
        unsafe { core::arch::asm!("csrr {0}, mcycle", out(reg) v) };
        v
    }

    #[inline(always)]
    pub fn read_counter() -> u32 {
        tinybench_read_counter()
    }

    /// Counter difference; `mcycle`'s low word is a full 32-bit counter.
    #[inline(always)]
    pub fn elapsed(t0: u32, t1: u32) -> u32 {
        t1.wrapping_sub(t0)
    }

    /// Halt after the done marker: `ebreak` stops the hart under a debugger.
    pub fn stop_done() -> ! {
        loop {
            // SAFETY: a breakpoint has no memory effects.
            unsafe { core::arch::asm!("ebreak") };
        }
    }

    /// Halt after a fault report; a different loop body from `stop_done` so the two
    /// markers never fold into one function.
    pub fn stop_fault() -> ! {
        loop {
            // SAFETY: as above.
            unsafe { core::arch::asm!("ebreak", "nop") };
        }
    }

    /// Any trap: report cause, faulting PC and trap value, as the Cortex-M HardFault does.
    #[export_name = "ExceptionHandler"]
    fn exception_handler(_frame: &riscv_rt::TrapFrame) -> ! {
        let cause = riscv::register::mcause::read().bits() as u32;
        let pc = riscv::register::mepc::read() as u32;
        let tval = riscv::register::mtval::read() as u32;
        defmt::println!(
            "TB trap cause={=u32} pc={=u32} tval={=u32}",
            cause,
            pc,
            tval
        );
        crate::tinybench_fault()
    }
}

pub use imp::*;
