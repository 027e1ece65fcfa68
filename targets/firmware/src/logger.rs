//! The defmt global logger of power builds (`power-ina226` / `power-ina219`): two RTT up
//! channels, so the power monitor's frames reach the host on a channel of their own.
//!
//! Why our own logger: defmt allows exactly one `#[defmt::global_logger]` per program, and
//! `defmt-rtt`'s has a single up channel (its control block is a static with
//! `max_up_channels: 1`). Sending some frames elsewhere means owning the logger. The RTT
//! control block and rings come from `rtt-target`'s `rtt_init!` (symbol `_SEGGER_RTT`,
//! which the emulator and the probe backend both look up); only the defmt side — one
//! `defmt::Encoder` per channel and the choice of channel — is written here, because
//! `rtt-target`'s own defmt support is for an older defmt and has one channel too.
//! Builds without the power features keep `defmt-rtt` (main.rs), unchanged.
//!
//! - Up channel 0, "defmt", 1024 bytes (defmt-rtt's default size, which the firmware
//!   uses today): every frame, as with defmt-rtt.
//! - Up channel 1, "tinybench-power", [`POWER_SIZE`] bytes: the `TB power`,
//!   `TB power-error` and `TB region` frames, sent inside [`power_frame`].
//!
//! Both carry ordinary defmt rzCOBS frames, decoded with the same table from the ELF. A
//! frame is always written whole to the channel chosen when it started.
//!
//! Both channels start non-blocking with truncation, as defmt-rtt's does; the host (the
//! harness, or probe-rs) switches a channel to block-if-full when it attaches, so no byte
//! is lost while it reads and an unattended board never hangs.

use core::sync::atomic::{AtomicBool, Ordering};
use rtt_target::{rtt_init, ChannelMode, UpChannel};

/// Size of up channel 1: one timed repetition sends three frames of about 10 bytes each;
/// this holds many repetitions' worth should the host fall behind.
pub const POWER_SIZE: usize = 256;

/// Whether frames started now go to channel 1.
static POWER: AtomicBool = AtomicBool::new(false);

// The logger's state, in separate statics so that the encoder (borrowed while it writes)
// and the channels (borrowed by `write_current`, which the encoder calls) never alias.
// Each is accessed only between `acquire` and `release` (inside a critical section, with
// TAKEN set), or by `init` before any frame.

/// Set while a frame is being written.
static TAKEN: AtomicBool = AtomicBool::new(false);
/// Up channels 0 and 1; `None` until [`init`].
static mut CHANNELS: [Option<UpChannel>; 2] = [None, None];
/// One encoder per channel: each channel is its own frame stream.
static mut ENCODERS: [defmt::Encoder; 2] = [defmt::Encoder::new(), defmt::Encoder::new()];
/// The channel of the frame being written.
static mut CURRENT: usize = 0;
/// To leave the critical section entered in `acquire`.
static mut RESTORE: critical_section::RestoreState = critical_section::RestoreState::invalid();

/// Set up the RTT control block and both channels. Call once, first thing in `main`,
/// before any defmt frame (frames sent before it are dropped).
pub fn init() {
    let channels = rtt_init! {
        up: {
            0: {
                size: 1024,
                mode: ChannelMode::NoBlockTrim,
                name: "defmt"
            }
            1: {
                size: POWER_SIZE,
                mode: ChannelMode::NoBlockTrim,
                name: "tinybench-power"
            }
        }
    };
    critical_section::with(|_| {
        // SAFETY: inside a critical section and not between acquire/release (no frame is
        // being written while `init` runs): the only access to CHANNELS at this point.
        unsafe {
            *core::ptr::addr_of_mut!(CHANNELS) = [Some(channels.up.0), Some(channels.up.1)];
        }
    });
}

/// Send the frames `f` writes on up channel 1 instead of channel 0.
pub fn power_frame(f: impl FnOnce()) {
    POWER.store(true, Ordering::Relaxed);
    f();
    POWER.store(false, Ordering::Relaxed);
}

/// Send the next frames on channel 0 whatever was going on: for the panic handler, so a
/// panic frame always reaches the channel the host looks for it on.
pub fn main_channel() {
    POWER.store(false, Ordering::Relaxed);
}

#[defmt::global_logger]
struct Logger;

/// Write encoded bytes to the channel of the current frame.
fn write_current(bytes: &[u8]) {
    // SAFETY: only called by the encoder between acquire and release (critical section
    // held); CHANNELS is borrowed nowhere else meanwhile.
    unsafe {
        let c = *core::ptr::addr_of!(CURRENT);
        if let Some(ch) = (*core::ptr::addr_of_mut!(CHANNELS))[c].as_mut() {
            ch.write(bytes);
        }
    }
}

/// The encoder of the current frame's channel.
///
/// # Safety
/// Only between acquire and release, with no other borrow of ENCODERS live.
unsafe fn encoder() -> &'static mut defmt::Encoder {
    unsafe { &mut (*core::ptr::addr_of_mut!(ENCODERS))[*core::ptr::addr_of!(CURRENT)] }
}

// SAFETY (the trait's contract): `acquire` takes a critical section and refuses to be
// re-entered, so only one frame is encoded at a time; `release` ends it.
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        // SAFETY: paired with the release in `release`.
        let restore = unsafe { critical_section::acquire() };
        if TAKEN.load(Ordering::Relaxed) {
            panic!("defmt logger taken reentrantly")
        }
        TAKEN.store(true, Ordering::Relaxed);
        // SAFETY: critical section held and TAKEN set: exclusive access to the statics.
        unsafe {
            *core::ptr::addr_of_mut!(RESTORE) = restore;
            *core::ptr::addr_of_mut!(CURRENT) = usize::from(POWER.load(Ordering::Relaxed));
            encoder().start_frame(write_current);
        }
    }

    unsafe fn flush() {}

    unsafe fn release() {
        // SAFETY: called after `acquire` (defmt's contract): exclusive access.
        unsafe {
            encoder().end_frame(write_current);
            let restore = *core::ptr::addr_of!(RESTORE);
            TAKEN.store(false, Ordering::Relaxed);
            // Paired with the acquire in `acquire`.
            critical_section::release(restore);
        }
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: called between `acquire` and `release` (defmt's contract).
        unsafe { encoder().write(bytes, write_current) };
    }
}
