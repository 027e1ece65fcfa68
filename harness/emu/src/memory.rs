//! The emulated memory map's hooks and translation, arranged so that loads and stores to
//! RAM stay on unicorn's fast path: no memory hook covers RAM, and RAM's translation
//! allows no instruction fetch (see [`identity_tlb`]).

use crate::hooks::Uc;
use crate::machine::{round_up, uc_err, MemRegion};
use tinybench_device::DeviceError;
use unicorn_engine::unicorn_const::{HookType, MemType, Prot, TlbEntry, TlbType};
use unicorn_engine::{RegisterARM, Unicorn};

/// The hook that names a bad memory access, over every address outside RAM. Not over
/// RAM: unicorn never marks a page dirty while any memory hook covers it, so every store
/// to it would take the slow path (`notdirty_write`, ~13 % of the run time). Inside RAM
/// (mapped read/write, not executable) the only bad access is an instruction fetch, which
/// `describe_uc_error` names from unicorn's error.
pub(crate) fn add_invalid_access_hooks(
    uc: &mut Uc<'_, '_>,
    regions: &[MemRegion],
) -> Result<(), DeviceError> {
    for (begin, end) in outside_ram(regions) {
        uc.add_mem_hook(
            HookType::MEM_INVALID,
            begin,
            end,
            |uc, kind, addr, size, _| {
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
    }
    Ok(())
}

/// Address translation by unicorn's virtual TLB, the identity map, with RAM pages
/// readable and writable but not executable. With the core's own MMU (UC_TLB_CPU) a
/// Cortex-M's default memory map (and RISC-V's machine mode) makes RAM executable, and
/// unicorn never clears a store's slow-path flag on a page whose TLB entry allows code
/// (`notdirty_write`), so every store to RAM left the fast path. No firmware here uses an
/// MPU or PMP, whose checks this leaves out. A fetch always gets every permission:
/// unicorn's own check of the mapping then names a fetch from RAM, as before.
///
/// `arm`: an ARM core (IT blocks on ARMv7-M and v8-M; ARMv6-M has none, and the reset
/// below does nothing there). unicorn 2.1's fill (`unicorn_fill_tlb`) first restores the
/// CPU state of the instruction that missed (`cpu_restore_state`, meant for an
/// exception), and on ARM that writes the instruction's IT state into the CPU. QEMU's
/// translated code keeps that field zero inside a block and writes it only when a block
/// ends inside an IT block; so after a fill by a conditional load or store the next block
/// was translated as if still inside the IT block (its first instructions made
/// conditional: a loop in the stack painting of a power build never ended; reported
/// upstream as unicorn-engine/unicorn#2309). The hook puts zero back (EPSR with only the
/// Thumb bit) on every data fill, which is exactly QEMU's invariant; an
/// instruction-fetch fill happens while translating, where no state was restored.
pub(crate) fn identity_tlb<D>(
    uc: &mut Unicorn<'_, D>,
    regions: &[MemRegion],
    arm: bool,
) -> Result<(), DeviceError> {
    let ram: Vec<(u64, u64)> = regions
        .iter()
        .filter(|r| r.writable)
        .map(|r| (r.origin, r.origin + round_up(r.size)))
        .collect();
    uc.ctl_set_tlb_type(TlbType::VIRTUAL).map_err(uc_err)?;
    uc.add_tlb_hook(1, 0, move |uc, addr, kind| {
        let fetch = kind == MemType::FETCH;
        if arm && !fetch {
            // EPSR: the Thumb bit set, the IT bits zero; nothing else is written.
            let _ = uc.reg_write(RegisterARM::EPSR, EPSR_THUMB);
        }
        let data_only = !fetch && ram.iter().any(|&(a, b)| addr >= a && addr < b);
        let perms = if data_only {
            Prot::READ | Prot::WRITE
        } else {
            Prot::ALL
        };
        Some(TlbEntry { paddr: addr, perms })
    })
    .map_err(uc_err)?;
    Ok(())
}

/// EPSR's Thumb bit (xPSR bit 24).
const EPSR_THUMB: u64 = 1 << 24;

/// The address ranges (inclusive) of the 64-bit address space outside the writable
/// regions (mapped as whole pages).
fn outside_ram(regions: &[MemRegion]) -> Vec<(u64, u64)> {
    let mut ram: Vec<(u64, u64)> = regions
        .iter()
        .filter(|r| r.writable && r.size > 0)
        .map(|r| (r.origin, r.origin + round_up(r.size)))
        .collect();
    ram.sort_unstable();
    let mut out = Vec::new();
    let mut from = 0u64;
    for (start, end) in ram {
        if start > from {
            out.push((from, start - 1));
        }
        from = from.max(end);
    }
    if from < u64::MAX {
        out.push((from, u64::MAX));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicorn_engine::unicorn_const::{uc_error, Arch, Mode};
    use unicorn_engine::ArmCpuModel;

    const RAM: u64 = 0x2000_0000;

    fn regions() -> Vec<MemRegion> {
        let region = |name: &str, origin, size, writable| MemRegion {
            name: name.into(),
            origin,
            size,
            writable,
        };
        vec![
            region("flash", 0, 0x10_0000, false),
            region("ram", RAM, 0x4_0100, true),
        ]
    }

    #[test]
    fn the_hooked_ranges_leave_out_ram_rounded_to_pages() {
        assert_eq!(
            outside_ram(&regions()),
            [(0, RAM - 1), (RAM + 0x4_1000, u64::MAX)]
        );
        assert_eq!(outside_ram(&regions()[..1]), [(0, u64::MAX)]);
    }

    /// `str r0, [r1]; ldr r2, [r1]; bx r3` with r3 a RAM address: under the identity
    /// TLB the store and the load reach RAM, and the branch into RAM stops the run as a
    /// fetch from non-executable memory at that address.
    #[test]
    fn ram_is_read_and_written_but_never_executed() {
        let mut uc = Unicorn::new(Arch::ARM, Mode::THUMB | Mode::MCLASS).unwrap();
        uc.ctl_set_cpu_model(ArmCpuModel::CORTEX_M4 as i32).unwrap();
        uc.mem_map(0, 0x1000, Prot::READ | Prot::EXEC).unwrap();
        uc.mem_map(RAM, 0x1000, Prot::READ | Prot::WRITE).unwrap();
        let code: Vec<u8> = [0x6008u16, 0x680a, 0x4718]
            .iter()
            .flat_map(|h| h.to_le_bytes())
            .collect();
        uc.mem_write(0, &code).unwrap();
        identity_tlb(&mut uc, &regions(), true).unwrap();
        for (reg, value) in [
            (RegisterARM::R0, 0x1234_5678),
            (RegisterARM::R1, RAM + 0x10),
            (RegisterARM::R3, RAM + 0x101),
        ] {
            uc.reg_write(reg, value).unwrap();
        }
        let result = uc.emu_start(1, 0x100, 0, 0);
        assert_eq!(result, Err(uc_error::FETCH_PROT));
        assert_eq!(uc.reg_read(RegisterARM::R2).unwrap(), 0x1234_5678);
        assert_eq!(uc.reg_read(RegisterARM::PC).unwrap(), RAM + 0x100);
        let mut word = [0u8; 4];
        uc.mem_read(RAM + 0x10, &mut word).unwrap();
        assert_eq!(u32::from_le_bytes(word), 0x1234_5678);
    }

    /// A store inside an IT block that fills a TLB entry, then a branch to a new block:
    /// unicorn's virtual-TLB fill restores the IT state of the storing instruction into
    /// the CPU and nothing clears it, so without [`identity_tlb`]'s reset the next
    /// block's first instruction ran as if still inside the IT block (here skipped, its
    /// condition false). The power build's stack painting looped forever this way.
    #[test]
    fn a_tlb_fill_inside_an_it_block_leaves_no_it_state_behind() {
        let mut uc = Unicorn::new(Arch::ARM, Mode::THUMB | Mode::MCLASS).unwrap();
        uc.ctl_set_cpu_model(ArmCpuModel::CORTEX_M4 as i32).unwrap();
        uc.mem_map(0, 0x1000, Prot::READ | Prot::EXEC).unwrap();
        uc.mem_map(RAM, 0x1000, Prot::READ | Prot::WRITE).unwrap();
        // movs r0, #0; cmp r0, #1; it ne; strne r1, [r2]; cmp r0, r0; b.n next;
        // next: movs r3, #5
        let code: Vec<u8> = [0x2000u16, 0x2801, 0xbf18, 0x6011, 0x4280, 0xe7ff, 0x2305]
            .iter()
            .flat_map(|h| h.to_le_bytes())
            .collect();
        uc.mem_write(0, &code).unwrap();
        identity_tlb(&mut uc, &regions(), true).unwrap();
        uc.reg_write(RegisterARM::R1, 0x55).unwrap();
        uc.reg_write(RegisterARM::R2, RAM + 0x400).unwrap();
        uc.emu_start(1, code.len() as u64, 0, 0).unwrap();
        assert_eq!(uc.reg_read(RegisterARM::R3).unwrap(), 5);
        let mut word = [0u8; 4];
        uc.mem_read(RAM + 0x400, &mut word).unwrap();
        assert_eq!(u32::from_le_bytes(word), 0x55);
    }
}
