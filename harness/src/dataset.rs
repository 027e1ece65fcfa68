//! Labelled input datasets for whole models (issue 9): the dataset directory format of
//! docs/models.md ("Dataset directory format") and its loader.
//!
//! `DIR/labels.csv` lists the samples (`file,label`), each a raw int8 input tensor under
//! `DIR`; `DIR/expected/<file>` optionally holds the LiteRT reference output for it;
//! `DIR/dataset.toml` optionally says which task and model the set is for. Every problem
//! is an error naming the file (and the line of labels.csv), never a panic.

mod error;
mod guard;

pub use error::DatasetError;

use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// What the labels mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Labels are class indices; the prediction is the argmax of the output.
    Classification,
    /// Labels are 0 (normal) or 1 (anomalous); the output yields an anomaly score.
    Anomaly,
}

/// One input of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The input's path relative to the dataset directory, as written in labels.csv.
    pub name: String,
    /// The input tensor (NHWC, row-major), exactly the model's input length.
    pub input: Vec<i8>,
    /// The label, `None` for an unlabelled sample.
    pub label: Option<u32>,
    /// The reference output from `expected/<name>`, when the dataset has it.
    pub expected: Option<Vec<i8>>,
}

/// A loaded dataset directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The directory it was loaded from.
    pub dir: PathBuf,
    /// The task from dataset.toml, if the file says.
    pub task: Option<Task>,
    /// The samples in labels.csv order.
    pub samples: Vec<Sample>,
}

/// The metadata of `DIR/dataset.toml`. Keys other than these are ignored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DatasetMeta {
    /// The task the labels are for.
    pub task: Option<Task>,
    /// File name of the .tflite model the set is for.
    pub model: Option<String>,
    /// What produced the set.
    pub generator: Option<String>,
    /// Free text.
    pub description: Option<String>,
}

/// Read `DIR/dataset.toml`; `None` when the file does not exist.
pub fn read_meta(dir: &Path) -> Result<Option<DatasetMeta>, DatasetError> {
    let path = dir.join("dataset.toml");
    let text = match crate::fsread::text(&path, crate::fsread::MAX_TOML_BYTES) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => {
            let source = guard::io_error(e);
            return Err(DatasetError::Io { path, source });
        }
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| DatasetError::Meta {
            path,
            message: e.to_string().trim_end().to_string(),
        })
}

/// Whether `file` is a plain relative path that stays inside the dataset directory. A
/// lexical check (no `..`, no root, no drive prefix); symlinks inside `DIR` are followed.
fn stays_inside(file: &str) -> bool {
    let p = Path::new(file);
    // Backslashes would be separators on Windows: refuse them everywhere.
    !file.contains('\\')
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        && p.components().any(|c| matches!(c, Component::Normal(_)))
}

/// Where the expected output of input `file` lives, relative to the dataset directory:
/// `inputs/` and `expected/` are parallel trees, so `inputs/006.bin` has
/// `expected/006.bin`; an input outside `inputs/`, say `a/b.bin`, has `expected/a/b.bin`.
pub fn expected_name(file: &str) -> PathBuf {
    let p = Path::new(file);
    let p = p.strip_prefix(".").unwrap_or(p);
    Path::new("expected").join(p.strip_prefix("inputs").unwrap_or(p))
}

fn to_i8(b: Vec<u8>) -> Vec<i8> {
    b.into_iter().map(|b| b as i8).collect()
}

/// The labels.csv header for a model with `inputs` graph inputs.
fn header_for(inputs: usize) -> Vec<String> {
    let mut h: Vec<String> = if inputs == 1 {
        vec!["file".into()]
    } else {
        (0..inputs).map(|k| format!("file_{k}")).collect()
    };
    h.push("label".into());
    h
}

/// One input file of a sample (line `line` of labels.csv at `path`): a relative path
/// inside `dir`, listed once, of exactly `want` bytes.
fn read_input(
    dir: &Path,
    path: &Path,
    line: u64,
    file: &str,
    want: usize,
    seen: &mut HashMap<String, u64>,
) -> Result<Vec<i8>, DatasetError> {
    let path = path.to_path_buf();
    let file = file.to_string();
    if file.is_empty() {
        return Err(DatasetError::EmptyName { path, line });
    }
    if !stays_inside(&file) {
        return Err(DatasetError::EscapingPath { path, line, file });
    }
    // `inputs/a.bin`, `./inputs/a.bin` and `inputs//a.bin` are one sample.
    let key = guard::normalize(&file);
    if let Some(&first) = seen.get(&key) {
        return Err(DatasetError::Duplicate {
            path,
            line,
            file,
            first,
        });
    }
    seen.insert(key, line);
    // At most one byte more than the tensor: enough to tell "too long".
    let input = match guard::read_inside(dir, Path::new(&file), want as u64 + 1) {
        Ok(b) => to_i8(b),
        Err(guard::Refused::Outside(target)) => {
            return Err(DatasetError::Outside {
                path,
                line,
                file,
                target,
            })
        }
        Err(guard::Refused::Read(crate::fsread::ReadError::TooLarge { len, .. })) => {
            return Err(DatasetError::InputSize {
                path,
                line,
                file,
                len: len as usize,
                want,
            })
        }
        Err(guard::Refused::Read(e)) => {
            let source = guard::io_error(e);
            return Err(DatasetError::MissingInput {
                path,
                line,
                file,
                source,
            });
        }
    };
    if input.len() != want {
        return Err(DatasetError::InputSize {
            path,
            line,
            file,
            len: input.len(),
            want,
        });
    }
    Ok(input)
}

