//! Activation clamps: TFLite fuses ReLU/ReLU6 into the preceding op as an int8 clamp
//! range (`CalculateActivationRangeQuantized`); standalone, they are [`clamp`].

/// A fused activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Activation {
    /// No clamp beyond the int8 range.
    None,
    /// `max(x, 0)`.
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
}

/// The int8 clamp range of `act` for an output with `scale` and `zero_point`:
/// real 0 is `zero_point`, real 6 is `zero_point + round(6 / scale)`, both kept in int8.
pub fn activation_range(act: Activation, scale: f64, zero_point: i32) -> (i8, i8) {
    let (lo, hi) = range_in(act, scale, zero_point, (-128, 127));
    (lo as i8, hi as i8)
}

/// The int16 clamp range of `act` (16x8 layers), as [`activation_range`] in the int16
/// range.
pub fn activation_range_i16(act: Activation, scale: f64, zero_point: i32) -> (i16, i16) {
    let (lo, hi) = range_in(act, scale, zero_point, (-32768, 32767));
    (lo as i16, hi as i16)
}

/// TFLite's `CalculateActivationRangeQuantized` for a type of range `(lo, hi)`.
fn range_in(act: Activation, scale: f64, zero_point: i32, (lo, hi): (i32, i32)) -> (i32, i32) {
    let q = |real: f64| -> i32 {
        let v = real / scale;
        // round half away from zero, by hand (no libm in no_std).
        let r = if v >= 0.0 {
            (v + 0.5) as i64
        } else {
            (v - 0.5) as i64
        };
        (zero_point as i64 + r).clamp(lo as i64, hi as i64) as i32
    };
    let zp = zero_point.clamp(lo, hi);
    match act {
        Activation::None => (lo, hi),
        Activation::Relu => (zp, hi),
        Activation::Relu6 => (zp, q(6.0)),
    }
}

/// Clamp every element into `lo..=hi` in place (standalone ReLU/ReLU6).
#[inline(never)]
pub fn clamp(data: &mut [i8], lo: i8, hi: i8) {
    for v in data {
        *v = (*v).clamp(lo, hi.max(lo));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu6_range_from_scale() {
        // scale 6/255 with zero point −128: real 0 → −128, real 6 → −128 + 255 = 127.
        assert_eq!(
            activation_range(Activation::Relu6, 6.0 / 255.0, -128),
            (-128, 127)
        );
        // scale 0.05, zero point −10: 6 / 0.05 = 120 → 110.
        assert_eq!(activation_range(Activation::Relu6, 0.05, -10), (-10, 110));
        assert_eq!(activation_range(Activation::Relu, 0.05, -10), (-10, 127));
        // int16 (16x8, zero point 0): 6 / 0.0005 = 12000; a small scale saturates.
        assert_eq!(
            activation_range_i16(Activation::Relu6, 0.0005, 0),
            (0, 12000)
        );
        assert_eq!(activation_range_i16(Activation::Relu6, 1e-5, 0), (0, 32767));
        assert_eq!(
            activation_range_i16(Activation::None, 1e-5, 0),
            (-32768, 32767)
        );
        let mut d = [-100i8, -10, 0, 120];
        clamp(&mut d, -10, 110);
        assert_eq!(d, [-10, -10, 0, 110]);
    }
}
