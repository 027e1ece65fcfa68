//! The unicorn behaviours the emulator's exact counting relies on, checked on a tiny
//! hand-assembled Thumb loop: a memory-read hook sees the reading instruction's PC on
//! every execution and the value it writes is the value loaded; a read-protected page
//! calls its hook on the first read only (why the emulator does not use one); an MMIO
//! callback sees the registers as of the load (how the emulator finds the reader).

use std::cell::RefCell;
use std::rc::Rc;
use unicorn_engine::unicorn_const::{Arch, HookType, Mode, Prot};
use unicorn_engine::{ArmCpuModel, RegisterARM, Unicorn};

/// `0: ldr r0,[r1]; 2: ldr r3,[r1]; 4: adds r2,#1; 6: cmp r2,#3; 8: bne 0; a: nop`
const LOOP: [u16; 6] = [0x6808, 0x680b, 0x3201, 0x2a03, 0xd1fa, 0xbf00];
const REG: u64 = 0xE000_1004;

/// Run the loop with a hook of `kind` on REG's page (`protect`: the page write-only):
/// the PC at each hook call, and r0/r3 at the end.
fn run(kind: HookType, protect: bool) -> (Vec<u64>, u64, u64) {
    let mut uc = Unicorn::new(Arch::ARM, Mode::THUMB | Mode::MCLASS).unwrap();
    uc.ctl_set_cpu_model(ArmCpuModel::CORTEX_M4 as i32).unwrap();
    uc.mem_map(0, 0x1000, Prot::READ | Prot::EXEC).unwrap();
    let code: Vec<u8> = LOOP.iter().flat_map(|h| h.to_le_bytes()).collect();
    uc.mem_write(0, &code).unwrap();
    uc.mem_map(0xE000_0000, 0x10_0000, Prot::READ | Prot::WRITE)
        .unwrap();
    if protect {
        uc.mem_protect(0xE000_1000, 0x1000, Prot::WRITE).unwrap();
    }
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    uc.add_mem_hook(kind, REG, REG + 3, move |uc, _, addr, _, _| {
        let pc = uc.reg_read(RegisterARM::PC).unwrap();
        let n = s.borrow().len() as u32;
        s.borrow_mut().push(pc);
        uc.mem_write(addr, &(100 + n).to_le_bytes()).unwrap();
        true
    })
    .unwrap();
    uc.reg_write(RegisterARM::R1, REG).unwrap();
    uc.emu_start(1, 0xa, 0, 0).unwrap();
    let r0 = uc.reg_read(RegisterARM::R0).unwrap();
    let r3 = uc.reg_read(RegisterARM::R3).unwrap();
    let seen = seen.borrow().clone();
    (seen, r0, r3)
}

#[test]
fn read_hook_sees_every_read_with_the_exact_pc() {
    let (pcs, r0, r3) = run(HookType::MEM_READ, false);
    assert_eq!(pcs, [0, 2, 0, 2, 0, 2]);
    assert_eq!((r0, r3), (104, 105));
}

#[test]
fn read_protection_traps_the_first_read_only() {
    let (pcs, _, _) = run(HookType::MEM_READ_PROT, true);
    assert_eq!(pcs, [0]);
}

/// `0: adds r4,#1; 2: ldr r0,[r1]; 4: cmp r4,#3; 6: bne 0; 8: nop`
const MMIO_LOOP: [u16; 5] = [0x3401, 0x6808, 0x2c03, 0xd1fb, 0xbf00];

#[test]
fn an_mmio_read_sees_the_registers_as_of_the_load() {
    // The PPB's MMIO callback finds the reading instruction from the registers (its
    // effective address): they must be current at the load, including a register the
    // same block changed just before it.
    let mut uc = Unicorn::new(Arch::ARM, Mode::THUMB | Mode::MCLASS).unwrap();
    uc.ctl_set_cpu_model(ArmCpuModel::CORTEX_M4 as i32).unwrap();
    uc.mem_map(0, 0x1000, Prot::READ | Prot::EXEC).unwrap();
    let code: Vec<u8> = MMIO_LOOP.iter().flat_map(|h| h.to_le_bytes()).collect();
    uc.mem_write(0, &code).unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    uc.mmio_map(
        0xE000_0000,
        0x10_0000,
        Some(move |uc: &mut Unicorn<'_, ()>, off: u64, _size: usize| {
            let r1 = uc.reg_read(RegisterARM::R1).unwrap();
            let r4 = uc.reg_read(RegisterARM::R4).unwrap();
            s.borrow_mut().push((off, r1, r4));
            40 + r4
        }),
        None::<fn(&mut Unicorn<'_, ()>, u64, usize, u64)>,
    )
    .unwrap();
    uc.reg_write(RegisterARM::R1, REG).unwrap();
    uc.emu_start(1, 8, 0, 0).unwrap();
    let want: Vec<(u64, u64, u64)> = (1..=3).map(|r4| (REG - 0xE000_0000, REG, r4)).collect();
    assert_eq!(*seen.borrow(), want);
    assert_eq!(uc.reg_read(RegisterARM::R0).unwrap(), 43);
}
