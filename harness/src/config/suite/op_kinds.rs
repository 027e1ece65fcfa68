//! One builder per kernel kind: a suite case's fields checked and turned into the
//! kernel crate's shape and parameters (split from `ops.rs`, which checks which fields a
//! kernel takes).

use super::super::ConfigError;
use super::ops::{OpCheck, RawCase, MAX_ACCUMULATION, MAX_DIM, MAX_ELEMENTS};
use tinybench_kernels::case::*;
use tinybench_kernels::quant::quantize_multiplier;

impl OpCheck<'_, '_> {
    /// The input and output zero points, both required.
    fn zero_points(&self, r: &RawCase, k: &str) -> Result<(i32, i32), ConfigError> {
        Ok((
            self.zp(
                self.req(&r.input_zero_point, "input_zero_point", k)?,
                "input_zero_point",
            )?,
            self.zp(
                self.req(&r.output_zero_point, "output_zero_point", k)?,
                "output_zero_point",
            )?,
        ))
    }

    pub(super) fn fully_connected(&self, r: &RawCase, k: &str) -> Result<Op, ConfigError> {
        let shape = FcShape {
            batches: self.dim(self.req(&r.batches, "batches", k)?, "batches", 1024)?,
            in_features: self.dim(
                self.req(&r.in_features, "in_features", k)?,
                "in_features",
                MAX_ACCUMULATION,
            )?,
            out_features: self.dim(
                self.req(&r.out_features, "out_features", k)?,
                "out_features",
                MAX_ELEMENTS,
            )?,
        };
        let (b, o) = (
            r.batches.as_ref().unwrap().span(),
            r.out_features.as_ref().unwrap().span(),
        );
        self.limit(
            (shape.batches * shape.in_features) as u64,
            b.clone(),
            "batches",
        )?;
        self.limit(
            (shape.out_features * shape.in_features) as u64,
            o,
            "out_features",
        )?;
        self.limit((shape.batches * shape.out_features) as u64, b, "batches")?;
        let (in_zp, out_zp) = self.zero_points(r, k)?;
        let (m, s) = self.multiplier(
            self.req(&r.requant_scale, "requant_scale", k)?,
            "requant_scale",
        )?;
        let (act_min, act_max) = self.activation(r, out_zp)?;
        Ok(Op::FullyConnected {
            shape,
            params: FcParams {
                input_offset: -in_zp,
                weights_offset: 0,
                output_offset: out_zp,
                output_multiplier: m,
                output_shift: s,
                act_min,
                act_max,
            },
        })
    }

    pub(super) fn conv(&self, r: &RawCase, k: &str) -> Result<Op, ConfigError> {
        let (window, in_c) = self.window(r, k, true)?;
        let (in_zp, out_zp) = self.zero_points(r, k)?;
        let (_, shift) = self.multiplier(
            self.req(&r.requant_scale, "requant_scale", k)?,
            "requant_scale",
        )?;
        let (act_min, act_max) = self.activation(r, out_zp)?;
        let params = ConvParams {
            input_offset: -in_zp,
            output_offset: out_zp,
            act_min,
            act_max,
        };
        let ks = r.kernel_size.as_ref().unwrap().span();
        if k == "conv2d" {
            let oc = self.req(&r.out_channels, "out_channels", k)?;
            let out_c = self.dim(oc, "out_channels", MAX_DIM)?;
            let shape = ConvShape {
                window,
                in_c,
                out_c,
            };
            if (window.taps() * in_c) as u64 > MAX_ACCUMULATION {
                return Err(self.err(
                    ks,
                    "kernel_size",
                    format!("k_h · k_w · channels exceeds {MAX_ACCUMULATION} (32-bit accumulator)"),
                ));
            }
            self.limit(shape.weights_len() as u64, oc.span(), "out_channels")?;
            self.limit(shape.output_len() as u64, oc.span(), "out_channels")?;
            Ok(Op::Conv2d {
                shape,
                params,
                output_shift: shift,
            })
        } else {
            let dm = match &r.depth_multiplier {
                Some(d) => self.dim(d, "depth_multiplier", 64)?,
                None => 1,
            };
            let shape = DepthwiseShape {
                window,
                in_c,
                depth_multiplier: dm,
            };
            if window.taps() as u64 > MAX_ACCUMULATION {
                return Err(self.err(
                    ks,
                    "kernel_size",
                    format!("k_h · k_w exceeds {MAX_ACCUMULATION} (32-bit accumulator)"),
                ));
            }
            let span = r.input.as_ref().unwrap().span();
            self.limit(shape.output_len() as u64, span.clone(), "input")?;
            self.limit(shape.weights_len() as u64, span, "input")?;
            Ok(Op::DepthwiseConv2d {
                shape,
                params,
                output_shift: shift,
            })
        }
    }

