//! The few things that differ per architecture: entry, cycle counter, stop, faults.
//! (Moved here from the suite firmware, unchanged, so suites and user benchmarks time the
//! same way.)

#[cfg(target_arch = "arm")]
mod imp {
    pub use cortex_m_rt::entry;
    use cortex_m_rt::{exception, ExceptionFrame};

    /// A counter value: 32 bits (CYCCNT), 56 on ARMv6-M (SysTick and its wraps).
    #[cfg(not(armv6m))]
    pub type Count = u32;
    /// A counter value: 32 bits (CYCCNT), 56 on ARMv6-M (SysTick and its wraps).
    #[cfg(armv6m)]
    pub type Count = u64;

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

    /// A timer read that fits a `TB power` frame: the counter's low 32 bits.
    #[cfg(not(armv6m))]
    #[inline(always)]
    pub fn stamp() -> u32 {
        read_counter()
    }

    /// SysTick wraps seen by [`SysTick`]: the high word above SysTick's 24 bits.
    #[cfg(armv6m)]
    static WRAPS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

    /// SysTick reached zero and reloaded: one more 2^24 counts.
    #[cfg(armv6m)]
    #[exception]
    fn SysTick() {
        use core::sync::atomic::Ordering::Relaxed;
        // Load and store, not fetch_add: ARMv6-M has no atomic read-modify-write, and
        // nothing else writes WRAPS.
        WRAPS.store(WRAPS.load(Relaxed).wrapping_add(1), Relaxed);
    }

    /// ARMv6-M (Cortex-M0/M0+) has no DWT cycle counter: run SysTick from the core clock
    /// with the full 24-bit reload and its interrupt on, which counts the wraps, so a
    /// count is 56 bits wide ([`read_counter`]).
    #[cfg(armv6m)]
    pub fn init_counter() {
        use cortex_m::peripheral::syst::SystClkSource;
        // SAFETY: called once at start-up before anything else uses the core peripherals.
        let mut cp = unsafe { cortex_m::Peripherals::steal() };
        cp.SYST.set_clock_source(SystClkSource::Core);
        cp.SYST.set_reload(0x00FF_FFFF);
        cp.SYST.clear_current();
        cp.SYST.enable_interrupt();
        cp.SYST.enable_counter();
    }

    /// Counts since SysTick started: the wraps (high word) and SysTick's down-counting
    /// value as an up-count (low 24 bits). Race-free: with interrupts masked, read the
    /// value, then whether a wrap is pending (ICSR.PENDSTSET) but not yet counted by the
    /// handler; a pending wrap with the value still in its upper half happened before
    /// the read (the value had just reloaded), one in the lower half after it. In the
    /// emulator the same reads return instructions executed, in the same form.
    #[cfg(armv6m)]
    #[inline(always)]
    pub fn read_counter() -> u64 {
        use core::sync::atomic::Ordering::Relaxed;
        cortex_m::interrupt::free(|_| {
            let value = cortex_m::peripheral::SYST::get_current();
            let pending = cortex_m::peripheral::SCB::is_pendst_pending();
            let mut wraps = WRAPS.load(Relaxed) as u64;
            if pending && value >= 0x0080_0000 {
                wraps += 1;
            }
            (wraps << 24) | (0x00FF_FFFF - value) as u64
        })
    }

    /// Counter difference. A region of `u32::MAX` counts or more does not fit the
    /// frame: it is sent as [`crate::COUNT_OVERFLOW`], which the host refuses.
    #[cfg(armv6m)]
    #[inline(always)]
    pub fn elapsed(t0: u64, t1: u64) -> u32 {
        let d = t1.wrapping_sub(t0);
        if d >= crate::COUNT_OVERFLOW as u64 {
            crate::COUNT_OVERFLOW
        } else {
            d as u32
        }
    }

    /// A timer read that fits a `TB power` frame: the count's low 32 bits.
    #[cfg(armv6m)]
    #[inline(always)]
    pub fn stamp() -> u32 {
        read_counter() as u32
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
        crate::fault()
    }
}

#[cfg(target_arch = "riscv32")]
mod imp {
    pub use riscv_rt::entry;

    /// A counter value: `mcycle`'s low word.
    pub type Count = u32;

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

    /// Reads `mcycle` through [`tinybench_read_counter`] (the emulator's exact count).
    #[inline(always)]
    pub fn read_counter() -> u32 {
        tinybench_read_counter()
    }

    /// Counter difference; `mcycle`'s low word is a full 32-bit counter.
    #[inline(always)]
    pub fn elapsed(t0: u32, t1: u32) -> u32 {
        t1.wrapping_sub(t0)
    }

    /// A timer read that fits a `TB power` frame.
    #[inline(always)]
    pub fn stamp() -> u32 {
        read_counter()
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
        crate::fault()
    }
}

pub use imp::*;
