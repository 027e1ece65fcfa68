//! The integer kernels against the real-number operations they approximate: softmax,
//! add and average pooling must land within one quantization step of the float result
//! (TFLite's own tolerance for these ops).

use proptest::prelude::*;
use tinybench_kernels::case::*;
use tinybench_kernels::elementwise::add;
use tinybench_kernels::pool::avg_pool;
use tinybench_kernels::softmax::softmax;

proptest! {
    #[test]
    fn softmax_within_one_step(row in proptest::collection::vec(any::<i8>(), 1..40),
                               scale in 0.01f64..0.5) {
        let p = SoftmaxParams::new(scale, 1.0);
        let mut y = vec![0i8; row.len()];
        softmax(&p, &SoftmaxShape { rows: 1, depth: row.len() }, &row, &mut y).unwrap();
        let max = *row.iter().max().unwrap() as f64;
        let e: Vec<f64> = row.iter().map(|&v| ((v as f64 - max) * scale).exp()).collect();
        let sum: f64 = e.iter().sum();
        for (q, ev) in y.iter().zip(&e) {
            let want = (ev / sum * 256.0 - 128.0).clamp(-128.0, 127.0);
            prop_assert!((*q as f64 - want).abs() <= 1.0, "got {} want {} (row {:?})", q, want, row);
        }
    }

    #[test]
    fn add_within_one_step(a in any::<i8>(), b in any::<i8>(), s1 in 0.01f64..1.0, s2 in 0.01f64..1.0,
                           so in 0.02f64..2.0, z1 in -128i32..=127, z2 in -128i32..=127, zo in -128i32..=127) {
        let p = AddParams::new((s1, z1), (s2, z2), (so, zo), (-128, 127));
        let mut y = [0i8];
        add(&p, 1, &[a], &[b], &mut y).unwrap();
        let real = s1 * (a as i32 - z1) as f64 + s2 * (b as i32 - z2) as f64;
        let want = (real / so + zo as f64).clamp(-128.0, 127.0);
        prop_assert!((y[0] as f64 - want).abs() <= 1.0, "got {} want {}", y[0], want);
    }

    #[test]
    fn avg_pool_is_the_rounded_mean(x in proptest::collection::vec(any::<i8>(), 9)) {
        let s = PoolShape {
            window: Window::new((3, 3), (3, 3), (1, 1), (1, 1), Padding::Valid).unwrap(),
            channels: 1,
        };
        let mut y = [0i8];
        avg_pool(&PoolParams { act_min: -128, act_max: 127 }, &s, &x, &mut y).unwrap();
        let mean = x.iter().map(|&v| v as f64).sum::<f64>() / 9.0;
        let want = if mean >= 0.0 { (mean + 0.5).floor() } else { (mean - 0.5).ceil() };
        prop_assert_eq!(y[0] as f64, want);
    }
}
