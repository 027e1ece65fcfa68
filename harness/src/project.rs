//! Finding the project: the project files (`targets/`, `suites/`, the firmware and the
//! kernels it builds) and the user's directory (results, git commit, own target and suite
//! files).
//!
//! The project files come from, in order: `--project-dir`; a tinybench source checkout
//! holding the current directory (kernel developers work there); else the copy embedded in
//! the binary, unpacked into the cache directory ([`embedded`]). The user's directory is
//! the nearest `tinybench.toml` upward from the current directory ([`manifest`]), else the
//! checkout or the current directory.

pub mod embedded;
pub mod manifest;

use crate::config::suite::Suite;
use crate::config::target::Target;
use crate::config::{toml_names, ConfigError};
use std::path::{Path, PathBuf};

/// Where the project files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--project-dir`.
    Given,
    /// A tinybench source checkout holding the current directory.
    Checkout,
    /// Embedded in the binary, unpacked into the cache directory.
    Embedded,
}

/// The project tinybench works in.
#[derive(Debug, Clone)]
pub struct Project {
    /// Root of the project files: holds `targets/`, `suites/`, `kernels/`.
    pub root: PathBuf,
    /// Where `root` comes from.
    pub origin: Origin,
    /// The user's directory: its git commit is recorded with each run, results go to
    /// `tinybench-results/` in it by default.
    pub home: PathBuf,
    /// The `tinybench.toml` that made `home`, with its settings, when there is one.
    pub manifest: Option<manifest::Manifest>,
    /// Where firmware builds go (`<root>/target/tinybench` in a checkout, the cache
    /// directory otherwise: the unpacked files stay as unpacked).
    pub build_dir: PathBuf,
}

