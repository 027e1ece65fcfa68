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
    let q = |real: f64| -> i32 {
        let v = real / scale;
        // round half away from zero, by hand (no libm in no_std).
        let r = if v >= 0.0 {
            (v + 0.5) as i64
        } else {
            (v - 0.5) as i64
        };
        (zero_point as i64 + r).clamp(-128, 127) as i32
    };
    let zp = zero_point.clamp(-128, 127);
    match act {
        Activation::None => (-128, 127),
        Activation::Relu => (zp as i8, 127),
        Activation::Relu6 => (zp as i8, q(6.0) as i8),
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
        let mut d = [-100i8, -10, 0, 120];
        clamp(&mut d, -10, 110);
        assert_eq!(d, [-10, -10, 0, 110]);
    }
}
