//! What the firmware runs, generated: a suite's `suite.rs` (compiled in), or a model's
//! image (written into the model firmware's ELF after the build).

use crate::config::suite::Suite;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use tinybench_kernels::case::Variant;
use tinybench_kernels::graph::{Layer, Span};
use tinybench_kernels::image::{self, ImageHead};
use tinybench_model::Compiled;

/// A generated payload: files for the firmware's build script and what they need.
#[derive(Debug, Clone)]
pub struct Payload {
    /// Short name, used for the generated directory and the cached ELF.
    pub name: String,
    /// What it is, in messages: "suite `smoke`", "model `kws_ref_model`".
    pub what: String,
    /// Files (name, contents) for `TINYBENCH_GEN_DIR`.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// Hash the firmware embeds and announces; the host checks it.
    pub hash: u32,
    /// RAM for the payload's buffers (case buffers, or arena + scratch).
    pub ram_bytes: u64,
    /// What that RAM is, in messages.
    pub ram_what: &'static str,
    /// Constant data in flash (a model's weights and inputs; 0 for a suite).
    pub flash_bytes: u64,
    /// Firmware features the payload needs.
    pub features: Vec<String>,
    /// A model payload's image, written into the built ELF (`None` for a suite).
    pub image: Option<ModelImage>,
}

fn hash32(parts: &[&[u8]]) -> u32 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The suite payload.
pub fn suite(suite: &Suite) -> Payload {
    let (text, hash) = suite_rs(suite);
    Payload {
        name: suite.name.clone(),
        what: format!("suite `{}`", suite.name),
        files: vec![("suite.rs", text.into_bytes())],
        hash,
        ram_bytes: suite.buffers().bytes() as u64,
        ram_what: "case buffers",
        flash_bytes: 0,
        features: Vec::new(),
        image: None,
    }
}

/// Timing of a model run.
#[derive(Debug, Clone, Copy)]
pub struct ModelTiming {
    /// Untimed inferences first.
    pub warmup: u16,
    /// Timed whole inferences.
    pub reps: u16,
}

/// A model as the model firmware reads it: the image bytes (`tinybench_kernels::image`)
/// and what the build needs to know beforehand.
#[derive(Debug, Clone)]
pub struct ModelImage {
    /// The image.
    pub bytes: Vec<u8>,
    /// Kernel variant of the build that can run it.
    pub variant: Variant,
}

/// The layer table's bytes on the host, an upper bound of the firmware's (its `usize`
/// fields are half as wide there).
fn layer_table_bytes(c: &Compiled) -> u64 {
    let spans = (c.inputs.len() + c.outputs.len()) * std::mem::size_of::<Span>();
    (spans + c.layers.len() * std::mem::size_of::<Layer>()) as u64
}

