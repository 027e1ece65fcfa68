//! Picking stored runs by what a user types: a run id (or a unique prefix of one),
//! `latest`, `latest~N` (N runs before the latest), or a git ref of the project (the newest
//! run made at that commit).

use std::path::{Path, PathBuf};
use tinybench_results::store::{IndexEntry, Store, StoreError, StoredRun};

/// Why no run matched.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The store has no runs (after filtering).
    #[error("no stored runs{filter} in {dir} (run `tinybench run` first, or pass --results-dir)")]
    Empty {
        /// The filter in words.
        filter: String,
        /// The store.
        dir: String,
    },
    /// `latest~N` beyond the history.
    #[error("`{spec}`: only {have} stored run(s){filter}")]
    TooFarBack {
        /// What was asked.
        spec: String,
        /// How many runs there are.
        have: usize,
        /// The filter in words.
        filter: String,
    },
    /// Several ids start with the prefix.
    #[error("`{spec}` matches {n} runs: {examples}… (give more of the id)")]
    Ambiguous {
        /// What was asked.
        spec: String,
        /// How many matched.
        n: usize,
        /// Some of them.
        examples: String,
    },
    /// Nothing matched.
    #[error("`{spec}` is neither a stored run id, `latest`, `latest~N`, nor a git ref with a stored run{filter} (see `tinybench results list`)")]
    NoMatch {
        /// What was asked.
        spec: String,
        /// The filter in words.
        filter: String,
    },
    /// The run exists, but of another target or suite than the filter asks (`compare`
    /// picks BASE among runs of HEAD's target and suite).
    #[error("`{spec}` is run {id} of target {target}, suite {suite}, but runs{filter} are asked for: compare needs BASE and HEAD of the same target and suite")]
    OtherTarget {
        /// What was asked.
        spec: String,
        /// The run it names.
        id: String,
        /// Its target.
        target: String,
        /// Its suite.
        suite: String,
        /// The filter in words.
        filter: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Restrict the candidates to a target and/or suite.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Target name.
    pub target: Option<String>,
    /// Suite name.
    pub suite: Option<String>,
}

impl Filter {
    fn accepts(&self, e: &IndexEntry) -> bool {
        self.target.as_ref().is_none_or(|t| *t == e.target)
            && self.suite.as_ref().is_none_or(|s| *s == e.suite)
    }

    fn words(&self) -> String {
        match (&self.target, &self.suite) {
            (None, None) => String::new(),
            (Some(t), None) => format!(" for target {t}"),
            (None, Some(s)) => format!(" for suite {s}"),
            (Some(t), Some(s)) => format!(" for target {t}, suite {s}"),
        }
    }
}

/// Find the run `spec` names among the store's runs accepted by `filter`.
pub fn select(
    store: &Store,
    project_root: Option<&Path>,
    spec: &str,
    filter: &Filter,
) -> Result<StoredRun, SelectError> {
    let listing = store.list()?;
    warn_skipped(store, &listing.skipped);
    let runs: Vec<&IndexEntry> = listing.runs.iter().filter(|e| filter.accepts(e)).collect();
    if runs.is_empty() {
        return Err(SelectError::Empty {
            filter: filter.words(),
            dir: store.dir().display().to_string(),
        });
    }
    let back = if spec == "latest" {
        Some(0)
    } else {
        spec.strip_prefix("latest~")
            .and_then(|n| n.parse::<usize>().ok())
    };
    if let Some(back) = back {
        let Some(e) = runs.len().checked_sub(back + 1).map(|i| runs[i]) else {
            return Err(SelectError::TooFarBack {
                spec: spec.to_string(),
                have: runs.len(),
                filter: filter.words(),
            });
        };
        return Ok(store.load(&e.id)?);
    }
    if let Some(e) = runs.iter().find(|e| e.id == spec) {
        return Ok(store.load(&e.id)?);
    }
    let prefixed: Vec<&&IndexEntry> = runs.iter().filter(|e| e.id.starts_with(spec)).collect();
    match prefixed.len() {
        1 => return Ok(store.load(&prefixed[0].id)?),
        n if n > 1 => {
            return Err(SelectError::Ambiguous {
                spec: spec.to_string(),
                n,
                examples: prefixed
                    .iter()
                    .take(3)
                    .map(|e| e.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
        _ => {}
    }
    if let Some(commit) = project_root.and_then(|root| crate::provenance::git_resolve(root, spec)) {
        // The index holds only the short commit label; load the candidates to match the
        // full commit.
        for e in runs.iter().rev() {
            if !e.commit.starts_with(&commit[..commit.len().min(12)]) {
                continue;
            }
            let r = store.load(&e.id)?;
            if r.run.meta.git_commit.as_deref() == Some(commit.as_str()) {
                return Ok(r);
            }
        }
    }
    if filter.target.is_some() || filter.suite.is_some() {
        if let Ok(r) = select(store, project_root, spec, &Filter::default()) {
            return Err(SelectError::OtherTarget {
                spec: spec.to_string(),
                id: r.id,
                target: r.run.target,
                suite: r.run.suite,
                filter: filter.words(),
            });
        }
    }
    Err(SelectError::NoMatch {
        spec: spec.to_string(),
        filter: filter.words(),
    })
}

/// Whether the base store of `tinybench ci` can be read. `Ok` when it does not exist at
/// all (no base yet); an error when it exists but is not a directory, its `runs/` cannot
/// be listed, or it holds run files of which none can be read (issue 19: a read error is
/// not "no base yet").
pub fn base_readable(dir: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
        Ok(_) if !dir.is_dir() => {
            return Err(format!("{} exists but is not a directory", dir.display()))
        }
        Ok(_) => {}
    }
    let listing = Store::new(dir).list().map_err(|e| e.to_string())?;
    match (listing.runs.is_empty(), listing.skipped.first()) {
        (true, Some(first)) => Err(format!(
            "{}: none of its {} run file(s) can be read ({}: {})",
            dir.display(),
            listing.skipped.len(),
            first.file,
            first.reason
        )),
        _ => Ok(()),
    }
}

/// Print the store's warnings (corrupt files skipped) to stderr, each file once per
/// process (`compare` looks runs up twice).
pub fn warn_skipped(store: &Store, skipped: &[tinybench_results::store::Skipped]) {
    static WARNED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    for s in skipped {
        let path = store.dir().join("runs").join(&s.file);
        if warned.contains(&path) {
            continue;
        }
        eprintln!("warning: skipped {}: {}", path.display(), s.reason);
        warned.push(path);
    }
}
