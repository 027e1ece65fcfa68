//! The block hook, registered through unicorn's C API instead of
//! `Unicorn::add_block_hook`. The crate's trampoline upgrades a `Weak` reference to the
//! engine on every call and drops it again (a reference-count increment, a check and a
//! decrement per translated block); here the hook's data owns a handle to the engine, so
//! a call is one pointer away from [`hooks::on_block`]. unicorn calls a lone block hook
//! directly from the translated code, so this is the whole per-block path.
//!
//! This is the crate's only `unsafe` code: the FFI registration and the callback that
//! turns unicorn's user-data pointer back into the [`BlockHook`] it was given.

use crate::hooks::{self, Uc};
use core::ffi::c_void;
use unicorn_engine::hook::sys::{uc_engine, uc_hook, uc_hook_add};
use unicorn_engine::unicorn_const::{uc_error, HookType};

/// A registered block hook. It must outlive every `emu_start` of its engine: keep it
/// until the run is over (dropping it after the engine is fine too).
pub(crate) struct BlockHook<'a, 's> {
    uc: Uc<'a, 's>,
}

/// unicorn's block callback: `user` is the `BlockHook` given at registration.
extern "C" fn on_block_raw(_uc: *mut uc_engine, addr: u64, size: u32, user: *mut c_void) {
    // SAFETY: `user` is the address of the boxed `BlockHook` registered with this
    // callback by `add`, and the box is alive while the engine runs (its contract). The
    // `&mut` aliases the engine the way the crate's own trampolines do: the caller of
    // `emu_start` does not touch the engine until it returns.
    let hook = unsafe { &mut *user.cast::<BlockHook<'_, '_>>() };
    hooks::on_block(&mut hook.uc, addr, size);
}

/// Register [`hooks::on_block`] for every translated block.
pub(crate) fn add<'a, 's>(uc: &mut Uc<'a, 's>) -> Result<Box<BlockHook<'a, 's>>, uc_error> {
    let mut hook = Box::new(BlockHook { uc: uc.clone() });
    let mut id: uc_hook = 0;
    let user: *mut BlockHook<'a, 's> = &mut *hook;
    // SAFETY: the callback has the C signature unicorn gives block hooks
    // (`uc_cb_hookcode_t`), and `user` stays valid as long as the returned box.
    let err = unsafe {
        uc_hook_add(
            uc.get_handle(),
            &mut id,
            HookType::BLOCK.0 as i32,
            on_block_raw as *mut c_void,
            user.cast(),
            1,
            0,
        )
    };
    if err == uc_error::OK {
        Ok(hook)
    } else {
        Err(err)
    }
}
