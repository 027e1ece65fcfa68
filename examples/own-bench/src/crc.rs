//! CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit: no table, so the
//! count is all arithmetic. Over 1 KiB of seeded bytes.

/// Bytes per call.
pub const LEN: usize = 1024;
/// The checksum of [`run`]'s result and state on [`setup`]'s input (host test in lib.rs).
pub const EXPECTED: u32 = 0x4593_092e;

/// The CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// 1 KiB of seeded bytes.
pub fn setup() -> [u8; LEN] {
    let mut rng = crate::Lcg(0xC0FF_EE00);
    let mut data = [0u8; LEN];
    for b in data.iter_mut() {
        *b = (rng.next_u32() >> 24) as u8;
    }
    data
}

/// The CRC-32 of the buffer.
pub fn run(data: &mut [u8; LEN]) -> u32 {
    crc32(data)
}
