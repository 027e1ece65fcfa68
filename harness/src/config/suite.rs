//! Suites: `suites/<name>.toml`, a list of kernel cases with their shapes, quantization
//! parameters, seeds, repetition counts and the implementation variants to run.
//!
//! `variants = ["reference", "optimized"]` (in `[defaults]` or per case) runs each case
//! once per variant, as separate cases named `<case>/<variant>`; the defaults apply to
//! each case as far as its kernel has that variant. Without `variants` a case runs the
//! reference under its own name.

mod op_kinds;
mod ops;
mod shape;

use super::{ConfigError, Source};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::path::Path;
pub use tinybench_kernels::case::{Op, Sizes as Buffers, Variant};

pub use ops::KERNELS;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    name: Spanned<String>,
    description: Option<String>,
    overhead_reps: Option<Spanned<u32>>,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default, rename = "case")]
    cases: Vec<Spanned<ops::RawCase>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    warmup: Option<Spanned<u32>>,
    reps: Option<Spanned<u32>>,
    seed: Option<Spanned<u32>>,
    variants: Option<Spanned<Vec<String>>>,
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
    /// Cases, in file order (a case with variants expands into one per variant).
    pub cases: Vec<Case>,
}

/// One validated case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Unique name (`<case>/<variant>` when the suite asks for variants).
    pub name: String,
    /// The variant run, when the suite asked for variants (`None`: the reference).
    pub variant: Option<Variant>,
    /// Seed of the input generator.
    pub seed: u32,
    /// Untimed calls before measuring.
    pub warmup: u16,
    /// Timed repetitions.
    pub reps: u16,
    /// What runs.
    pub op: Op,
}

impl Case {
    /// Kernel name for tables.
    pub fn kernel_name(&self) -> &'static str {
        self.op.name()
    }

    /// The implementation that runs.
    pub fn run_variant(&self) -> Variant {
        self.variant.unwrap_or(Variant::Reference)
    }

    /// Multiply-accumulates per call.
    pub fn macs(&self) -> u64 {
        self.op.macs()
    }

    /// Shape in words, e.g. `1x64→16`.
    pub fn shape_text(&self) -> String {
        shape::shape_text(&self.op)
    }

    /// Buffers the firmware must hold for this case.
    pub fn buffers(&self) -> Buffers {
        self.op.sizes()
    }
}

