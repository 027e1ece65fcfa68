//! Suites: `suites/<name>.toml`, a list of kernel cases with their shapes, quantization
//! parameters, seeds and repetition counts.

use super::{ConfigError, Source};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::path::Path;
use tinybench_kernels::fc::{FcParams, FcShape};
use tinybench_kernels::quant::quantize_multiplier;

/// Longest accumulation a case may ask for: 16384 · 255 · 128 + bias stays inside i32.
const MAX_IN_FEATURES: u64 = 16_384;
/// Largest single tensor, in elements; the firmware keeps all of a case in RAM.
const MAX_ELEMENTS: u64 = 1 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    name: Spanned<String>,
    description: Option<String>,
    overhead_reps: Option<Spanned<u32>>,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default, rename = "case")]
    cases: Vec<Spanned<RawCase>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    warmup: Option<Spanned<u32>>,
    reps: Option<Spanned<u32>>,
    seed: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: Spanned<String>,
    kernel: Spanned<String>,
    seed: Option<Spanned<u32>>,
    warmup: Option<Spanned<u32>>,
    reps: Option<Spanned<u32>>,
    batches: Spanned<u64>,
    in_features: Spanned<u64>,
    out_features: Spanned<u64>,
    input_zero_point: Spanned<i64>,
    output_zero_point: Spanned<i64>,
    /// input_scale · weight_scale / output_scale.
    requant_scale: Spanned<f64>,
    activation: Option<Spanned<String>>,
}

/// A validated suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// Name (the file stem).
    pub name: String,
    /// One line for `list suites`.
    pub description: String,
    /// Empty-region repetitions for overhead calibration.
    pub overhead_reps: u16,
    /// Cases, in file order.
    pub cases: Vec<Case>,
}

/// One validated case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Unique name.
    pub name: String,
    /// Seed of the input generator.
    pub seed: u32,
    /// Untimed calls before measuring.
    pub warmup: u16,
    /// Timed repetitions.
    pub reps: u16,
    /// What runs.
    pub kernel: KernelCase,
}

/// A kernel with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelCase {
    /// int8 fully connected.
    FullyConnected {
        /// Shape.
        shape: FcShape,
        /// Quantization parameters.
        params: FcParams,
    },
}

/// Element counts of the buffers a case needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buffers {
    /// int8 input elements.
    pub input: usize,
    /// int8 weight elements.
    pub weights: usize,
    /// int32 bias elements.
    pub bias: usize,
    /// int8 output elements.
    pub output: usize,
}

impl Buffers {
    /// Element-wise maximum.
    pub fn max(self, o: Buffers) -> Buffers {
        Buffers {
            input: self.input.max(o.input),
            weights: self.weights.max(o.weights),
            bias: self.bias.max(o.bias),
            output: self.output.max(o.output),
        }
    }

    /// RAM they occupy in bytes.
    pub fn bytes(self) -> usize {
        self.input + self.weights + 4 * self.bias + self.output
    }
}

impl Case {
    /// Kernel name for tables.
    pub fn kernel_name(&self) -> &'static str {
        match self.kernel {
            KernelCase::FullyConnected { .. } => "fully_connected",
        }
    }

    /// Multiply-accumulates per call.
    pub fn macs(&self) -> u64 {
        match self.kernel {
            KernelCase::FullyConnected { shape, .. } => shape.macs(),
        }
    }

    /// Shape in words, e.g. `1x64 · 64→16`.
    pub fn shape_text(&self) -> String {
        match self.kernel {
            KernelCase::FullyConnected { shape: s, .. } => {
                format!("{}x{}→{}", s.batches, s.in_features, s.out_features)
            }
        }
    }

    /// Buffers the firmware must hold for this case.
    pub fn buffers(&self) -> Buffers {
        match self.kernel {
            KernelCase::FullyConnected { shape: s, .. } => Buffers {
                input: s.batches * s.in_features,
                weights: s.out_features * s.in_features,
                bias: s.out_features,
                output: s.batches * s.out_features,
            },
        }
    }
}

