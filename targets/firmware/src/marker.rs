//! PPK2 marker pin (feature `power-marker`): driven high just before each timed repetition
//! and low just after it, outside the counter reads, so the PPK2's logic port sees one
//! high period per repetition. The registers come from the target file's
//! `[power.ppk2.marker]`, generated into `marker.rs` by the harness (docs/energy.md).

mod regs {
    include!(concat!(env!("OUT_DIR"), "/marker.rs"));
}

/// Clock/direction set-up (read-modify-write), then the pin low.
pub fn init() {
    for &(addr, clear, set) in regs::MARKER_INIT {
        let p = addr as usize as *mut u32;
        // SAFETY: the target file names these as the marker pin's configuration registers;
        // the harness only enables this feature when it gives them.
        unsafe { p.write_volatile((p.read_volatile() & !clear) | set) };
    }
    low();
}

#[inline(always)]
fn write((addr, value): (u32, u32)) {
    // SAFETY: as in `init`: the set/clear register of the marker pin.
    unsafe { (addr as usize as *mut u32).write_volatile(value) };
}

/// Pin high: a region starts.
#[inline(always)]
pub fn high() {
    write(regs::MARKER_SET);
}

/// Pin low: the region ended.
#[inline(always)]
pub fn low() {
    write(regs::MARKER_CLEAR);
}