fn parse_variants(
    src: &Source<'_>,
    v: &Spanned<Vec<String>>,
    field: &str,
) -> Result<Vec<Variant>, ConfigError> {
    let mut out = Vec::new();
    for name in v.get_ref() {
        let var = match name.as_str() {
            "reference" => Variant::Reference,
            "optimized" => Variant::Optimized,
            other => {
                return Err(src.error(
                    Some(v.span()),
                    Some(field),
                    format!("unknown variant `{other}`; use `reference` and/or `optimized`"),
                ))
            }
        };
        if out.contains(&var) {
            return Err(src.error(
                Some(v.span()),
                Some(field),
                format!("variant `{name}` listed twice"),
            ));
        }
        out.push(var);
    }
    if out.is_empty() {
        return Err(src.error(Some(v.span()), Some(field), "list at least one variant"));
    }
    Ok(out)
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
        src.check_name(&raw.name)?;
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
        let d_variants = match &raw.defaults.variants {
            Some(v) => Some(parse_variants(&src, v, "defaults.variants")?),
            None => None,
        };
        if raw.cases.is_empty() {
            return Err(src.error(None, Some("case"), "the suite has no [[case]] tables"));
        }
        let mut cases: Vec<Case> = Vec::new();
        let mut names: Vec<String> = Vec::new();
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
            if names.contains(&name) {
                return Err(src.error(
                    Some(c.name.span()),
                    Some(&f("name")),
                    format!("duplicate case name `{name}`"),
                ));
            }
            names.push(name.clone());
            let check = ops::OpCheck {
                src: &src,
                index: i,
                case_span: rc.span(),
            };
            let op = check.op(&c.kernel, c)?;
            let variants: Option<Vec<Variant>> = match (&c.variants, &d_variants) {
                (Some(v), _) => {
                    let list = parse_variants(&src, v, &f("variants"))?;
                    if list.contains(&Variant::Optimized) && !op.has_optimized() {
                        return Err(src.error(
                            Some(v.span()),
                            Some(&f("variants")),
                            format!("kernel `{}` has only a reference implementation", op.name()),
                        ));
                    }
                    Some(list)
                }
                (None, Some(d)) => Some(
                    d.iter()
                        .copied()
                        .filter(|v| *v == Variant::Reference || op.has_optimized())
                        .collect(),
                ),
                (None, None) => None,
            };
            let seed = c
                .seed
                .as_ref()
                .map_or(d_seed.wrapping_add(i as u32), |s| *s.get_ref());
            let warmup = ranged(&c.warmup, &f("warmup"), 0, 10_000, d_warmup)? as u16;
            let reps = ranged(&c.reps, &f("reps"), 1, 10_000, d_reps)? as u16;
            let expanded: Vec<(String, Option<Variant>)> = match variants {
                None => vec![(name, None)],
                Some(list) if list.is_empty() => vec![(name, None)],
                Some(list) => list
                    .into_iter()
                    .map(|v| (format!("{name}/{}", v.name()), Some(v)))
                    .collect(),
            };
            for (name, variant) in expanded {
                cases.push(Case {
                    name,
                    variant,
                    seed,
                    warmup,
                    reps,
                    op,
                });
            }
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
        let Op::FullyConnected { params, .. } = c.op else {
            panic!("{:?}", c.op)
        };
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

    const CONV: &str = r#"name = "s"
[defaults]
variants = ["reference", "optimized"]

[[case]]
name = "c"
kernel = "conv2d"
input = [8, 8, 3]
kernel_size = [3, 3]
stride = [2, 2]
padding = "same"
out_channels = 5
input_zero_point = -128
output_zero_point = 0
requant_scale = 0.01

[[case]]
name = "sm"
kernel = "softmax"
depth = 10
input_scale = 0.1
"#;

    #[test]
    fn variants_expand_only_where_an_op_has_them() {
        let s = parse(CONV).unwrap();
        let names: Vec<&str> = s.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["c/reference", "c/optimized", "sm/reference"]);
        assert_eq!(s.cases[1].variant, Some(Variant::Optimized));
        let Op::Conv2d { shape, .. } = s.cases[0].op else {
            panic!("{:?}", s.cases[0].op)
        };
        // SAME, stride 2 on 8x8: 4x4 outputs; 16 · 5 · 27 MACs.
        assert_eq!((shape.window.out_h, shape.window.out_w), (4, 4));
        assert_eq!(s.cases[0].macs(), 16 * 5 * 27);
        assert_eq!(s.cases[0].shape_text(), "8x8x3 k3x3 s2 →4x4x5");
    }

    #[test]
    fn kernel_specific_fields_are_checked_with_line_and_field() {
        // A field of another kernel.
        let e = parse(&CONV.replace("out_channels = 5", "out_channels = 5\nin_features = 3"))
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("case[0].in_features"), "{e}");
        assert_eq!(e.line, Some(13), "{e}");
        // A missing required field, named bare as serde does.
        let e = parse(&CONV.replace("padding = \"same\"\n", "")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("padding"), "{e}");
        assert!(e.line.is_some(), "{e}");
        // A bad value.
        let e = parse(&CONV.replace("padding = \"same\"", "padding = \"full\"")).unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.line),
            (Some("case[0].padding"), Some(11)),
            "{e}"
        );
        // A VALID window that does not fit.
        let e = parse(
            &CONV
                .replace("padding = \"same\"", "padding = \"valid\"")
                .replace("kernel_size = [3, 3]", "kernel_size = [9, 3]"),
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("case[0].kernel_size"), "{e}");
        // relu6 needs the output scale.
        let e = parse(&CONV.replace(
            "requant_scale = 0.01",
            "requant_scale = 0.01\nactivation = \"relu6\"",
        ))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("case[0].activation"), "{e}");
    }

    #[test]
    fn optimized_is_refused_for_reference_only_kernels() {
        let e = parse(&CONV.replace(
            "input_scale = 0.1",
            "input_scale = 0.1\nvariants = [\"optimized\"]",
        ))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("case[1].variants"), "{e}");
        assert!(e.message.contains("only a reference"), "{e}");
        let e = parse(&CONV.replace("\"reference\", \"optimized\"", "\"fast\"")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("defaults.variants"), "{e}");
    }
}
