//! Output checksum the firmware sends and the host recomputes.

/// 32-bit FNV-1a over the bytes of an int8 tensor. Chosen for its two-line definition
/// that is identical on every target (no tables, no hardware CRC unit needed).
pub fn fnv1a32(data: &[i8]) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for &b in data {
        h ^= b as u8 as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_vectors() {
        // FNV-1a 32 published test vectors: "" and "a".
        assert_eq!(super::fnv1a32(&[]), 0x811C_9DC5);
        assert_eq!(super::fnv1a32(&[b'a' as i8]), 0xE40C_292C);
    }
}
