//! The result store: one JSON file per run under `<dir>/runs/`, plus `<dir>/index.json`
//! for fast listing.
//!
//! Safety rules: every file is written to a temp file in the same directory, flushed and
//! synced, then published under its final name, so an interrupted run leaves at worst an
//! ignored temp file; a run file is published with a hard link, which fails instead of
//! replacing an existing file, so nothing stored is ever overwritten; a file that does not
//! parse is reported by name and skipped, never deleted. The index is only a cache: when it
//! is missing, corrupt or disagrees with the directory, it is rebuilt from the run files.

use crate::{parse_run, CountKind, RunResult};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Index file format version.
const INDEX_VERSION: u32 = 1;

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A filesystem operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No stored run has this id.
    #[error("no run `{id}` in {dir}")]
    UnknownRun {
        /// The id asked for.
        id: String,
        /// The store.
        dir: PathBuf,
    },
    /// A stored run file does not parse.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A result directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// One line of the listing (and of the index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Run id (the file name without `.json`).
    pub id: String,
    /// Size of the run file in bytes (how the index notices a changed file).
    pub bytes: u64,
    /// Target name.
    pub target: String,
    /// Suite name.
    pub suite: String,
    /// Seconds since the Unix epoch.
    pub unix_time: u64,
    /// Commit label (`abcdef123456`, `…+dirty`, `—`).
    pub commit: String,
    /// What the counts measure.
    pub count_kind: CountKind,
    /// Number of cases.
    pub cases: usize,
    /// Number of cases that did not pass.
    pub failed: usize,
}

/// A file the store skipped, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The file.
    pub file: String,
    /// Size in bytes when it was looked at.
    pub bytes: u64,
    /// Why it was skipped.
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct IndexFile {
    index_version: u32,
    runs: Vec<IndexEntry>,
    skipped: Vec<Skipped>,
}

/// A stored run with its id.
#[derive(Debug, Clone)]
pub struct StoredRun {
    /// Run id.
    pub id: String,
    /// The run.
    pub run: RunResult,
}

/// The listing: runs oldest first, and what was skipped.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Stored runs, oldest first (ties by id).
    pub runs: Vec<IndexEntry>,
    /// Files that are not loadable runs (corrupt, truncated, unknown version).
    pub skipped: Vec<Skipped>,
    /// Leftover temp files of interrupted writes (ignored).
    pub leftover_temp_files: Vec<String>,
}

/// All runs loaded: oldest first, and what was skipped.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Stored runs, oldest first.
    pub runs: Vec<StoredRun>,
    /// Files that are not loadable runs.
    pub skipped: Vec<Skipped>,
}

/// What a merge did.
#[derive(Debug, Clone, Default)]
pub struct MergeReport {
    /// Runs copied in (their ids in this store).
    pub added: Vec<String>,
    /// Runs already present with identical content.
    pub duplicates: Vec<String>,
    /// Runs whose id exists here with different content: kept apart under a new id.
    pub renamed: Vec<(String, String)>,
}

/// Characters safe in a file name; anything else becomes `_`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `YYYYMMDDTHHMMSSZ` of a Unix time.
pub fn compact_utc(unix_time: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_time as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `YYYYMMDDTHHMMSS.mmmZ` of now: run ids start with their save time, so runs finished
/// within the same second still sort in the order they were stored.
fn compact_utc_now_ms() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = compact_utc(now.as_secs());
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), now.subsec_millis())
}

/// SHA-256 (hex, first 8 digits) of a run's content without its id.
fn content_hash(run: &RunResult) -> String {
    let mut r = run.clone();
    r.meta.run_id.clear();
    let json = serde_json::to_vec(&r).unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn entry_of(id: &str, bytes: u64, run: &RunResult) -> IndexEntry {
    IndexEntry {
        id: id.to_string(),
        bytes,
        target: run.target.clone(),
        suite: run.suite.clone(),
        unix_time: run.unix_time,
        commit: run.meta.commit_label(),
        count_kind: run.count_kind,
        cases: run.cases.len(),
        failed: run.cases.iter().filter(|c| !c.status.is_ok()).count(),
    }
}

fn sort_entries(v: &mut [IndexEntry]) {
    v.sort_by(|a, b| (a.unix_time, &a.id).cmp(&(b.unix_time, &b.id)));
}

/// Write `bytes` to a fresh temp file next to `dest` and sync it; returns the temp path.
fn write_temp(dest: &Path, bytes: &[u8]) -> Result<PathBuf, StoreError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{name}.tmp-{}-{nanos}", std::process::id()));
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io("create", &tmp))?;
    f.write_all(bytes).map_err(io("write", &tmp))?;
    f.sync_all().map_err(io("sync", &tmp))?;
    Ok(tmp)
}

fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

impl Store {
    /// The store in `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn runs_dir(&self) -> PathBuf {
        self.dir.join("runs")
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// Path of a run's file.
    pub fn run_path(&self, id: &str) -> PathBuf {
        self.runs_dir().join(format!("{id}.json"))
    }

    /// Store a run under a fresh id (`<UTC save time, ms>-<target>-<content hash>`, with
    /// `-2`, `-3`… appended if taken), set `run.meta.run_id`, and update the index. Never overwrites.
    pub fn save(&self, run: &mut RunResult) -> Result<String, StoreError> {
        let runs = self.runs_dir();
        fs::create_dir_all(&runs).map_err(io("create directory", &runs))?;
        let base = format!(
            "{}-{}-{}",
            compact_utc_now_ms(),
            sanitize(&run.target),
            content_hash(run)
        );
        for n in 1..=10_000u32 {
            let id = if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            run.meta.run_id = id.clone();
            let json = serde_json::to_string_pretty(run).unwrap_or_default();
            let dest = self.run_path(&id);
            if dest.exists() {
                continue;
            }
            let tmp = write_temp(&dest, json.as_bytes())?;
            // A hard link publishes the complete file atomically and fails if the name is
            // taken (rename would silently replace it).
            let linked = fs::hard_link(&tmp, &dest);
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => {
                    self.sync_dir(&runs);
                    // The index is a cache; a failure to update it is repaired on the next
                    // listing, so it must not fail the save.
                    let _ = self.refresh_index();
                    return Ok(id);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io("publish", &dest)(e)),
            }
        }
        let dest = self.run_path(&base);
        Err(io("publish", &dest)(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "10 000 runs with the same time, target and content already stored",
        )))
    }

    fn sync_dir(&self, dir: &Path) {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }

    /// Run files (`*.json`) and leftover temp files in `runs/`, with their sizes.
    fn scan(&self) -> Result<(BTreeMap<String, u64>, Vec<String>), StoreError> {
        let runs = self.runs_dir();
        let mut files = BTreeMap::new();
        let mut temps = Vec::new();
        let rd = match fs::read_dir(&runs) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((files, temps)),
            Err(e) => return Err(io("read directory", &runs)(e)),
        };
        for entry in rd {
            let entry = entry.map_err(io("read directory", &runs))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_temp(&name) {
                temps.push(name);
            } else if let Some(id) = name.strip_suffix(".json") {
                let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
                files.insert(id.to_string(), bytes);
            }
        }
        temps.sort();
        Ok((files, temps))
    }

    fn read_index(&self) -> Option<IndexFile> {
        let text = fs::read_to_string(self.index_path()).ok()?;
        let idx: IndexFile = serde_json::from_str(&text).ok()?;
        (idx.index_version == INDEX_VERSION).then_some(idx)
    }

    fn index_matches(idx: &IndexFile, files: &BTreeMap<String, u64>) -> bool {
        let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
        for e in &idx.runs {
            seen.insert(&e.id, e.bytes);
        }
        for s in &idx.skipped {
            if let Some(id) = s.file.strip_suffix(".json") {
                seen.insert(id, s.bytes);
            }
        }
        seen.len() == files.len()
            && files
                .iter()
                .all(|(id, bytes)| seen.get(id.as_str()) == Some(bytes))
    }

    /// Rebuild the index from the run files and write it atomically.
    fn refresh_index(&self) -> Result<(Vec<IndexEntry>, Vec<Skipped>), StoreError> {
        let loaded = self.load_all()?;
        let (files, _) = self.scan()?;
        let mut runs: Vec<IndexEntry> = loaded
            .runs
            .iter()
            .map(|r| entry_of(&r.id, files.get(&r.id).copied().unwrap_or(0), &r.run))
            .collect();
        sort_entries(&mut runs);
        let idx = IndexFile {
            index_version: INDEX_VERSION,
            runs,
            skipped: loaded.skipped,
        };
        let path = self.index_path();
        let json = serde_json::to_string_pretty(&idx).unwrap_or_default();
        let tmp = write_temp(&path, json.as_bytes())?;
        // The index is ours to replace: rename is atomic.
        fs::rename(&tmp, &path).map_err(io("replace", &path))?;
        Ok((idx.runs, idx.skipped))
    }

    /// List the stored runs, from the index when it is current (no run file is parsed),
    /// else from the files (and the index is rewritten).
    pub fn list(&self) -> Result<Listing, StoreError> {
        let (files, temps) = self.scan()?;
        if files.is_empty() {
            return Ok(Listing {
                leftover_temp_files: temps,
                ..Listing::default()
            });
        }
        let (runs, skipped) = match self.read_index() {
            Some(idx) if Self::index_matches(&idx, &files) => (idx.runs, idx.skipped),
            _ => self.refresh_index()?,
        };
        Ok(Listing {
            runs,
            skipped,
            leftover_temp_files: temps,
        })
    }

    /// Load one run by id.
    pub fn load(&self, id: &str) -> Result<StoredRun, StoreError> {
        let path = self.run_path(id);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::UnknownRun {
                    id: id.to_string(),
                    dir: self.dir.clone(),
                })
            }
            Err(e) => return Err(io("read", &path)(e)),
        };
        let mut run = parse_run(&text).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        // The file name is the id (a migrated version 1 file has none inside).
        run.meta.run_id = id.to_string();
        Ok(StoredRun {
            id: id.to_string(),
            run,
        })
    }

    /// Load every run, oldest first; unreadable files are skipped and named.
    pub fn load_all(&self) -> Result<Loaded, StoreError> {
        let (files, _) = self.scan()?;
        let mut out = Loaded::default();
        for (id, bytes) in files {
            match self.load(&id) {
                Ok(r) => out.runs.push(r),
                Err(StoreError::Corrupt { reason, .. }) => out.skipped.push(Skipped {
                    file: format!("{id}.json"),
                    bytes,
                    reason,
                }),
                // Vanished between scan and read (another process): not ours to report.
                Err(StoreError::UnknownRun { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        out.runs
            .sort_by(|a, b| (a.run.unix_time, &a.id).cmp(&(b.run.unix_time, &b.id)));
        Ok(out)
    }

    /// Copy runs into this store. A run keeps its id when it is free; an identical run
    /// already here is a duplicate; a different run under the same id is stored under a
    /// new id. Runs without an id (plain `--format json` output) get one.
    pub fn merge(
        &self,
        runs: impl IntoIterator<Item = RunResult>,
    ) -> Result<MergeReport, StoreError> {
        let mut report = MergeReport::default();
        let existing = self.load_all()?;
        let mut known: Vec<RunResult> = existing.runs.into_iter().map(|r| r.run).collect();
        for mut run in runs {
            let same_content = |k: &RunResult| {
                let (mut a, mut b) = (k.clone(), run.clone());
                a.meta.run_id.clear();
                b.meta.run_id.clear();
                a == b
            };
            if let Some(k) = known.iter().find(|k| same_content(k)) {
                report.duplicates.push(k.meta.run_id.clone());
                continue;
            }
            let wanted = run.meta.run_id.clone();
            let id = if !wanted.is_empty()
                && sanitize(&wanted) == wanted
                && !self.run_path(&wanted).exists()
            {
                self.publish_with_id(&mut run, &wanted)?
            } else {
                self.save(&mut run)?
            };
            if wanted.is_empty() || wanted == id {
                report.added.push(id);
            } else {
                report.renamed.push((wanted, id));
            }
            known.push(run);
        }
        let _ = self.refresh_index();
        Ok(report)
    }

    /// Publish under a given id; falls back to a fresh id if it got taken meanwhile.
    fn publish_with_id(&self, run: &mut RunResult, id: &str) -> Result<String, StoreError> {
        let runs = self.runs_dir();
        fs::create_dir_all(&runs).map_err(io("create directory", &runs))?;
        run.meta.run_id = id.to_string();
        let dest = self.run_path(id);
        let json = serde_json::to_string_pretty(run).unwrap_or_default();
        let tmp = write_temp(&dest, json.as_bytes())?;
        let linked = fs::hard_link(&tmp, &dest);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(id.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self.save(run),
            Err(e) => Err(io("publish", &dest)(e)),
        }
    }
}
