//! Whole models (`run --model`): import the `.tflite`, plan and compile it, run the graph
//! on the host for every input, and after the device run turn its frames into the
//! per-layer result, the output checks and the memory footprint.

use crate::run::CaseSpec;
use anyhow::Context;
use std::path::Path;
use tinybench_device::protocol::Event;
use tinybench_device::Footprint;
use tinybench_kernels::case::Variant;
use tinybench_kernels::checksum::fnv1a32;
use tinybench_model::compile::HostRun;
use tinybench_model::{Compiled, Model};
use tinybench_results::metrics::{self, QualityMetrics};
use tinybench_results::{MemoryFootprint, ModelLayer, ModelSummary, ReferenceCheck};

/// One input the device runs, with what is known of its output.
#[derive(Debug, Clone)]
pub struct Input {
    /// Name (dataset file, or `seed-N`).
    pub name: String,
    /// The input tensor.
    pub data: Vec<i8>,
    /// Label, from a labelled dataset.
    pub label: Option<u32>,
    /// Reference output (LiteRT), from the dataset's `expected/`.
    pub expected: Option<Vec<i8>>,
}

/// A model ready to build and check.
pub struct Prepared {
    /// The imported model.
    pub model: Model,
    /// Its compiled form.
    pub compiled: Compiled,
    /// Inputs, in the order the firmware runs them.
    pub inputs: Vec<Input>,
    /// The host's run of the graph on each input.
    pub host: Vec<HostRun>,
}

/// Read, import and compile a model; every error names the file and, for an operator,
/// its index and type. Nothing is built.
pub fn load(path: &Path, variant: Variant) -> anyhow::Result<(Model, Compiled)> {
    let bytes = crate::fsread::bytes(path, crate::fsread::MAX_MODEL_BYTES)
        .with_context(|| format!("reading model {}", path.display()))?;
    let model = tinybench_model::import(&path.display().to_string(), &bytes)?;
    let plan = tinybench_model::plan(&model);
    let compiled = tinybench_model::compile(&model, &plan, variant);
    // The firmware numbers cases (the inference, then each layer) and graph inputs and
    // outputs with 16 bits; the model image counts them in 16 bits too.
    let counts = [
        ("layers", compiled.layers.len(), u16::MAX as usize - 1),
        ("graph inputs", compiled.inputs.len(), u16::MAX as usize),
        ("graph outputs", compiled.outputs.len(), u16::MAX as usize),
    ];
    for (what, n, max) in counts {
        if n > max {
            anyhow::bail!(
                "model {} has {n} {what}; tinybench runs at most {max} (its frames number them with 16 bits)",
                path.display()
            );
        }
    }
    Ok((model, compiled))
}

/// One deterministic input from `seed` (the kernels' pinned generator), for a run
/// without a dataset.
pub fn seeded_input(len: usize, seed: u32) -> Input {
    let mut data = vec![0i8; len];
    tinybench_kernels::rng::Rng::new(seed).fill_i8(&mut data);
    Input {
        name: format!("seed-{seed}"),
        data,
        label: None,
        expected: None,
    }
}