    pub(super) fn pool(&self, r: &RawCase, k: &str) -> Result<Op, ConfigError> {
        let (window, channels) = self.window(r, k, false)?;
        let out_zp = match &r.output_zero_point {
            Some(z) => self.zp(z, "output_zero_point")?,
            None => -128,
        };
        let (act_min, act_max) = self.activation(r, out_zp)?;
        let shape = PoolShape { window, channels };
        let params = PoolParams { act_min, act_max };
        Ok(if k == "avg_pool" {
            Op::AvgPool { shape, params }
        } else {
            Op::MaxPool { shape, params }
        })
    }

    pub(super) fn softmax(&self, r: &RawCase, k: &str) -> Result<Op, ConfigError> {
        let depth = self.dim(
            self.req(&r.depth, "depth", k)?,
            "depth",
            tinybench_kernels::softmax::MAX_DEPTH as u64,
        )?;
        let rows = match &r.rows {
            Some(v) => self.dim(v, "rows", 4096)?,
            None => 1,
        };
        let scale_v = self.req(&r.input_scale, "input_scale", k)?;
        let scale = self.scale(scale_v, "input_scale")?;
        let beta = match &r.beta {
            Some(b) if *b.get_ref() > 0.0 && *b.get_ref() < 1e6 => *b.get_ref(),
            Some(b) => return Err(self.err(b.span(), "beta", "must be a positive real")),
            None => 1.0,
        };
        let params = SoftmaxParams::new(scale, beta);
        if !(0..=30).contains(&params.input_left_shift) {
            return Err(self.err(
                scale_v.span(),
                "input_scale",
                "input_scale · beta must be between 2^-26 and 2^4 for TFLite's fixed-point softmax",
            ));
        }
        self.limit((rows * depth) as u64, scale_v.span(), "rows")?;
        Ok(Op::Softmax {
            shape: SoftmaxShape { rows, depth },
            params,
        })
    }

    pub(super) fn elementwise(&self, r: &RawCase, k: &str) -> Result<Op, ConfigError> {
        let len = self.dim(
            self.req(&r.elements, "elements", k)?,
            "elements",
            MAX_ELEMENTS,
        )?;
        let (z1, zo) = self.zero_points(r, k)?;
        let z2 = self.zp(
            self.req(&r.input2_zero_point, "input2_zero_point", k)?,
            "input2_zero_point",
        )?;
        let s1 = self.scale(self.req(&r.input_scale, "input_scale", k)?, "input_scale")?;
        let s2 = self.scale(
            self.req(&r.input2_scale, "input2_scale", k)?,
            "input2_scale",
        )?;
        let so_v = self.req(&r.output_scale, "output_scale", k)?;
        let so = self.scale(so_v, "output_scale")?;
        let (act_min, act_max) = self.activation(r, zo)?;
        if k == "add" {
            let params = AddParams::new((s1, z1), (s2, z2), (so, zo), (act_min, act_max));
            if params.output_multiplier == 0 {
                return Err(self.err(
                    so_v.span(),
                    "output_scale",
                    "too large relative to the input scales",
                ));
            }
            Ok(Op::Add { len, params })
        } else {
            let (m, s) = quantize_multiplier(s1 * s2 / so);
            if m == 0 {
                return Err(self.err(
                    so_v.span(),
                    "output_scale",
                    "input_scale · input2_scale / output_scale is below 2^-31",
                ));
            }
            Ok(Op::Mul {
                len,
                params: MulParams {
                    input1_offset: -z1,
                    input2_offset: -z2,
                    output_multiplier: m,
                    output_shift: s,
                    output_offset: zo,
                    act_min,
                    act_max,
                },
            })
        }
    }
}
