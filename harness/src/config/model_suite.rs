//! Model suites: a TOML listing whole `.tflite` models (with their datasets) to run one
//! after the other, e.g. `suites/mlperf-tiny.toml`. Told apart from a kernel suite by its
//! `[[model]]` tables.

use super::{ConfigError, Source};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModelSuite {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    model: Vec<RawModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    file: Spanned<String>,
    dataset: Option<Spanned<String>>,
}

/// One model of a model suite, with its paths resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelEntry {
    /// Short name.
    pub name: String,
    /// The `.tflite` file.
    pub file: PathBuf,
    /// Its dataset directory, if any.
    pub dataset: Option<PathBuf>,
}

/// A parsed model suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSuite {
    /// Suite name (the file stem).
    pub name: String,
    /// What it is.
    pub description: String,
    /// Its models, in order.
    pub models: Vec<ModelEntry>,
}

/// Where `file = "…"` names are looked up: `TINYBENCH_MODELS_DIR`, else
/// `../shared/models/mlperf-tiny` beside the project (the MLPerf Tiny reference models
/// are not in the repository; README says where to get them).
pub fn models_dir(project_root: &Path) -> PathBuf {
    std::env::var_os("TINYBENCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root.join("../shared/models/mlperf-tiny"))
}

/// Whether suite text is a model suite (has `[[model]]`), without validating it.
pub fn is_model_suite(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("model"))
}

impl ModelSuite {
    /// Validate model-suite text. `file` resolves against `models_dir`, `dataset`
    /// against the suite file's directory; both must exist.
    pub fn parse(path: &Path, text: &str, models_dir: &Path) -> Result<ModelSuite, ConfigError> {
        let src = Source { path, text };
        let raw: RawModelSuite = src.parse()?;
        src.check_name(&raw.name)?;
        if raw.model.is_empty() {
            return Err(src.error(Some(raw.name.span()), Some("model"), "lists no models"));
        }
        let here = path.parent().unwrap_or(Path::new("."));
        let models = raw
            .model
            .into_iter()
            .map(|m| {
                let file = models_dir.join(m.file.get_ref());
                if !file.is_file() {
                    return Err(src.error(
                        Some(m.file.span()),
                        Some("file"),
                        format!(
                            "{} does not exist (models are read from TINYBENCH_MODELS_DIR or ../shared/models/mlperf-tiny; see README)",
                            file.display()
                        ),
                    ));
                }
                let dataset = match &m.dataset {
                    None => None,
                    Some(d) => {
                        let dir = here.join(d.get_ref());
                        if !dir.join("labels.csv").is_file() {
                            return Err(src.error(
                                Some(d.span()),
                                Some("dataset"),
                                format!("{} is not a dataset directory (no labels.csv)", dir.display()),
                            ));
                        }
                        Some(dir)
                    }
                };
                Ok(ModelEntry { name: m.name, file, dataset })
            })
            .collect::<Result<_, _>>()?;
        Ok(ModelSuite {
            name: raw.name.into_inner(),
            description: raw.description,
            models,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("m.tflite"), b"x").unwrap();
        std::fs::create_dir_all(d.path().join("ds")).unwrap();
        std::fs::write(d.path().join("ds/labels.csv"), "file,label\n").unwrap();
        d
    }

    #[test]
    fn resolves_models_and_datasets() {
        let d = setup();
        let p = d.path().join("s.toml");
        let text = "name = \"s\"\n[[model]]\nname = \"a\"\nfile = \"m.tflite\"\ndataset = \"ds\"\n";
        assert!(is_model_suite(text));
        let s = ModelSuite::parse(&p, text, d.path()).unwrap();
        assert_eq!(s.models[0].file, d.path().join("m.tflite"));
        assert_eq!(s.models[0].dataset, Some(d.path().join("ds")));
    }

    #[test]
    fn a_missing_model_names_line_and_field() {
        let d = setup();
        let p = d.path().join("s.toml");
        let text = "name = \"s\"\n[[model]]\nname = \"a\"\nfile = \"gone.tflite\"\n";
        let e = ModelSuite::parse(&p, text, d.path()).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(4), Some("file")), "{e}");
        assert!(e.to_string().contains("gone.tflite does not exist"), "{e}");
        let text = "name = \"s\"\n[[model]]\nname = \"a\"\nfile = \"m.tflite\"\nrepz = 3\n";
        let e = ModelSuite::parse(&p, text, d.path()).unwrap_err();
        assert!(e.to_string().contains("repz"), "{e}");
        assert!(!is_model_suite("name = \"k\"\n[[case]]\n"));
    }
}
