//! Draining a SEGGER RTT up channel from target memory.
//!
//! Needs only memory access ([`TargetMemory`]), never a probe or emulator type: the
//! emulator reads its own RAM, a probe backend reads the board's, and both get the same
//! bytes. Written here (rather than using probe-rs's RTT) so the emulator, which has no
//! probe-rs `Core`, drains exactly the same way; the layout is SEGGER's documented
//! control block.

/// The up channel of every frame of the firmware (defmt's).
pub const DEFMT_CHANNEL: u32 = 0;
/// The up channel of the power monitor's frames (`TB power`, `TB power-error`,
/// `TB region`) in firmware built with a power feature; other firmware has no channel 1.
pub const POWER_CHANNEL: u32 = 1;

/// The up channels every backend drains during a run, both switched to block-if-full so
/// no byte is dropped: [`DEFMT_CHANNEL`] always, [`POWER_CHANNEL`] when the firmware has
/// it. Indexed by channel number.
pub fn run_channels(cb: u64) -> [UpChannel; 2] {
    [
        UpChannel::new(cb, DEFMT_CHANNEL, true),
        UpChannel::if_present(cb, POWER_CHANNEL, true),
    ]
}

/// Word-level access to target memory.
pub trait TargetMemory {
    /// Read `buf.len()` bytes at `addr`.
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), String>;
    /// Write a 32-bit little-endian word at `addr`.
    fn write_u32(&mut self, addr: u64, value: u32) -> Result<(), String>;
}

/// `SEGGER RTT\0` followed by padding: the control block's id.
const RTT_ID: &[u8; 10] = b"SEGGER RTT";
/// Size of the id, then max_up/max_down counts.
const HEADER: u64 = 24;
/// One channel descriptor: name, buffer, size, write, read, flags.
const DESC: u64 = 24;
/// Channel mode bits in `flags`: block the target while the buffer is full.
pub const MODE_BLOCK_IF_FULL: u32 = 2;
const MODE_MASK: u32 = 3;

/// Why the RTT channel could not be drained.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RttError {
    /// Reading or writing target memory failed.
    #[error("RTT memory access at {addr:#x} failed: {detail}")]
    Memory {
        /// Address accessed.
        addr: u64,
        /// Backend's words.
        detail: String,
    },
    /// The control block holds values no valid ring has (firmware overwrote it?).
    #[error("RTT up channel {channel} is corrupt: {detail}")]
    Corrupt {
        /// Channel index.
        channel: u32,
        /// What is wrong.
        detail: String,
    },
}

/// Reader for one up channel of the control block at `cb`.
#[derive(Debug, Clone)]
pub struct UpChannel {
    cb: u64,
    channel: u32,
    attached: bool,
    set_blocking: bool,
    /// A control block without this channel is not an error (see [`UpChannel::if_present`]).
    optional: bool,
    /// Attached and the control block has no such channel: every drain yields nothing.
    absent: bool,
}

impl UpChannel {
    /// A reader for up channel `channel` of the control block at `cb` (the `_SEGGER_RTT`
    /// symbol). With `set_blocking`, the first drain switches the channel to
    /// block-if-full, as probe-rs does, so no byte is ever dropped.
    pub fn new(cb: u64, channel: u32, set_blocking: bool) -> Self {
        Self {
            cb,
            channel,
            attached: false,
            set_blocking,
            optional: false,
            absent: false,
        }
    }

    /// Like [`UpChannel::new`], for a channel the firmware may not have: when the control
    /// block declares fewer up channels, every drain returns 0 bytes and no error. The
    /// power channel (1) is such a channel: only power builds have it, a defmt-rtt
    /// firmware declares one up channel.
    pub fn if_present(cb: u64, channel: u32, set_blocking: bool) -> Self {
        Self {
            optional: true,
            ..Self::new(cb, channel, set_blocking)
        }
    }

    /// The up channel this reader drains.
    pub fn channel(&self) -> u32 {
        self.channel
    }

    /// Whether the control block has been seen initialized.
    pub fn attached(&self) -> bool {
        self.attached
    }

    /// Whether the firmware has this channel: `None` until attached.
    pub fn present(&self) -> Option<bool> {
        self.attached.then_some(!self.absent)
    }

