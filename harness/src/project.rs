//! Finding the project's `targets/`, `suites/` and firmware.

use crate::config::suite::Suite;
use crate::config::target::Target;
use crate::config::{toml_names, ConfigError};
use std::path::{Path, PathBuf};

/// The project tree tinybench works in.
#[derive(Debug, Clone)]
pub struct Project {
    /// Root: holds `targets/`, `suites/`, `kernels/`.
    pub root: PathBuf,
}

/// The project root could not be found.
#[derive(Debug, thiserror::Error)]
#[error("no tinybench project found from {start}: expected a directory holding targets/firmware/Cargo.toml (pass --project-dir)")]
pub struct NoProject {
    start: String,
}

impl Project {
    /// Use `dir`, or find the root upward from the current directory, falling back to
    /// the source tree this binary was built from.
    pub fn find(dir: Option<&Path>) -> Result<Project, NoProject> {
        let is_root = |p: &Path| p.join("targets/firmware/Cargo.toml").is_file();
        if let Some(d) = dir {
            return if is_root(d) {
                Ok(Project {
                    root: d.to_path_buf(),
                })
            } else {
                Err(NoProject {
                    start: d.display().to_string(),
                })
            };
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        if let Some(root) = cwd.ancestors().find(|p| is_root(p)) {
            return Ok(Project {
                root: root.to_path_buf(),
            });
        }
        let built_from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf);
        match built_from {
            Some(root) if is_root(&root) => Ok(Project { root }),
            _ => Err(NoProject {
                start: cwd.display().to_string(),
            }),
        }
    }

    /// `targets/`.
    pub fn targets_dir(&self) -> PathBuf {
        self.root.join("targets")
    }

    /// `suites/`.
    pub fn suites_dir(&self) -> PathBuf {
        self.root.join("suites")
    }

    /// A target by name (or by path to a `.toml`).
    pub fn target(&self, name: &str) -> Result<Target, ConfigError> {
        Target::load(&self.existing(&self.targets_dir(), "target", name)?)
    }

    /// A suite by name (or by path to a `.toml`).
    pub fn suite(&self, name: &str) -> Result<Suite, ConfigError> {
        let path = self.existing(&self.suites_dir(), "suite", name)?;
        if self.is_model_suite(name) {
            return Err(ConfigError {
                path,
                line: None,
                column: None,
                field: Some("model".into()),
                message: format!(
                    "is a model suite (whole .tflite models): run it with `tinybench run --suite {name}`; this command takes a kernel suite"
                ),
            });
        }
        Suite::load(&path)
    }

    /// The file `name` names in `dir`, or an error listing what `dir` holds.
    fn existing(&self, dir: &Path, what: &str, name: &str) -> Result<PathBuf, ConfigError> {
        let path = self.resolve(dir, name);
        if path.is_file() {
            return Ok(path);
        }
        if let Some(kind) = std::fs::metadata(&path)
            .ok()
            .as_ref()
            .and_then(crate::fsread::non_regular)
        {
            return Err(ConfigError {
                path,
                line: None,
                column: None,
                field: None,
                message: format!("the {what} file is {kind}, not a regular file"),
            });
        }
        Err(ConfigError {
            path,
            line: None,
            column: None,
            field: None,
            message: format!(
                "unknown {what} `{name}`; known {what}s: {}",
                toml_names(dir).join(", ")
            ),
        })
    }

    /// The file of suite `name` (a name in `suites/` or a path to a `.toml`).
    pub fn suite_path(&self, name: &str) -> PathBuf {
        self.resolve(&self.suites_dir(), name)
    }

    fn resolve(&self, dir: &Path, name: &str) -> PathBuf {
        if name.ends_with(".toml") {
            PathBuf::from(name)
        } else {
            dir.join(format!("{name}.toml"))
        }
    }

    /// Every target file, loaded (errors kept per file).
    pub fn all_targets(&self) -> Vec<Result<Target, ConfigError>> {
        toml_names(&self.targets_dir())
            .iter()
            .map(|n| self.target(n))
            .collect()
    }

    /// Every kernel suite file, loaded (errors kept per file); model suites are
    /// [`Project::model_suite`]'s.
    pub fn all_suites(&self) -> Vec<Result<Suite, ConfigError>> {
        toml_names(&self.suites_dir())
            .iter()
            .filter(|n| !self.is_model_suite(n))
            .map(|n| self.suite(n))
            .collect()
    }

    fn is_model_suite(&self, name: &str) -> bool {
        crate::config::read(&self.suite_path(name))
            .is_ok_and(|t| crate::config::model_suite::is_model_suite(&t))
    }

    /// The model suite `name` names, or `None` when it is a kernel suite (or missing:
    /// [`Project::suite`] says so).
    pub fn model_suite(
        &self,
        name: &str,
    ) -> Result<Option<crate::config::model_suite::ModelSuite>, ConfigError> {
        use crate::config::model_suite::{is_model_suite, models_dir, ModelSuite};
        let path = self.suite_path(name);
        // A FIFO or device is refused here, before anything blocks on it (issue 19); a
        // missing file is `Project::suite`'s to report.
        let text = match crate::fsread::text(&path, crate::fsread::MAX_TOML_BYTES) {
            Ok(t) => t,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => {
                return Err(crate::config::read(&path).err().unwrap_or(ConfigError {
                    path,
                    line: None,
                    column: None,
                    field: None,
                    message: e.to_string(),
                }))
            }
        };
        if !is_model_suite(&text) {
            return Ok(None);
        }
        ModelSuite::parse(&path, &text, &models_dir(&self.root)).map(Some)
    }
}
