//! Per-kernel case fields: which keys each kernel takes, and their validation into a
//! [`tinybench_kernels::case::Op`]. Errors name the line and `case[i].field`.

use super::super::{ConfigError, Source};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::ops::Range;
use tinybench_kernels::activation::{activation_range, Activation};
use tinybench_kernels::case::*;
use tinybench_kernels::quant::quantize_multiplier;

/// Longest accumulation a case may ask for: 16384 · 255 · 128 + bias stays inside i32.
pub(super) const MAX_ACCUMULATION: u64 = 16_384;
/// Largest single tensor, in elements; the firmware keeps all of a case in RAM.
pub(super) const MAX_ELEMENTS: u64 = 1 << 20;
/// Largest spatial extent, kernel size, stride or dilation.
pub(super) const MAX_DIM: u64 = 4096;

/// One `[[case]]` as written: the common keys, then the kernel-specific ones (all
/// optional here; each kernel says which it requires and which it accepts). One flat
/// struct because serde cannot combine `flatten` with `deny_unknown_fields`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCase {
    pub name: Spanned<String>,
    pub kernel: Spanned<String>,
    pub seed: Option<Spanned<u32>>,
    pub warmup: Option<Spanned<u32>>,
    pub reps: Option<Spanned<u32>>,
    pub variants: Option<Spanned<Vec<String>>>,
    // fully_connected
    pub(super) batches: Option<Spanned<u64>>,
    pub(super) in_features: Option<Spanned<u64>>,
    pub(super) out_features: Option<Spanned<u64>>,
    // spatial ops: [height, width, channels], [kh, kw], [sh, sw], [dh, dw]
    pub(super) input: Option<Spanned<Vec<u64>>>,
    pub(super) kernel_size: Option<Spanned<Vec<u64>>>,
    pub(super) stride: Option<Spanned<Vec<u64>>>,
    pub(super) dilation: Option<Spanned<Vec<u64>>>,
    pub(super) padding: Option<Spanned<String>>,
    pub(super) out_channels: Option<Spanned<u64>>,
    pub(super) depth_multiplier: Option<Spanned<u64>>,
    // softmax
    pub(super) rows: Option<Spanned<u64>>,
    pub(super) depth: Option<Spanned<u64>>,
    pub(super) beta: Option<Spanned<f64>>,
    // add / mul
    pub(super) elements: Option<Spanned<u64>>,
    pub(super) input2_zero_point: Option<Spanned<i64>>,
    pub(super) input2_scale: Option<Spanned<f64>>,
    // quantization
    pub(super) input_zero_point: Option<Spanned<i64>>,
    pub(super) output_zero_point: Option<Spanned<i64>>,
    /// input_scale · weight_scale / output_scale.
    pub(super) requant_scale: Option<Spanned<f64>>,
    pub(super) input_scale: Option<Spanned<f64>>,
    pub(super) output_scale: Option<Spanned<f64>>,
    pub(super) activation: Option<Spanned<String>>,
}

/// The kernels a suite may name.
pub const KERNELS: &[&str] = &[
    "fully_connected",
    "conv2d",
    "depthwise_conv2d",
    "avg_pool",
    "max_pool",
    "softmax",
    "add",
    "mul",
];

/// (required, optional) keys of each kernel.
fn keys(kernel: &str) -> (&'static [&'static str], &'static [&'static str]) {
    const Q: [&str; 3] = ["input_zero_point", "output_zero_point", "requant_scale"];
    match kernel {
        "fully_connected" => (
            &["batches", "in_features", "out_features", Q[0], Q[1], Q[2]],
            &["activation", "output_scale"],
        ),
        "conv2d" => (
            &[
                "input",
                "kernel_size",
                "padding",
                "out_channels",
                Q[0],
                Q[1],
                Q[2],
            ],
            &["stride", "dilation", "activation", "output_scale"],
        ),
        "depthwise_conv2d" => (
            &["input", "kernel_size", "padding", Q[0], Q[1], Q[2]],
            &[
                "stride",
                "dilation",
                "depth_multiplier",
                "activation",
                "output_scale",
            ],
        ),
        "avg_pool" | "max_pool" => (
            &["input", "kernel_size", "padding"],
            &["stride", "activation", "output_zero_point", "output_scale"],
        ),
        "softmax" => (&["depth", "input_scale"], &["rows", "beta"]),
        "add" | "mul" => (
            &[
                "elements",
                "input_zero_point",
                "input_scale",
                "input2_zero_point",
                "input2_scale",
                "output_zero_point",
                "output_scale",
            ],
            &["activation"],
        ),
        _ => (&[], &[]),
    }
}

