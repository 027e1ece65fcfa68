//! The few things that differ per architecture: entry, cycle counter, stop, faults.

#[cfg(target_arch = "arm")]
mod imp {
    pub use cortex_m_rt::entry;
    use cortex_m_rt::{exception, ExceptionFrame};

    /// Enable the DWT cycle counter (trace must be on for DWT to count).
    pub fn init_counter() {
        // SAFETY: called once at start-up before anything else uses the core peripherals.
        let mut cp = unsafe { cortex_m::Peripherals::steal() };
        cp.DCB.enable_trace();
        cp.DWT.enable_cycle_counter();
    }

    /// DWT CYCCNT. In the emulator the same read returns instructions executed.
    #[inline(always)]
    pub fn read_counter() -> u32 {
        cortex_m::peripheral::DWT::cycle_count()
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

pub use imp::*;