/// The model image: the planned layers as postcard after the fixed words, then the
/// constant blob and every input sample (layout in `tinybench_kernels::image`); and the
/// hash its head carries.
pub fn model_image(c: &Compiled, inputs: &[Vec<i8>], timing: ModelTiming) -> (Vec<u8>, u32) {
    let blob = c.data_bytes();
    let samples: Vec<u8> = inputs.iter().flatten().map(|&b| b as u8).collect();
    let mut lists = Vec::new();
    for s in c.inputs.iter().chain(&c.outputs) {
        lists.extend(postcard::to_stdvec(s).expect("a span serializes"));
    }
    for l in &c.layers {
        lists.extend(postcard::to_stdvec(l).expect("a layer serializes"));
    }
    let count = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    let mut head = ImageHead {
        hash: 0,
        variant: c.variant,
        warmup: timing.warmup,
        reps: timing.reps,
        arena_bytes: c.arena_bytes as u32,
        scratch_elems: c.scratch_elems as u32,
        input_len: c.input_len() as u32,
        input_count: inputs.len() as u32,
        n_inputs: count(c.inputs.len()),
        n_outputs: count(c.outputs.len()),
        n_layers: count(c.layers.len()),
        data_offset: 0,
        data_len: blob.len() as u32,
        inputs_offset: 0,
        inputs_len: samples.len() as u32,
    };
    // The hash covers everything but itself and the offsets (which follow from the rest).
    let plain = postcard::to_stdvec(&head).expect("the head serializes");
    head.hash = hash32(&[&plain, &lists, &blob, &samples]);
    // The offsets depend on the head's encoded length, which depends on the offsets
    // (varints): encode until it no longer changes (lengths only grow, so this ends).
    let mut encoded = postcard::to_stdvec(&head).expect("the head serializes");
    loop {
        let data_offset = (image::FIXED_BYTES + encoded.len() + lists.len()).next_multiple_of(4);
        head.data_offset = data_offset as u32;
        head.inputs_offset = (data_offset + blob.len()) as u32;
        let again = postcard::to_stdvec(&head).expect("the head serializes");
        let done = again.len() == encoded.len();
        encoded = again;
        if done {
            break;
        }
    }
    let postcard_len = encoded.len() + lists.len();
    let mut out = Vec::with_capacity(head.inputs_offset as usize + samples.len());
    out.extend(image::MAGIC.to_le_bytes());
    out.extend(image::VERSION.to_le_bytes());
    out.extend((postcard_len as u32).to_le_bytes());
    out.extend(encoded);
    out.extend(lists);
    out.resize(head.data_offset as usize, 0);
    out.extend(blob);
    out.extend(samples);
    (out, head.hash)
}

/// The model payload: its image, written into the model firmware's ELF after the build
/// (one build per target and variant runs every model).
pub fn model(c: &Compiled, inputs: &[Vec<i8>], timing: ModelTiming) -> Payload {
    let (bytes, hash) = model_image(c, inputs, timing);
    let ram = c.arena_bytes as u64 + 2 * c.scratch_elems as u64 + layer_table_bytes(c);
    let flash = bytes.len() as u64;
    Payload {
        name: format!("model-{}", c.name),
        what: format!("model `{}`", c.name),
        files: Vec::new(),
        hash,
        ram_bytes: ram,
        ram_what: "the tensor arena, scratch and layer table",
        flash_bytes: flash,
        features: vec!["model".to_string()],
        image: Some(ModelImage {
            bytes,
            variant: c.variant,
        }),
    }
}