impl RawCase {
    /// Every key with whether it is present and where.
    fn present(&self) -> Vec<(&'static str, Option<Range<usize>>)> {
        fn sp<T>(v: &Option<Spanned<T>>) -> Option<Range<usize>> {
            v.as_ref().map(|s| s.span())
        }
        vec![
            ("batches", sp(&self.batches)),
            ("in_features", sp(&self.in_features)),
            ("out_features", sp(&self.out_features)),
            ("input", sp(&self.input)),
            ("kernel_size", sp(&self.kernel_size)),
            ("stride", sp(&self.stride)),
            ("dilation", sp(&self.dilation)),
            ("padding", sp(&self.padding)),
            ("out_channels", sp(&self.out_channels)),
            ("depth_multiplier", sp(&self.depth_multiplier)),
            ("rows", sp(&self.rows)),
            ("depth", sp(&self.depth)),
            ("beta", sp(&self.beta)),
            ("elements", sp(&self.elements)),
            ("input2_zero_point", sp(&self.input2_zero_point)),
            ("input2_scale", sp(&self.input2_scale)),
            ("input_zero_point", sp(&self.input_zero_point)),
            ("output_zero_point", sp(&self.output_zero_point)),
            ("requant_scale", sp(&self.requant_scale)),
            ("input_scale", sp(&self.input_scale)),
            ("output_scale", sp(&self.output_scale)),
            ("activation", sp(&self.activation)),
        ]
    }
}

/// Validates one case's kernel fields.
pub(super) struct OpCheck<'a, 'b> {
    pub src: &'a Source<'b>,
    /// Index of the case (for `case[i].field`).
    pub index: usize,
    /// Span of the whole case table (for missing keys).
    pub case_span: Range<usize>,
}

impl OpCheck<'_, '_> {
    pub(super) fn f(&self, name: &str) -> String {
        format!("case[{}].{name}", self.index)
    }

    pub(super) fn err(
        &self,
        span: Range<usize>,
        field: &str,
        msg: impl Into<String>,
    ) -> ConfigError {
        self.src.error(Some(span), Some(&self.f(field)), msg)
    }