/// The project could not be found.
#[derive(Debug, thiserror::Error)]
pub enum NoProject {
    /// `--project-dir` is not a project.
    #[error(
        "{0} is not a tinybench project: expected a directory holding targets/firmware/Cargo.toml"
    )]
    NotAProject(String),
    /// The embedded files could not be unpacked.
    #[error(transparent)]
    Unpack(#[from] embedded::UnpackError),
    /// A `tinybench.toml` is wrong.
    #[error(transparent)]
    Manifest(#[from] ConfigError),
}

fn is_root(p: &Path) -> bool {
    p.join("targets/firmware/Cargo.toml").is_file()
}

impl Project {
    /// A project whose files and user directory are both `root` (tests, `--project-dir`).
    pub fn at(root: &Path) -> Project {
        Project {
            root: root.to_path_buf(),
            origin: Origin::Given,
            home: root.to_path_buf(),
            manifest: None,
            build_dir: root.join("target").join("tinybench"),
        }
    }

    /// Use `dir`, or find the project from the current directory (see the module doc).
    /// Nothing compiled into the binary points at the tree it was built from.
    pub fn find(dir: Option<&Path>) -> Result<Project, NoProject> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let manifest = manifest::find(&cwd)?;
        let mut p = if let Some(d) = dir {
            if !is_root(d) {
                return Err(NoProject::NotAProject(d.display().to_string()));
            }
            Project::at(d)
        } else if let Some(root) = cwd.ancestors().find(|p| is_root(p)) {
            Project {
                origin: Origin::Checkout,
                ..Project::at(root)
            }
        } else {
            let root = embedded::unpack()?;
            let cache = root.parent().map_or(root.clone(), Path::to_path_buf);
            Project {
                root,
                origin: Origin::Embedded,
                home: cwd.clone(),
                manifest: None,
                build_dir: cache.join("build"),
            }
        };
        // A tinybench.toml nearer than the checkout (or anywhere, with embedded files)
        // makes its directory the user's.
        if let Some(m) = manifest {
            if p.origin == Origin::Embedded || m.dir.starts_with(&p.home) {
                p.home = m.dir.clone();
                p.manifest = Some(m);
            }
        }
        Ok(p)
    }

    /// Where results go by default: the manifest's `results`, else
    /// `<home>/tinybench-results`.
    pub fn results_dir(&self) -> PathBuf {
        match self.manifest.as_ref().and_then(|m| m.results.clone()) {
            Some(d) => d,
            None => self.home.join("tinybench-results"),
        }
    }

    /// One line on where the project files come from (`doctor`).
    pub fn describe(&self) -> String {
        match self.origin {
            Origin::Given => format!("{} (--project-dir)", self.root.display()),
            Origin::Checkout => format!("source checkout {}", self.root.display()),
            Origin::Embedded => format!(
                "embedded in tinybench {}, unpacked at {}",
                env!("CARGO_PKG_VERSION"),
                self.root.display()
            ),
        }
    }

    /// `targets/` of the project files.
    pub fn targets_dir(&self) -> PathBuf {
        self.root.join("targets")
    }

    /// `suites/` of the project files.
    pub fn suites_dir(&self) -> PathBuf {
        self.root.join("suites")
    }

    /// The directories searched for targets: the user's first.
    fn target_dirs(&self) -> Vec<PathBuf> {
        let user = self.manifest.as_ref().map(|m| m.targets.clone());
        user.into_iter().chain([self.targets_dir()]).collect()
    }

    /// The directories searched for suites: the user's first.
    fn suite_dirs(&self) -> Vec<PathBuf> {
        let user = self.manifest.as_ref().map(|m| m.suites.clone());
        user.into_iter().chain([self.suites_dir()]).collect()
    }

    /// A target by name (or by path to a `.toml`).
    pub fn target(&self, name: &str) -> Result<Target, ConfigError> {
        Target::load(&self.existing(&self.target_dirs(), "target", name)?)
    }

    /// A suite by name (or by path to a `.toml`).
    pub fn suite(&self, name: &str) -> Result<Suite, ConfigError> {
        let path = self.existing(&self.suite_dirs(), "suite", name)?;
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

    /// The file `name` names in the first of `dirs` holding it, or an error listing what
    /// they hold.
    fn existing(&self, dirs: &[PathBuf], kind: &str, name: &str) -> Result<PathBuf, ConfigError> {
        let path = resolve(dirs, name);
        if path.is_file() {
            return Ok(path);
        }
        if let Some(file_type) = std::fs::metadata(&path)
            .ok()
            .as_ref()
            .and_then(crate::fsread::non_regular)
        {
            return Err(ConfigError {
                path,
                line: None,
                column: None,
                field: None,
                message: format!("the {kind} file is {file_type}, not a regular file"),
            });
        }
        Err(ConfigError {
            path,
            line: None,
            column: None,
            field: None,
            message: format!(
                "unknown {kind} `{name}`; known {kind}s: {}",
                names(dirs).join(", ")
            ),
        })
    }

    /// The file of suite `name` (a name in a suites directory or a path to a `.toml`).
    pub fn suite_path(&self, name: &str) -> PathBuf {
        resolve(&self.suite_dirs(), name)
    }

    /// Every suite name, the user's first (a user suite hides a built-in one of its name).
    pub fn suite_names(&self) -> Vec<String> {
        names(&self.suite_dirs())
    }

    /// Every target file, loaded (errors kept per file).
    pub fn all_targets(&self) -> Vec<Result<Target, ConfigError>> {
        names(&self.target_dirs())
            .iter()
            .map(|n| self.target(n))
            .collect()
    }

    /// Every kernel suite file, loaded (errors kept per file); model suites are
    /// [`Project::model_suite`]'s.
    pub fn all_suites(&self) -> Vec<Result<Suite, ConfigError>> {
        self.suite_names()
            .iter()
            .filter(|n| !self.is_model_suite(n))
            .map(|n| self.suite(n))
            .collect()
    }

    fn is_model_suite(&self, name: &str) -> bool {
        crate::config::read(&self.suite_path(name))
            .is_ok_and(|t| crate::config::model_suite::is_model_suite(&t))
    }

    /// Where a model suite's `file = "…"` names are looked up (beside the checkout, or
    /// beside the user's directory; `TINYBENCH_MODELS_DIR` wins).
    fn models_dir(&self) -> PathBuf {
        let base = match self.origin {
            Origin::Embedded => &self.home,
            _ => &self.root,
        };
        crate::config::model_suite::models_dir(base)
    }

    /// The model suite `name` names, or `None` when it is a kernel suite (or missing:
    /// [`Project::suite`] says so).
    pub fn model_suite(
        &self,
        name: &str,
    ) -> Result<Option<crate::config::model_suite::ModelSuite>, ConfigError> {
        use crate::config::model_suite::{is_model_suite, ModelSuite};
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
        ModelSuite::parse(&path, &text, &self.models_dir()).map(Some)
    }
}

/// `name` as a path (`….toml`), else `<dir>/<name>.toml` in the first of `dirs` that has
/// it (the last one when none has: the error names it).
fn resolve(dirs: &[PathBuf], name: &str) -> PathBuf {
    if name.ends_with(".toml") {
        return PathBuf::from(name);
    }
    let file = format!("{name}.toml");
    dirs.iter()
        .map(|d| d.join(&file))
        .find(|p| p.is_file())
        .unwrap_or_else(|| dirs.last().map_or(PathBuf::from(&file), |d| d.join(&file)))
}

/// The `*.toml` names of `dirs`, each once, sorted.
fn names(dirs: &[PathBuf]) -> Vec<String> {
    let mut all: Vec<String> = dirs.iter().flat_map(|d| toml_names(d)).collect();
    all.sort();
    all.dedup();
    all
}