/// Run the graph on the host for every input.
pub fn prepare(model: Model, compiled: Compiled, inputs: Vec<Input>) -> anyhow::Result<Prepared> {
    let host = inputs
        .iter()
        .map(|i| {
            compiled
                .run_host(&i.data)
                .map_err(|e| anyhow::anyhow!("host run of {} on {}: {e:?}", model.name, i.name))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Prepared {
        model,
        compiled,
        inputs,
        host,
    })
}

impl Prepared {
    /// The values of an output (the graph's outputs back to back): int8 elements, or
    /// int16 ones (two little-endian bytes each) of a 16x8 model; `None` when the
    /// outputs mix both types.
    pub fn output_values(&self, out: &[i8]) -> Option<Vec<i32>> {
        use tinybench_model::import::ElemType;
        let elems: Vec<ElemType> = self
            .model
            .outputs
            .iter()
            .map(|&t| self.model.tensor(t).elem)
            .collect();
        if elems.iter().all(|&e| e == ElemType::Int8) {
            Some(out.iter().map(|&b| b as i32).collect())
        } else if elems.iter().all(|&e| e == ElemType::Int16) {
            Some(
                out.chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0] as u8, c[1] as u8]) as i32)
                    .collect(),
            )
        } else {
            None
        }
    }

    /// Whether the model's outputs are int16 (a 16x8 model).
    pub fn int16_outputs(&self) -> bool {
        self.model
            .outputs
            .iter()
            .all(|&t| self.model.tensor(t).elem == tinybench_model::import::ElemType::Int16)
    }

    /// Case 0 is the whole inference, case `i + 1` layer `i`, with the host's checksums
    /// on input `first`, the first one the firmware runs.
    pub fn specs(&self, first: usize) -> Vec<CaseSpec> {
        let c = &self.compiled;
        let first = &self.host[first];
        let input = self.model.shapes_text(&self.model.inputs);
        let output = self.model.shapes_text(&self.model.outputs);
        let mut specs = vec![CaseSpec {
            name: "inference".into(),
            kernel: "model".into(),
            shape: format!("{input} → {output}"),
            variant: Some(c.variant.name().into()),
            macs: c.macs(),
            host_checksum: fnv1a32(&first.output),
        }];
        specs.extend(
            c.info
                .iter()
                .zip(&first.layer_checksums)
                .map(|(l, &sum)| CaseSpec {
                    name: format!("op{:02} {}", l.index, l.op),
                    kernel: l.kernel.clone(),
                    shape: l.shape.clone(),
                    variant: None,
                    macs: l.macs,
                    host_checksum: sum,
                }),
        );
        specs
    }

    /// Output tensor bytes per input, from the `TB out` frames of a firmware whose first
    /// input is input `first` (inputs it did not run stay `None`).
    pub fn device_outputs(&self, events: &[Event], first: usize) -> Vec<Option<Vec<i8>>> {
        let n = self.compiled.output_len();
        let mut outs: Vec<Vec<Option<i8>>> = vec![vec![None; n]; self.inputs.len()];
        for ev in events {
            if let Event::OutputWord { input, at, word } = *ev {
                let Some(out) = outs.get_mut(first + input as usize) else {
                    continue;
                };
                for (k, b) in word.to_le_bytes().into_iter().enumerate() {
                    if let Some(slot) = out.get_mut(at as usize + k) {
                        *slot = Some(b as i8);
                    }
                }
            }
        }
        outs.into_iter()
            .map(|o| o.into_iter().collect::<Option<Vec<i8>>>())
            .collect()
    }

    /// The model part of the result.
    pub fn summary(
        &self,
        outputs: &[Option<Vec<i8>>],
        events: &[Event],
        footprint: Footprint,
        target: &crate::config::target::Target,
    ) -> ModelSummary {
        let c = &self.compiled;
        let host_mismatches = outputs
            .iter()
            .zip(&self.host)
            .filter(|(d, h)| d.as_deref() != Some(&h.output[..]))
            .count() as u32;
        let with_expected: Vec<(&Input, &Option<Vec<i8>>)> = self
            .inputs
            .iter()
            .zip(outputs)
            .filter(|(i, _)| i.expected.is_some())
            .collect();
        let reference = (!with_expected.is_empty()).then(|| ReferenceCheck {
            source: "dataset expected/ (LiteRT reference kernels)".into(),
            checked: with_expected.len() as u32,
            mismatched: with_expected
                .iter()
                .filter(|(i, d)| d.as_ref() != i.expected.as_ref())
                .map(|(i, _)| i.name.clone())
                .collect(),
        });
        let stack_used = events.iter().find_map(|e| match *e {
            Event::Stack { used, .. } => Some(used as u64),
            _ => None,
        });
        ModelSummary {
            name: c.name.clone(),
            sha256: self.model.sha256.clone(),
            variant: c.variant.name().into(),
            macs: c.macs(),
            arena_bytes: c.arena_bytes as u64,
            scratch_bytes: 2 * c.scratch_elems as u64,
            const_bytes: 4 * c.data.len() as u64,
            layers: c
                .info
                .iter()
                .map(|l| ModelLayer {
                    index: l.index as u32,
                    op: l.op.clone(),
                    arena_bytes: l.arena_bytes as u64,
                    scratch_bytes: l.scratch_bytes as u64,
                    const_bytes: l.const_bytes as u64,
                })
                .collect(),
            memory: MemoryFootprint {
                text: footprint.text,
                rodata: footprint.rodata,
                data: footprint.data,
                bss: footprint.bss,
                stack_used,
                flash_size: target.flash.size,
                ram_size: target.ram.size,
            },
            inputs: self.inputs.len() as u32,
            host_mismatches,
            reference,
            quality: None,
        }
    }

    /// Quality metrics of the labelled inputs, from the device's outputs: the argmax
    /// (first maximum) for a classifier, the reconstruction error for an autoencoder.
    /// `None` when no input has a label; an error when the device did not report the
    /// output of a labelled input.
    pub fn quality(
        &self,
        task: crate::dataset::Task,
        outputs: &[Option<Vec<i8>>],
    ) -> anyhow::Result<Option<QualityMetrics>> {
        let mut labels = Vec::new();
        let mut device = Vec::new();
        for (input, out) in self.inputs.iter().zip(outputs) {
            let Some(label) = input.label else { continue };
            let out = out
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("the device sent no output for {}", input.name))?;
            labels.push(label);
            device.push((input, out));
        }
        if labels.is_empty() {
            return Ok(None);
        }
        let mut q = match task {
            crate::dataset::Task::Classification => {
                let mut predicted = Vec::new();
                let mut classes = 0;
                for (_, o) in &device {
                    let v = self.output_values(o).ok_or_else(|| {
                        anyhow::anyhow!("the model's outputs mix int8 and int16; tinybench does not score them as one classifier")
                    })?;
                    // First maximum, as numpy's argmax (the generator's convention).
                    let max = v.iter().copied().max().unwrap_or(i32::MIN);
                    predicted.push(v.iter().position(|&x| x == max).unwrap_or(0) as u32);
                    classes = v.len() as u32;
                }
                metrics::classification(&predicted, &labels, classes)
            }
            crate::dataset::Task::Anomaly if self.int16_outputs() => {
                anyhow::bail!("anomaly scores (reconstruction error) of 16x8 models (int16 outputs) are not supported yet; run without labels, or as a classifier")
            }
            crate::dataset::Task::Anomaly => {
                let (i, o) = (
                    self.model.tensor(self.model.inputs[0]),
                    self.model.tensor(self.model.outputs[0]),
                );
                let scores: Vec<f64> = device
                    .iter()
                    .map(|(input, out)| {
                        metrics::anomaly_score(
                            &input.data,
                            i.scale as f64,
                            i.zero_point,
                            out,
                            o.scale as f64,
                            o.zero_point,
                        )
                    })
                    .collect();
                metrics::anomaly(&scores, &labels, None)
            }
        };
        q.samples = self.inputs.len();
        Ok(Some(q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinybench_model::testing::chain_model;
    use tinybench_model::testing::tflite::{BuiltinOperator as B, TensorType as T};

    /// A one-RESHAPE model of `[1, 4]` tensors of type `ty`, with one input labelled 1.
    fn prepared(ty: T) -> Prepared {
        let bytes = chain_model(&[B::RESHAPE], &[ty, ty]);
        let model = tinybench_model::import("m.tflite", &bytes).unwrap();
        let compiled =
            tinybench_model::compile(&model, &tinybench_model::plan(&model), Variant::Reference);
        let input = Input {
            name: "x".into(),
            data: vec![0; compiled.input_len()],
            label: Some(1),
            expected: None,
        };
        prepare(model, compiled, vec![input]).unwrap()
    }

    #[test]
    fn a_16x8_classifier_is_scored_on_its_int16_scores_not_their_bytes() {
        // Scores 1, 256, 0, 0 as int16 little-endian bytes: 1 0 0 1 0 0 0 0. The byte-wise
        // argmax would be class 0 of 8; the int16 one is class 1 of 4, the label.
        let p = prepared(T::INT16);
        let out = vec![1i8, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(p.output_values(&out), Some(vec![1, 256, 0, 0]));
        assert!(p.int16_outputs());
        let q = p
            .quality(crate::dataset::Task::Classification, &[Some(out)])
            .unwrap()
            .unwrap();
        assert_eq!(q.accuracy, Some(1.0));
        // An int8 model's outputs are its bytes.
        let p = prepared(T::INT8);
        assert_eq!(p.output_values(&[1, -2, 3, 0]), Some(vec![1, -2, 3, 0]));
        assert!(!p.int16_outputs());
    }
}