    /// Move every byte between the read and write offsets out of the ring into `out`
    /// and advance the read offset. Returns the number of bytes read; 0 also when the
    /// firmware has not initialised the control block yet.
    pub fn drain(
        &mut self,
        mem: &mut dyn TargetMemory,
        out: &mut Vec<u8>,
    ) -> Result<usize, RttError> {
        let rd = |mem: &mut dyn TargetMemory, addr: u64, buf: &mut [u8]| {
            mem.read(addr, buf)
                .map_err(|detail| RttError::Memory { addr, detail })
        };
        if !self.attached {
            let mut id = [0u8; 16];
            rd(mem, self.cb, &mut id)?;
            if &id[..10] != RTT_ID {
                return Ok(0);
            }
            let mut counts = [0u8; 4];
            rd(mem, self.cb + 16, &mut counts)?;
            let max_up = u32::from_le_bytes(counts);
            if max_up > 64 || (self.channel >= max_up && !self.optional) {
                return Err(self.corrupt(format!("control block declares {max_up} up channels")));
            }
            self.attached = true;
            self.absent = self.channel >= max_up;
        }
        if self.absent {
            return Ok(0);
        }
        let desc = self.cb + HEADER + self.channel as u64 * DESC;
        let mut raw = [0u8; 24];
        rd(mem, desc, &mut raw)?;
        let w = |i: usize| {
            u32::from_le_bytes([raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]])
        };
        let (buffer, size, write, read, flags) = (w(1) as u64, w(2), w(3), w(4), w(5));
        if size == 0 || write >= size || read >= size {
            return Err(self.corrupt(format!(
                "size {size}, write offset {write}, read offset {read}"
            )));
        }
        if self.set_blocking && flags & MODE_MASK != MODE_BLOCK_IF_FULL {
            let value = (flags & !MODE_MASK) | MODE_BLOCK_IF_FULL;
            mem.write_u32(desc + 20, value)
                .map_err(|detail| RttError::Memory {
                    addr: desc + 20,
                    detail,
                })?;
        }
        if write == read {
            return Ok(0);
        }
        let start = out.len();
        let mut take = |from: u32, to: u32, mem: &mut dyn TargetMemory| -> Result<(), RttError> {
            let at = out.len();
            out.resize(at + (to - from) as usize, 0);
            rd(mem, buffer + from as u64, &mut out[at..])
        };
        if write > read {
            take(read, write, mem)?;
        } else {
            // Wrapped: the tail of the ring, then its head.
            take(read, size, mem)?;
            take(0, write, mem)?;
        }
        mem.write_u32(desc + 16, write)
            .map_err(|detail| RttError::Memory {
                addr: desc + 16,
                detail,
            })?;
        Ok(out.len() - start)
    }

    fn corrupt(&self, detail: String) -> RttError {
        RttError::Corrupt {
            channel: self.channel,
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat fake memory for ring tests.
    struct Ram {
        base: u64,
        bytes: Vec<u8>,
    }

    impl TargetMemory for Ram {
        fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), String> {
            let off = (addr - self.base) as usize;
            let src = self.bytes.get(off..off + buf.len()).ok_or("out of range")?;
            buf.copy_from_slice(src);
            Ok(())
        }
        fn write_u32(&mut self, addr: u64, value: u32) -> Result<(), String> {
            let off = (addr - self.base) as usize;
            self.bytes[off..off + 4].copy_from_slice(&value.to_le_bytes());
            Ok(())
        }
    }

    const CB: u64 = 0x2000_0000;
    const BUF: u64 = 0x2000_0100;

    fn ram(size: u32, write: u32, read: u32, ring: &[u8]) -> Ram {
        let mut r = Ram {
            base: CB,
            bytes: vec![0; 0x400],
        };
        r.bytes[..10].copy_from_slice(RTT_ID);
        r.bytes[16..20].copy_from_slice(&1u32.to_le_bytes());
        r.bytes[20..24].copy_from_slice(&0u32.to_le_bytes());
        for (i, v) in [0u32, BUF as u32, size, write, read, 0].iter().enumerate() {
            r.write_u32(CB + HEADER + 4 * i as u64, *v).unwrap();
        }
        r.bytes[0x100..0x100 + ring.len()].copy_from_slice(ring);
        r
    }

    fn read_off(r: &mut Ram) -> u32 {
        let mut b = [0u8; 4];
        r.read(CB + HEADER + 16, &mut b).unwrap();
        u32::from_le_bytes(b)
    }

    #[test]
    fn drains_linear_span_and_advances_read() {
        let mut r = ram(8, 5, 1, b"abcdefgh");
        let mut out = Vec::new();
        let n = UpChannel::new(CB, 0, false)
            .drain(&mut r, &mut out)
            .unwrap();
        assert_eq!((n, out.as_slice()), (4, &b"bcde"[..]));
        assert_eq!(read_off(&mut r), 5);
    }

    #[test]
    fn drains_wrapped_ring_in_order() {
        let mut r = ram(8, 2, 6, b"ABcdefGH");
        let mut out = Vec::new();
        UpChannel::new(CB, 0, false)
            .drain(&mut r, &mut out)
            .unwrap();
        assert_eq!(out, b"GHAB");
        assert_eq!(read_off(&mut r), 2);
    }

    #[test]
    fn uninitialised_block_yields_nothing_then_attaches() {
        let mut r = ram(8, 3, 0, b"xyz");
        r.bytes[0] = 0;
        let mut ch = UpChannel::new(CB, 0, true);
        let mut out = Vec::new();
        assert_eq!(ch.drain(&mut r, &mut out).unwrap(), 0);
        assert!(!ch.attached());
        r.bytes[0] = b'S';
        assert_eq!(ch.drain(&mut r, &mut out).unwrap(), 3);
        // Blocking mode was requested in the flags word.
        let mut f = [0u8; 4];
        r.read(CB + HEADER + 20, &mut f).unwrap();
        assert_eq!(u32::from_le_bytes(f) & MODE_MASK, MODE_BLOCK_IF_FULL);
    }

    #[test]
    fn corrupt_offsets_are_an_error_not_a_panic() {
        let mut r = ram(8, 9, 0, b"");
        let err = UpChannel::new(CB, 0, false)
            .drain(&mut r, &mut Vec::new())
            .unwrap_err();
        assert!(matches!(err, RttError::Corrupt { .. }), "{err}");
    }

    const BUF1: u64 = 0x2000_0200;

    /// A control block with two up channels as the power firmware's: channel 0's ring at
    /// BUF, channel 1's at BUF1, each described by (size, write, read, ring bytes).
    fn ram2(c0: (u32, u32, u32, &[u8]), c1: (u32, u32, u32, &[u8])) -> Ram {
        let mut r = ram(c0.0, c0.1, c0.2, c0.3);
        r.bytes[16..20].copy_from_slice(&2u32.to_le_bytes());
        let d1 = CB + HEADER + DESC;
        for (i, v) in [0u32, BUF1 as u32, c1.0, c1.1, c1.2, 0].iter().enumerate() {
            r.write_u32(d1 + 4 * i as u64, *v).unwrap();
        }
        r.bytes[0x200..0x200 + c1.3.len()].copy_from_slice(c1.3);
        r
    }

    fn word(r: &mut Ram, addr: u64) -> u32 {
        let mut b = [0u8; 4];
        r.read(addr, &mut b).unwrap();
        u32::from_le_bytes(b)
    }

    #[test]
    fn two_channel_block_drains_each_ring_separately() {
        let mut r = ram2((8, 3, 0, b"abc"), (16, 6, 2, b"xxPOWERx"));
        let (mut out0, mut out1) = (Vec::new(), Vec::new());
        let mut ch0 = UpChannel::new(CB, 0, true);
        let mut ch1 = UpChannel::if_present(CB, 1, true);
        assert_eq!(ch1.drain(&mut r, &mut out1).unwrap(), 4);
        assert_eq!(ch0.drain(&mut r, &mut out0).unwrap(), 3);
        assert_eq!(
            (out0.as_slice(), out1.as_slice()),
            (&b"abc"[..], &b"POWE"[..])
        );
        assert_eq!(ch1.present(), Some(true));
        // Channel 1's read offset and mode word moved, channel 0's are its own.
        let d1 = CB + HEADER + DESC;
        assert_eq!(word(&mut r, d1 + 16), 6);
        assert_eq!(word(&mut r, d1 + 20) & MODE_MASK, MODE_BLOCK_IF_FULL);
        assert_eq!(read_off(&mut r), 3);
        // A channel-1 reader made with `new` works the same on this block.
        let mut r = ram2((8, 0, 0, b""), (16, 3, 0, b"pqr"));
        let mut out = Vec::new();
        UpChannel::new(CB, 1, false)
            .drain(&mut r, &mut out)
            .unwrap();
        assert_eq!(out, b"pqr");
    }

    #[test]
    fn absent_optional_channel_yields_nothing_without_error() {
        // One up channel (defmt-rtt's block); channel 1 asked for "if present".
        let mut r = ram(8, 3, 0, b"abc");
        let before = r.bytes.clone();
        let mut ch1 = UpChannel::if_present(CB, 1, true);
        assert_eq!(ch1.present(), None);
        let mut out = Vec::new();
        for _ in 0..2 {
            assert_eq!(ch1.drain(&mut r, &mut out).unwrap(), 0);
        }
        assert!(out.is_empty());
        assert_eq!(ch1.present(), Some(false));
        // Nothing was written: channel 0's ring, offsets and mode are untouched.
        assert_eq!(r.bytes, before);
        // Asked for without `if_present`, the same block is still an error.
        let err = UpChannel::new(CB, 1, true)
            .drain(&mut r, &mut Vec::new())
            .unwrap_err();
        assert!(matches!(err, RttError::Corrupt { channel: 1, .. }), "{err}");
    }

    #[test]
    fn optional_channel_still_rejects_an_absurd_block() {
        let mut r = ram(8, 0, 0, b"");
        r.bytes[16..20].copy_from_slice(&1000u32.to_le_bytes());
        let err = UpChannel::if_present(CB, 1, false)
            .drain(&mut r, &mut Vec::new())
            .unwrap_err();
        assert!(matches!(err, RttError::Corrupt { .. }), "{err}");
    }
}
