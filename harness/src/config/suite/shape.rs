//! Shapes in words for tables.

use tinybench_kernels::case::{Op, Window};

/// Shape in words for tables: `1x64→16` (FC), `49x10x1 k10x4 s2 →25x5x64` (conv).
pub fn shape_text(op: &Op) -> String {
    fn win(w: &Window, c: usize) -> String {
        let mut s = format!("{}x{}x{} k{}x{}", w.in_h, w.in_w, c, w.k_h, w.k_w);
        if (w.stride_h, w.stride_w) != (1, 1) {
            s.push_str(&format!(" s{}", w.stride_h));
            if w.stride_w != w.stride_h {
                s.push_str(&format!("x{}", w.stride_w));
            }
        }
        if (w.dil_h, w.dil_w) != (1, 1) {
            s.push_str(&format!(" d{}x{}", w.dil_h, w.dil_w));
        }
        s
    }
    match op {
        Op::FullyConnected { shape: s, .. } => {
            format!("{}x{}→{}", s.batches, s.in_features, s.out_features)
        }
        Op::Conv2d { shape: s, .. } => format!(
            "{} →{}x{}x{}",
            win(&s.window, s.in_c),
            s.window.out_h,
            s.window.out_w,
            s.out_c
        ),
        Op::DepthwiseConv2d { shape: s, .. } => {
            let dm = if s.depth_multiplier == 1 {
                String::new()
            } else {
                format!(" ×{}", s.depth_multiplier)
            };
            format!(
                "{}{dm} →{}x{}x{}",
                win(&s.window, s.in_c),
                s.window.out_h,
                s.window.out_w,
                s.out_c()
            )
        }
        Op::AvgPool { shape: s, .. } | Op::MaxPool { shape: s, .. } => {
            format!(
                "{} →{}x{}x{}",
                win(&s.window, s.channels),
                s.window.out_h,
                s.window.out_w,
                s.channels
            )
        }
        Op::Softmax { shape: s, .. } => format!("{}x{}", s.rows, s.depth),
        Op::Add { len, .. } | Op::Mul { len, .. } => format!("{len}"),
    }
}
