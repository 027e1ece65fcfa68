//! Fully connected with per-channel weights (TF 2.x quantizes `Dense` kernels per output
//! channel by default): the same loop as [`crate::fc`] but each output feature requantizes
//! with its own multiplier and shift, as LiteRT's per-channel fully-connected reference
//! does (single rounding, like its per-tensor path).

use crate::fc::{FcParams, FcShape};
use crate::quant::multiply_by_quantized_multiplier_single_rounding as requant;
use crate::KernelError;

fn check(
    shape: &FcShape,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    multipliers: &[i32],
    shifts: &[i32],
    output: &[i8],
) -> Result<(), KernelError> {
    let (b, i, o) = (shape.batches, shape.in_features, shape.out_features);
    if b == 0 || i == 0 || o == 0 {
        return Err(KernelError::BadShape);
    }
    let need = |n: usize, m: usize| n.checked_mul(m).ok_or(KernelError::BadShape);
    if input.len() < need(b, i)?
        || weights.len() < need(o, i)?
        || output.len() < need(b, o)?
        || bias.len() < o
        || multipliers.len() < o
        || shifts.len() < o
    {
        return Err(KernelError::BufferTooSmall);
    }
    // The single-rounding requantization shifts by `31 − shift` in 1..=62.
    if shifts[..o].iter().any(|&s| !(-31..=30).contains(&s)) {
        return Err(KernelError::BadParams);
    }
    Ok(())
}

fn finish(p: &FcParams, acc: i32, m: i32, s: i32) -> i8 {
    requant(acc, m, s)
        .wrapping_add(p.output_offset)
        .clamp(p.act_min as i32, p.act_max as i32) as i8
}

/// Per-channel fully connected, the portable loop.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn fully_connected_per_channel_reference(
    p: &FcParams,
    shape: FcShape,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    multipliers: &[i32],
    shifts: &[i32],
    output: &mut [i8],
) -> Result<(), KernelError> {
    check(&shape, input, weights, bias, multipliers, shifts, output)?;
    crate::check_input_offset(p.input_offset)?;
    let (n, out_f) = (shape.in_features, shape.out_features);
    for (x_row, y_row) in input
        .chunks_exact(n)
        .zip(output.chunks_exact_mut(out_f))
        .take(shape.batches)
    {
        for (c, (w_row, y)) in weights.chunks_exact(n).zip(y_row.iter_mut()).enumerate() {
            let mut acc = bias[c];
            for (&x, &w) in x_row.iter().zip(w_row) {
                acc = acc.wrapping_add((x as i32 + p.input_offset) * (w as i32 + p.weights_offset));
            }
            *y = finish(p, acc, multipliers[c], shifts[c]);
        }
    }
    Ok(())
}

/// Per-channel fully connected, two output rows per pass with the SIMD dot product of
/// [`crate::fc_dot`] (the per-tensor kernel's asm loop on DSP cores); exactly the reference's bytes.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn fully_connected_per_channel_optimized(
    p: &FcParams,
    shape: FcShape,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    multipliers: &[i32],
    shifts: &[i32],
    output: &mut [i8],
) -> Result<(), KernelError> {
    check(&shape, input, weights, bias, multipliers, shifts, output)?;
    crate::check_input_offset(p.input_offset)?;
    if p.weights_offset != 0 {
        return fully_connected_per_channel_reference(
            p,
            shape,
            input,
            weights,
            bias,
            multipliers,
            shifts,
            output,
        );
    }
    let (n, out_f) = (shape.in_features, shape.out_features);
    let weights = &weights[..out_f * n];
    for (x_row, y_row) in input
        .chunks_exact(n)
        .zip(output.chunks_exact_mut(out_f))
        .take(shape.batches)
    {
        let mut pairs = weights.chunks_exact(2 * n);
        let mut o = 0;
        for pair in &mut pairs {
            let (w0, w1) = pair.split_at(n);
            let a = crate::fc_dot::dot_2rows(x_row, p.input_offset, w0, w1);
            for (k, &acc) in a.iter().enumerate() {
                let c = o + k;
                y_row[c] = finish(p, acc.wrapping_add(bias[c]), multipliers[c], shifts[c]);
            }
            o += 2;
        }
        let last = pairs.remainder();
        if !last.is_empty() {
            let a = crate::fc_dot::dot_2rows(x_row, p.input_offset, last, last);
            y_row[o] = finish(p, a[0].wrapping_add(bias[o]), multipliers[o], shifts[o]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn variants_agree_and_each_channel_uses_its_own_scale() {
        let shape = FcShape {
            batches: 2,
            in_features: 13,
            out_features: 5,
        };
        let mut rng = Rng::new(7);
        let mut x = [0i8; 26];
        let mut w = [0i8; 65];
        rng.fill_i8(&mut x);
        rng.fill_i8(&mut w);
        let bias = [100, -200, 300, 0, 5];
        let m = [
            1 << 30,
            1_500_000_000,
            1 << 30,
            2_000_000_000,
            1_234_567_890,
        ];
        let s = [-6, -7, -5, -8, -6];
        let p = FcParams {
            input_offset: 3,
            weights_offset: 0,
            output_offset: -2,
            output_multiplier: 0,
            output_shift: 0,
            act_min: -128,
            act_max: 127,
        };
        let (mut a, mut b) = ([0i8; 10], [0i8; 10]);
        fully_connected_per_channel_reference(&p, shape, &x, &w, &bias, &m, &s, &mut a).unwrap();
        fully_connected_per_channel_optimized(&p, shape, &x, &w, &bias, &m, &s, &mut b).unwrap();
        assert_eq!(a, b);
        // Channel 0 equals the per-tensor kernel with channel 0's scale.
        let mut one = [0i8; 2];
        let p0 = FcParams {
            output_multiplier: m[0],
            output_shift: s[0],
            ..p
        };
        let s1 = FcShape {
            batches: 1,
            out_features: 1,
            ..shape
        };
        crate::fc::fully_connected(&p0, s1, &x[..13], &w[..13], &bias[..1], &mut one[..1]).unwrap();
        assert_eq!(one[0], a[0]);
        assert_eq!(
            fully_connected_per_channel_reference(&p, shape, &x, &w, &bias, &m[..4], &s, &mut a),
            Err(KernelError::BufferTooSmall)
        );
    }
}