impl Suite {
    /// Load and validate `path`.
    pub fn load(path: &Path) -> Result<Suite, ConfigError> {
        let text = super::read(path)?;
        Self::parse(path, &text)
    }

    /// Buffers big enough for every case.
    pub fn buffers(&self) -> Buffers {
        self.cases
            .iter()
            .fold(Buffers::default(), |a, c| a.max(c.buffers()))
    }

    /// Validate suite text (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Suite, ConfigError> {
        let src = Source { path, text };
        let raw: RawSuite = src.parse()?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if raw.name.get_ref() != stem {
            return Err(src.error(
                Some(raw.name.span()),
                Some("name"),
                format!(
                    "name `{}` must match the file name `{stem}`",
                    raw.name.get_ref()
                ),
            ));
        }
        let ranged = |v: &Option<Spanned<u32>>, field: &str, lo: u32, hi: u32, default: u32| match v
        {
            None => Ok(default),
            Some(s) if (lo..=hi).contains(s.get_ref()) => Ok(*s.get_ref()),
            Some(s) => Err(src.error(
                Some(s.span()),
                Some(field),
                format!("must be between {lo} and {hi}"),
            )),
        };
        let overhead_reps = ranged(&raw.overhead_reps, "overhead_reps", 1, 10_000, 16)? as u16;
        let d_warmup = ranged(&raw.defaults.warmup, "defaults.warmup", 0, 10_000, 1)?;
        let d_reps = ranged(&raw.defaults.reps, "defaults.reps", 1, 10_000, 5)?;
        let d_seed = raw.defaults.seed.as_ref().map_or(1, |s| *s.get_ref());
        if raw.cases.is_empty() {
            return Err(src.error(None, Some("case"), "the suite has no [[case]] tables"));
        }
        let mut cases: Vec<Case> = Vec::new();
        for (i, rc) in raw.cases.iter().enumerate() {
            let c = rc.get_ref();
            let f = |name: &str| format!("case[{i}].{name}");
            let name = c.name.get_ref().clone();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "_-.".contains(ch))
            {
                return Err(src.error(
                    Some(c.name.span()),
                    Some(&f("name")),
                    "use letters, digits, `_`, `-` and `.` only",
                ));
            }
            if cases.iter().any(|o| o.name == name) {
                return Err(src.error(
                    Some(c.name.span()),
                    Some(&f("name")),
                    format!("duplicate case name `{name}`"),
                ));
            }
            if c.kernel.get_ref() != "fully_connected" {
                return Err(src.error(
                    Some(c.kernel.span()),
                    Some(&f("kernel")),
                    format!(
                        "unknown kernel `{}`; known kernels: fully_connected",
                        c.kernel.get_ref()
                    ),
                ));
            }
            let dim = |v: &Spanned<u64>, field: &str, hi: u64| -> Result<usize, ConfigError> {
                if (1..=hi).contains(v.get_ref()) {
                    Ok(*v.get_ref() as usize)
                } else {
                    Err(src.error(
                        Some(v.span()),
                        Some(&f(field)),
                        format!("must be between 1 and {hi}"),
                    ))
                }
            };
            let shape = FcShape {
                batches: dim(&c.batches, "batches", 1024)?,
                in_features: dim(&c.in_features, "in_features", MAX_IN_FEATURES)?,
                out_features: dim(&c.out_features, "out_features", MAX_ELEMENTS)?,
            };
            for (elems, field, span) in [
                (
                    shape.batches as u64 * shape.in_features as u64,
                    "batches",
                    c.batches.span(),
                ),
                (
                    shape.out_features as u64 * shape.in_features as u64,
                    "out_features",
                    c.out_features.span(),
                ),
                (
                    shape.batches as u64 * shape.out_features as u64,
                    "batches",
                    c.batches.span(),
                ),
            ] {
                if elems > MAX_ELEMENTS {
                    return Err(src.error(
                        Some(span),
                        Some(&f(field)),
                        format!(
                            "a tensor of {elems} elements exceeds the {MAX_ELEMENTS}-element limit"
                        ),
                    ));
                }
            }
            let zp = |v: &Spanned<i64>, field: &str| -> Result<i32, ConfigError> {
                if (-128..=127).contains(v.get_ref()) {
                    Ok(*v.get_ref() as i32)
                } else {
                    Err(src.error(
                        Some(v.span()),
                        Some(&f(field)),
                        "an int8 zero point must be between -128 and 127",
                    ))
                }
            };
            let in_zp = zp(&c.input_zero_point, "input_zero_point")?;
            let out_zp = zp(&c.output_zero_point, "output_zero_point")?;
            let scale = *c.requant_scale.get_ref();
            if !(scale > 0.0 && scale < 65_536.0) {
                return Err(src.error(
                    Some(c.requant_scale.span()),
                    Some(&f("requant_scale")),
                    "must be a positive real below 65536",
                ));
            }
            let (multiplier, shift) = quantize_multiplier(scale);
            if multiplier == 0 {
                return Err(src.error(
                    Some(c.requant_scale.span()),
                    Some(&f("requant_scale")),
                    "too small to represent (below 2^-31)",
                ));
            }
            let act_min = match c
                .activation
                .as_ref()
                .map(|a| (a.get_ref().as_str(), a.span()))
            {
                None | Some(("none", _)) => -128,
                Some(("relu", _)) => out_zp as i8,
                Some((other, span)) => {
                    return Err(src.error(
                        Some(span),
                        Some(&f("activation")),
                        format!("unknown activation `{other}`; use `none` or `relu`"),
                    ));
                }
            };
            let params = FcParams {
                input_offset: -in_zp,
                weights_offset: 0,
                output_offset: out_zp,
                output_multiplier: multiplier,
                output_shift: shift,
                act_min,
                act_max: 127,
            };
            cases.push(Case {
                name,
                seed: c
                    .seed
                    .as_ref()
                    .map_or(d_seed.wrapping_add(i as u32), |s| *s.get_ref()),
                warmup: ranged(&c.warmup, &f("warmup"), 0, 10_000, d_warmup)? as u16,
                reps: ranged(&c.reps, &f("reps"), 1, 10_000, d_reps)? as u16,
                kernel: KernelCase::FullyConnected { shape, params },
            });
        }
        Ok(Suite {
            name: raw.name.into_inner(),
            description: raw.description.unwrap_or_default(),
            overhead_reps,
            cases,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"name = "s"
[defaults]
reps = 3

[[case]]
name = "a"
kernel = "fully_connected"
batches = 1
in_features = 16
out_features = 4
input_zero_point = -3
output_zero_point = 2
requant_scale = 0.004
"#;

    fn parse(text: &str) -> Result<Suite, ConfigError> {
        Suite::parse(Path::new("suites/s.toml"), text)
    }

    #[test]
    fn good_suite_parses_with_defaults() {
        let s = parse(GOOD).unwrap();
        let c = &s.cases[0];
        assert_eq!((c.reps, c.warmup, c.seed, c.macs()), (3, 1, 1, 64));
        let KernelCase::FullyConnected { params, .. } = c.kernel;
        assert_eq!(params.input_offset, 3);
    }

    #[test]
    fn impossible_shape_names_line_and_field() {
        let e = parse(&GOOD.replace("in_features = 16", "in_features = 0")).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(9), Some("case[0].in_features")),
            "{e}"
        );
        assert!(e.to_string().starts_with("suites/s.toml:9:"), "{e}");
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let e = parse(&GOOD.replace("batches = 1", "batches = 1\nbatchez = 2")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("batchez"), "{e}");
        assert_eq!(e.line, Some(9), "{e}");
    }

    #[test]
    fn missing_field_is_an_error_naming_it() {
        let e = parse(&GOOD.replace("out_features = 4\n", "")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("out_features"), "{e}");
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn bad_zero_point_and_malformed_toml() {
        let e = parse(&GOOD.replace("= -3", "= -300")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("case[0].input_zero_point"), "{e}");
        let e = parse(&GOOD.replace("reps = 3", "reps = = 3")).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }
}
