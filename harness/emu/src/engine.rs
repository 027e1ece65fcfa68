//! Which unicorn build this binary links, found by what it does.
//!
//! `ci/unicorn.sh` (run by `ci/setup.sh`) builds unicorn from the crates.io package's own
//! source with tinybench's patch (`harness/emu/unicorn/fast-exits.patch`, written here;
//! docs/emulator.md "The patched unicorn"), two changes to QEMU's code generation:
//! - the translated code no longer calls a helper after every guest load and store to
//!   check for a stop (a call that also made TCG write the guest registers back and
//!   reload them). A stop that starts during an access (a store that faults, a memory
//!   hook or MMIO callback that asks to stop) leaves from unicorn's access path instead,
//!   at the accessing instruction;
//! - `SMLAD` and its kin add with the sticky Q flag in translated code instead of
//!   calling `helper_add_setq` twice.
//!
//! Without that library cargo links the crate's stock build: the same counts, slower.
//!
//! The two builds differ in one observable way, which [`patched`] tests: when a write
//! hook asks to stop, the stock build performs the store and stops after it, the patched
//! one stops before it (as a core's fault would).

use std::sync::OnceLock;
use unicorn_engine::unicorn_const::{Arch, HookType, Mode, Prot};
use unicorn_engine::{RegisterARM, Unicorn};

/// Is this the patched unicorn (probed once, in a throwaway engine)?
pub fn patched() -> bool {
    static PATCHED: OnceLock<bool> = OnceLock::new();
    *PATCHED.get_or_init(|| probe_stores() == Some(false))
}

/// One line for `tinybench doctor`.
pub fn describe() -> &'static str {
    if patched() {
        "unicorn-engine 2.1 with tinybench's patch (ci/unicorn.sh)"
    } else {
        "unicorn-engine 2.1, the crate's stock build: the same counts, slower (about \
         1.8x on DSP code); run `bash ci/setup.sh` (or `bash ci/unicorn.sh`) and rebuild"
    }
}

const RAM: u64 = 0x2000_0000;

/// `str r1, [r2]; movs r3, #5` with a write hook on RAM that asks to stop: did the store
/// reach memory?
fn probe_stores() -> Option<bool> {
    let mut uc = Unicorn::new(Arch::ARM, Mode::THUMB | Mode::MCLASS).ok()?;
    uc.mem_map(0, 0x1000, Prot::READ | Prot::EXEC).ok()?;
    uc.mem_map(RAM, 0x1000, Prot::READ | Prot::WRITE).ok()?;
    let code = thumb(&[0x6011, 0x2305]);
    uc.mem_write(0, &code).ok()?;
    uc.add_mem_hook(HookType::MEM_WRITE, RAM, RAM + 0xfff, |uc, _, _, _, _| {
        let _ = uc.emu_stop();
        true
    })
    .ok()?;
    uc.reg_write(RegisterARM::R1, 0x55).ok()?;
    uc.reg_write(RegisterARM::R2, RAM).ok()?;
    uc.emu_start(1, code.len() as u64, 0, 0).ok()?;
    let mut word = [0u8; 4];
    uc.mem_read(RAM, &mut word).ok()?;
    Some(u32::from_le_bytes(word) == 0x55)
}

