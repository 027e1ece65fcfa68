//! Stack high-water mark by painting: at start-up every word between the end of the
//! statics and (a little below) the current stack pointer is filled with a pattern; at
//! the end the lowest word no longer holding it marks the deepest the stack went. The
//! same measurement on a board and in the emulator (which also reports its own lowest SP).

/// The paint. A value no code is likely to leave behind on the stack.
const PAINT: u32 = 0xA5C3_5A3C;
/// Bytes below the painting function's own frame left unpainted (its callees' frames).
const MARGIN: usize = 256;

extern "C" {
    /// First free RAM byte after .bss/.uninit (and the empty heap): cortex-m-rt and
    /// riscv-rt both define it.
    static mut __sheap: u32;
    /// Top of the stack (its initial value).
    static mut _stack_start: u32;
}

fn bounds() -> (usize, usize) {
    // Only the addresses of the linker symbols are taken, never their values.
    (
        core::ptr::addr_of!(__sheap) as usize,
        core::ptr::addr_of!(_stack_start) as usize,
    )
}

/// Paint the unused stack. Call first thing in `main`.
#[inline(never)]
pub fn paint() {
    let (lo, _) = bounds();
    let here = 0u32;
    let sp = core::ptr::addr_of!(here) as usize;
    let mut p = lo;
    while p + 4 <= sp.saturating_sub(MARGIN) {
        // SAFETY: [lo, sp − MARGIN) is RAM below every live stack frame and above every
        // static: nothing lives there yet.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Deepest stack use since [`paint`], in bytes, and the stack's size (top − end of statics).
#[inline(never)]
pub fn used() -> (u32, u32) {
    let (lo, hi) = bounds();
    let mut p = lo;
    // SAFETY: reads of RAM between the statics and the stack top.
    while p < hi && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    ((hi - p) as u32, (hi - lo) as u32)
}