    pub(super) fn req<'v, T>(
        &self,
        v: &'v Option<Spanned<T>>,
        field: &str,
        kernel: &str,
    ) -> Result<&'v Spanned<T>, ConfigError> {
        // A missing key is named bare, as serde names the ones it finds missing.
        v.as_ref().ok_or_else(|| {
            self.src.error(
                Some(self.case_span.clone()),
                Some(field),
                format!("missing field `{field}` (kernel `{kernel}` needs it)"),
            )
        })
    }

    pub(super) fn dim(&self, v: &Spanned<u64>, field: &str, hi: u64) -> Result<usize, ConfigError> {
        if (1..=hi).contains(v.get_ref()) {
            Ok(*v.get_ref() as usize)
        } else {
            Err(self.err(v.span(), field, format!("must be between 1 and {hi}")))
        }
    }

    pub(super) fn pair(
        &self,
        v: Option<&Spanned<Vec<u64>>>,
        field: &str,
    ) -> Result<(usize, usize), ConfigError> {
        let Some(v) = v else { return Ok((1, 1)) };
        match v.get_ref()[..] {
            [a, b] if (1..=MAX_DIM).contains(&a) && (1..=MAX_DIM).contains(&b) => {
                Ok((a as usize, b as usize))
            }
            _ => Err(self.err(
                v.span(),
                field,
                format!("must be [height, width], each between 1 and {MAX_DIM}"),
            )),
        }
    }

    pub(super) fn zp(&self, v: &Spanned<i64>, field: &str) -> Result<i32, ConfigError> {
        if (-128..=127).contains(v.get_ref()) {
            Ok(*v.get_ref() as i32)
        } else {
            Err(self.err(
                v.span(),
                field,
                "an int8 zero point must be between -128 and 127",
            ))
        }
    }

    pub(super) fn scale(&self, v: &Spanned<f64>, field: &str) -> Result<f64, ConfigError> {
        let s = *v.get_ref();
        if s > 0.0 && s < 65_536.0 {
            Ok(s)
        } else {
            Err(self.err(v.span(), field, "must be a positive real below 65536"))
        }
    }

    pub(super) fn multiplier(
        &self,
        v: &Spanned<f64>,
        field: &str,
    ) -> Result<(i32, i32), ConfigError> {
        let (m, s) = quantize_multiplier(self.scale(v, field)?);
        if m == 0 {
            return Err(self.err(v.span(), field, "too small to represent (below 2^-31)"));
        }
        Ok((m, s))
    }

    pub(super) fn limit(
        &self,
        elems: u64,
        span: Range<usize>,
        field: &str,
    ) -> Result<(), ConfigError> {
        if elems > MAX_ELEMENTS {
            return Err(self.err(
                span,
                field,
                format!("a tensor of {elems} elements exceeds the {MAX_ELEMENTS}-element limit"),
            ));
        }
        Ok(())
    }

    /// The int8 clamp of the case's `activation` for an output zero point.
    pub(super) fn activation(&self, r: &RawCase, out_zp: i32) -> Result<(i8, i8), ConfigError> {
        let Some(a) = r.activation.as_ref() else {
            return Ok((-128, 127));
        };
        let act = match a.get_ref().as_str() {
            "none" => Activation::None,
            "relu" => Activation::Relu,
            "relu6" => Activation::Relu6,
            other => {
                return Err(self.err(
                    a.span(),
                    "activation",
                    format!("unknown activation `{other}`; use `none`, `relu` or `relu6`"),
                ))
            }
        };
        let scale = match (&r.output_scale, act) {
            (Some(s), _) => self.scale(s, "output_scale")?,
            (None, Activation::Relu6) => {
                return Err(self.err(
                    a.span(),
                    "activation",
                    "`relu6` needs `output_scale` (real 6 in output units)",
                ))
            }
            (None, _) => 1.0,
        };
        Ok(activation_range(act, scale, out_zp))
    }

    /// The spatial window of a conv/depthwise/pool case, and its `[h, w, c]` input.
    pub(super) fn window(
        &self,
        r: &RawCase,
        kernel: &str,
        dilation: bool,
    ) -> Result<(Window, usize), ConfigError> {
        let input = self.req(&r.input, "input", kernel)?;
        let [h, w, c] = input.get_ref()[..] else {
            return Err(self.err(input.span(), "input", "must be [height, width, channels]"));
        };
        if ![h, w, c].iter().all(|d| (1..=MAX_DIM).contains(d)) {
            return Err(self.err(
                input.span(),
                "input",
                format!("each dimension must be between 1 and {MAX_DIM}"),
            ));
        }
        let ks = self.req(&r.kernel_size, "kernel_size", kernel)?;
        let k = self.pair(Some(ks), "kernel_size")?;
        let stride = self.pair(r.stride.as_ref(), "stride")?;
        let dil = if dilation {
            self.pair(r.dilation.as_ref(), "dilation")?
        } else {
            (1, 1)
        };
        let pad = self.req(&r.padding, "padding", kernel)?;
        let padding = match pad.get_ref().as_str() {
            "same" => Padding::Same,
            "valid" => Padding::Valid,
            other => {
                return Err(self.err(
                    pad.span(),
                    "padding",
                    format!("unknown padding `{other}`; use `same` or `valid`"),
                ))
            }
        };
        let win = Window::new((h as usize, w as usize), k, stride, dil, padding).map_err(|_| {
            self.err(
                ks.span(),
                "kernel_size",
                "the (dilated) kernel does not fit the input with `valid` padding",
            )
        })?;
        self.limit(h * w * c, input.span(), "input")?;
        Ok((win, c as usize))
    }

    /// Validate the kernel fields of one case into an op.
    pub fn op(&self, kernel: &Spanned<String>, r: &RawCase) -> Result<Op, ConfigError> {
        let k = kernel.get_ref().as_str();
        if !KERNELS.contains(&k) {
            return Err(self.err(
                kernel.span(),
                "kernel",
                format!(
                    "unknown kernel `{k}`; known kernels: {}",
                    KERNELS.join(", ")
                ),
            ));
        }
        let (required, optional) = keys(k);
        for (name, span) in r.present() {
            if let Some(span) = span {
                if !required.contains(&name) && !optional.contains(&name) {
                    return Err(self.err(span, name, format!("does not apply to kernel `{k}`")));
                }
            }
        }
        for name in required {
            if !r.present().iter().any(|(n, s)| n == name && s.is_some()) {
                return Err(self.src.error(
                    Some(self.case_span.clone()),
                    Some(name),
                    format!("missing field `{name}` (kernel `{k}` needs it)"),
                ));
            }
        }
        match k {
            "fully_connected" => self.fully_connected(r, k),
            "conv2d" | "depthwise_conv2d" => self.conv(r, k),
            "avg_pool" | "max_pool" => self.pool(r, k),
            "softmax" => self.softmax(r, k),
            "add" | "mul" => self.elementwise(r, k),
            _ => unreachable!("checked against KERNELS above"),
        }
    }
}