fn thumb(halfwords: &[u16]) -> Vec<u8> {
    halfwords.iter().flat_map(|h| h.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine with `code` at 0, RAM at [`RAM`], an MMIO page at 0x4000_0000 whose
    /// reads ask to stop, r1 = 0x55, r2 = `r2`.
    fn engine(code: &[u16], r2: u64) -> Unicorn<'static, ()> {
        let mut uc = Unicorn::new(Arch::ARM, Mode::THUMB | Mode::MCLASS).unwrap();
        uc.mem_map(0, 0x1000, Prot::READ | Prot::EXEC).unwrap();
        uc.mem_map(RAM, 0x1000, Prot::READ | Prot::WRITE).unwrap();
        uc.mmio_map(
            0x4000_0000,
            0x1000,
            Some(|uc: &mut Unicorn<'_, ()>, _, _| {
                let _ = uc.emu_stop();
                7
            }),
            None::<fn(&mut Unicorn<'_, ()>, u64, usize, u64)>,
        )
        .unwrap();
        uc.mem_write(0, &thumb(code)).unwrap();
        uc.reg_write(RegisterARM::R1, 0x55).unwrap();
        uc.reg_write(RegisterARM::R2, r2).unwrap();
        uc
    }

    /// CI runs the patched build (ci/setup.sh builds it first): this fails on the stock
    /// one, so a change that silently drops the patch fails the tests.
    #[test]
    fn the_tests_run_the_patched_unicorn() {
        assert!(patched(), "{}", describe());
    }

    /// The patch's duty: with no exit check after each access, a stop that starts during
    /// one must still leave at that instruction, not at the end of the block (which
    /// would run `movs r3, #5`).
    #[test]
    fn a_faulting_store_stops_at_the_store() {
        // str r1, [r2]; movs r3, #5 — r2 unmapped
        let mut uc = engine(&[0x6011, 0x2305], 0x3000_0000);
        assert!(uc.emu_start(1, 4, 0, 0).is_err());
        assert_eq!(uc.reg_read(RegisterARM::R3).unwrap(), 0);
        assert_eq!(uc.reg_read(RegisterARM::PC).unwrap(), 0);
    }

    #[test]
    fn an_mmio_read_that_asks_to_stop_stops_at_the_load() {
        // ldr r0, [r2]; movs r3, #5 — r2 in the MMIO page
        let mut uc = engine(&[0x6810, 0x2305], 0x4000_0000);
        uc.emu_start(1, 4, 0, 0).unwrap();
        assert_eq!(uc.reg_read(RegisterARM::R3).unwrap(), 0);
        assert_eq!(uc.reg_read(RegisterARM::PC).unwrap(), 0);
    }

    /// The patch computes `SMLAD`'s accumulate in translated code instead of a helper:
    /// the sum and the sticky Q flag (APSR bit 27, read back with `MRS`) must be the
    /// architecture's.
    #[test]
    fn smlad_sums_and_sets_q_only_on_signed_overflow() {
        use unicorn_engine::ArmCpuModel;
        let run = |ra: u64| {
            let mut uc = Unicorn::new(Arch::ARM, Mode::THUMB | Mode::MCLASS).unwrap();
            uc.ctl_set_cpu_model(ArmCpuModel::CORTEX_M4 as i32).unwrap();
            uc.mem_map(0, 0x1000, Prot::READ | Prot::EXEC).unwrap();
            // smlad r0, r1, r2, r3; mrs r4, apsr
            let code = thumb(&[0xfb21, 0x3002, 0xf3ef, 0x8400]);
            uc.mem_write(0, &code).unwrap();
            uc.reg_write(RegisterARM::R1, 0x7fff_7fff).unwrap();
            uc.reg_write(RegisterARM::R2, 0x7fff_7fff).unwrap();
            uc.reg_write(RegisterARM::R3, ra).unwrap();
            uc.emu_start(1, code.len() as u64, 0, 0).unwrap();
            let r0 = uc.reg_read(RegisterARM::R0).unwrap();
            let q = uc.reg_read(RegisterARM::R4).unwrap() >> 27 & 1;
            (r0, q)
        };
        // 0x3fff0001 twice: 0x7ffe0002, no overflow.
        assert_eq!(run(0), (0x7ffe_0002, 0));
        assert_eq!(run(0x0001_fffd), (0x7fff_ffff, 0));
        // One more overflows into the sign bit.
        assert_eq!(run(0x0001_fffe), (0x8000_0000, 1));
        // Negative accumulate, no overflow; then a negative one that wraps.
        assert_eq!(run(0xffff_fffe), (0x7ffe_0000, 0));
        assert_eq!(run(0x8000_0000), (0xfffe_0002, 0));
    }

    #[test]
    fn a_write_hook_that_asks_to_stop_stops_before_the_store() {
        assert_eq!(probe_stores(), Some(false));
    }
}