/// Rust source of the suite for the firmware, and its hash (first four bytes of the
/// SHA-256 of that source): the firmware embeds the hash and the host checks it.
///
/// Each case's op is written with its derived `Debug` text, which is Rust syntax for
/// these plain structs (`tinybench_kernels::case` is in scope in the generated file); the
/// firmware build type-checks it, and `emulated`/`kernels_suite` tests build it.
pub fn suite_rs(suite: &Suite) -> (String, u32) {
    let mut body = String::new();
    let b = suite.buffers();
    let _ = writeln!(
        body,
        "pub const OVERHEAD_REPS: u16 = {};",
        suite.overhead_reps
    );
    for (name, n) in [
        ("MAX_INPUT", b.input),
        ("MAX_WEIGHTS", b.weights),
        ("MAX_BIAS", b.bias),
        ("MAX_CHANNELS", b.channels),
        ("MAX_OUTPUT", b.output),
        ("MAX_SCRATCH", b.scratch),
    ] {
        let _ = writeln!(body, "pub const {name}: usize = {};", n.max(1));
    }
    let _ = writeln!(body, "pub static CASES: &[Case] = &[");
    for c in &suite.cases {
        let _ = writeln!(body, "    // {}", c.name);
        let _ = writeln!(
            body,
            "    Case {{ op: tinybench_kernels::case::Op::{:?}, variant: tinybench_kernels::case::Variant::{:?}, \
             seed: {}, warmup: {}, reps: {} }},",
            c.op,
            c.run_variant(),
            c.seed,
            c.warmup,
            c.reps
        );
    }
    body.push_str("];\n");
    let hash = hash32(&[body.as_bytes()]);
    let text = format!(
        "// Generated by tinybench from suites/{}.toml; do not edit.\n\
         #[allow(unused_imports)]\nuse tinybench_kernels::case::*;\n\
         pub const SUITE_HASH: u32 = {hash:#010x};\n{body}",
        suite.name
    );
    (text, hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn generated_cases_carry_op_variant_and_sizes() {
        let text = r#"name = "g"
[defaults]
variants = ["reference", "optimized"]
[[case]]
name = "c"
kernel = "conv2d"
input = [5, 4, 3]
kernel_size = [3, 3]
padding = "same"
out_channels = 6
input_zero_point = -1
output_zero_point = 2
requant_scale = 0.01
"#;
        let suite = Suite::parse(Path::new("suites/g.toml"), text).unwrap();
        let (rs, hash) = suite_rs(&suite);
        assert!(
            rs.contains(&format!("SUITE_HASH: u32 = {hash:#010x}")),
            "{rs}"
        );
        assert!(rs.contains("Variant::Reference"), "{rs}");
        assert!(rs.contains("Variant::Optimized"), "{rs}");
        assert!(
            rs.contains("Op::Conv2d { shape: ConvShape { window: Window {"),
            "{rs}"
        );
        // Optimized conv2d scratch: one block of four 3·3·3-element receptive fields at
        // four bytes an element, plus four bytes to word-align it: (4·27·4 + 4) / 2 int16.
        assert!(rs.contains("MAX_SCRATCH: usize = 218;"), "{rs}");
        assert!(rs.contains("MAX_CHANNELS: usize = 6;"), "{rs}");
    }

    /// The image decodes, as the firmware decodes it, to the very layers, spans and sizes
    /// the host planned, with its constant blob and samples at the offsets it names.
    #[test]
    fn a_model_image_reads_back_as_the_planned_model() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../suites/corpus/residual_cnn.tflite"
        );
        let bytes = std::fs::read(path).unwrap();
        let graph = tinybench_model::import(path, &bytes).unwrap();
        let plan = tinybench_model::plan(&graph);
        let c = tinybench_model::compile(&graph, &plan, Variant::Optimized);
        let samples = vec![vec![3i8; c.input_len()], vec![-5i8; c.input_len()]];
        let timing = ModelTiming { warmup: 1, reps: 7 };
        let (img, hash) = model_image(&c, &samples, timing);
        let n = image::fixed(&img).unwrap();
        let mut rest = &img[image::FIXED_BYTES..image::FIXED_BYTES + n];
        let (head, r) = postcard::take_from_bytes::<ImageHead>(rest).unwrap();
        rest = r;
        assert_eq!(head.hash, hash);
        assert_eq!((head.warmup, head.reps, head.input_count), (1, 7, 2));
        assert_eq!(head.variant, Variant::Optimized);
        assert_eq!(head.arena_bytes as usize, c.arena_bytes);
        assert_eq!(head.data_offset % 4, 0);
        let mut spans = Vec::new();
        for _ in 0..head.n_inputs + head.n_outputs {
            let (s, r) = postcard::take_from_bytes::<Span>(rest).unwrap();
            spans.push(s);
            rest = r;
        }
        assert_eq!(spans, [c.inputs.clone(), c.outputs.clone()].concat());
        let mut layers = Vec::new();
        for _ in 0..head.n_layers {
            let (l, r) = postcard::take_from_bytes::<Layer>(rest).unwrap();
            layers.push(l);
            rest = r;
        }
        assert_eq!(layers, c.layers);
        assert!(rest.is_empty(), "{} bytes after the layers", rest.len());
        let data = &img[head.data_offset as usize..][..head.data_len as usize];
        assert_eq!(data, c.data_bytes());
        let at = head.inputs_offset as usize;
        assert_eq!(img.len(), at + 2 * c.input_len());
        assert_eq!(img[at + c.input_len()] as i8, -5);
        // Another timing is another image, with another hash.
        let other = model(&c, &samples, ModelTiming { warmup: 0, reps: 7 });
        assert_ne!(other.hash, head.hash);
        assert_eq!(model(&c, &samples, timing).hash, head.hash);
    }
}