impl Dataset {
    /// Load the dataset in `dir` for a model whose input tensor is `input_len` bytes and
    /// output tensor `output_len` bytes: every input must have exactly `input_len` bytes
    /// and every expected output exactly `output_len`.
    pub fn load(dir: &Path, input_len: usize, output_len: usize) -> Result<Dataset, DatasetError> {
        Self::load_inputs(dir, &[input_len], output_len)
    }

    /// Load the dataset in `dir` for a model with one graph input per entry of
    /// `input_lens` (their byte counts): labels.csv then has one file column per input
    /// (`file_0,file_1,…,label`; `file,label` for one input) and a sample's input is the
    /// files back to back, in the graph's input order. Its name and expected output are
    /// those of its first file.
    pub fn load_inputs(
        dir: &Path,
        input_lens: &[usize],
        output_len: usize,
    ) -> Result<Dataset, DatasetError> {
        let path = dir.join("labels.csv");
        let header = header_for(input_lens.len());
        let width = header.len();
        let bytes = match crate::fsread::bytes(&path, crate::fsread::MAX_LABELS_BYTES) {
            Ok(b) => b,
            Err(e) if e.is_not_found() => return Err(DatasetError::MissingLabels { path }),
            Err(e) => {
                let source = guard::io_error(e);
                return Err(DatasetError::Io { path, source });
            }
        };
        let task = read_meta(dir)?.and_then(|m| m.task);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let mut samples = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut header_done = false;
        for record in reader.records() {
            let record = record.map_err(|e| DatasetError::Csv {
                path: path.clone(),
                line: e.position().map_or(0, |p| p.line()),
                message: match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
                    _ => e.to_string(),
                },
            })?;
            let line = record.position().map_or(0, |p| p.line());
            if !header_done {
                header_done = true;
                let mut fields: Vec<&str> = record.iter().collect();
                if let Some(first) = fields.first_mut() {
                    // A spreadsheet may save a byte order mark.
                    *first = first.trim_start_matches('\u{feff}');
                }
                if fields != header {
                    return Err(DatasetError::BadHeader {
                        path,
                        line,
                        found: fields.join(","),
                        want: header.join(","),
                    });
                }
                continue;
            }
            if record.len() != width {
                return Err(DatasetError::BadRow {
                    path,
                    line,
                    fields: record.len(),
                    want: width,
                    header: header.join(","),
                });
            }
            let label = match &record[width - 1] {
                "" => None,
                l => Some(l.parse::<u32>().map_err(|_| DatasetError::BadLabel {
                    path: path.clone(),
                    line,
                    file: record[0].to_string(),
                    label: l.to_string(),
                })?),
            };
            let mut input = Vec::new();
            for (k, &want) in input_lens.iter().enumerate() {
                input.extend(read_input(dir, &path, line, &record[k], want, &mut seen)?);
            }
            let file = record[0].to_string();
            let expected_path = dir.join(expected_name(&file));
            let expected =
                match guard::read_inside(dir, &expected_name(&file), output_len as u64 + 1) {
                    Ok(b) => Some(to_i8(b)),
                    Err(guard::Refused::Read(e)) if e.is_not_found() => None,
                    Err(guard::Refused::Read(crate::fsread::ReadError::TooLarge {
                        len, ..
                    })) => {
                        return Err(DatasetError::ExpectedSize {
                            path,
                            line,
                            expected: expected_name(&file),
                            file,
                            len: len as usize,
                            want: output_len,
                        })
                    }
                    Err(guard::Refused::Outside(target)) => {
                        return Err(DatasetError::Outside {
                            path,
                            line,
                            file: expected_name(&file).display().to_string(),
                            target,
                        })
                    }
                    Err(guard::Refused::Read(e)) => {
                        let source = guard::io_error(e);
                        return Err(DatasetError::Io {
                            path: expected_path,
                            source,
                        });
                    }
                };
            if let Some(e) = &expected {
                if e.len() != output_len {
                    return Err(DatasetError::ExpectedSize {
                        path,
                        line,
                        len: e.len(),
                        expected: expected_name(&file),
                        file,
                        want: output_len,
                    });
                }
            }
            samples.push(Sample {
                name: file,
                input,
                label,
                expected,
            });
        }
        if !header_done {
            return Err(DatasetError::BadHeader {
                path,
                line: 1,
                found: String::new(),
                want: header.join(","),
            });
        }
        if samples.is_empty() {
            return Err(DatasetError::Empty { path });
        }
        Ok(Dataset {
            dir: dir.to_path_buf(),
            task,
            samples,
        })
    }
}

#[cfg(test)]
mod tests;
