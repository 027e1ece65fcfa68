//! The result store: one JSON file per run under `<dir>/runs/`, plus `<dir>/index.json`
//! for fast listing.
//!
//! Safety rules: every file is written to a temp file in the same directory, flushed and
//! synced, then published under its final name, so an interrupted run leaves at worst an
//! ignored temp file; a run file is published with a hard link, which fails instead of
//! replacing an existing file, so nothing stored is ever overwritten; a file that does not
//! parse is reported by name and skipped, never deleted. The index is only a cache: when it
//! is missing, corrupt or disagrees with the directory, it is rebuilt from the run files.
//!
//! Reading never writes (issue 19): `list`, `load` and `load_all` work on a read-only
//! store or a full disk; only `save` and `merge` rewrite the index. An index entry is
//! trusted only when the file's SHA-256 matches it (a same-size edit is noticed). Any file
//! in `runs/` that cannot be read — not UTF-8, not JSON, a directory or FIFO named
//! `x.json`, larger than [`MAX_FILE_BYTES`] — is named and skipped in every listing.

mod read;
pub use read::MAX_FILE_BYTES;

use crate::{parse_run, CountKind, RunResult};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Index file format version.
const INDEX_VERSION: u32 = 2;

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
    /// A stored run file cannot be read (not a regular file, too large, not UTF-8) or
    /// does not parse.
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
    /// Size of the run file in bytes.
    pub bytes: u64,
    /// SHA-256 of the run file, hex (how the index notices a changed file).
    #[serde(default)]
    pub sha256: String,
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
    /// SHA-256 of its bytes, hex (empty when it could not be read at all).
    #[serde(default)]
    pub sha256: String,
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

/// SHA-256 of a file's bytes, hex.
fn file_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn entry_of(id: &str, bytes: &[u8], run: &RunResult) -> IndexEntry {
    IndexEntry {
        id: id.to_string(),
        bytes: bytes.len() as u64,
        sha256: file_sha256(bytes),
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
    let written = f
        .write_all(bytes)
        .map_err(io("write", &tmp))
        .and_then(|()| f.sync_all().map_err(io("sync", &tmp)));
    if written.is_err() {
        // A full disk must not leave debris behind (issue 19).
        drop(f);
        let _ = fs::remove_file(&tmp);
    }
    written.map(|()| tmp)
}

/// A run file's bytes as a run with id `id` (the file name is the id: a migrated
/// version 1 file has none inside), or why not.
fn parse_bytes(id: &str, bytes: &[u8]) -> Result<RunResult, String> {
    let mut run = parse_run(read::text(bytes)?).map_err(|e| e.to_string())?;
    run.meta.run_id = id.to_string();
    Ok(run)
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

    /// Names of the run files (`*.json`) and of leftover temp files in `runs/`. An
    /// unreadable `runs/` is an error (the store exists but cannot be read); a missing one
    /// is an empty store.
    fn scan(&self) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let runs = self.runs_dir();
        let mut files = Vec::new();
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
                files.push(id.to_string());
            }
        }
        files.sort();
        temps.sort();
        Ok((files, temps))
    }

    fn read_index(&self) -> Option<IndexFile> {
        let bytes = read::bytes(&self.index_path()).ok()?;
        let idx: IndexFile = serde_json::from_str(read::text(&bytes).ok()?).ok()?;
        (idx.index_version == INDEX_VERSION).then_some(idx)
    }

    /// Read one run file: `None` when it vanished, else its bytes and the run or why it
    /// is skipped.
    fn read_run(&self, id: &str) -> Option<(Vec<u8>, Result<RunResult, String>)> {
        match read::bytes(&self.run_path(id)) {
            Ok(b) => {
                let run = parse_bytes(id, &b);
                Some((b, run))
            }
            Err(read::ReadFail::Missing) => None,
            Err(read::ReadFail::Bad(reason)) => Some((Vec::new(), Err(reason))),
        }
    }

    /// The listing from the files, reusing an index entry wherever the file's hash
    /// matches it (only new or changed files are parsed). Writes nothing.
    fn build_listing(&self) -> Result<Listing, StoreError> {
        let (files, temps) = self.scan()?;
        let idx = self.read_index();
        let mut known: HashMap<&str, &IndexEntry> = HashMap::new();
        let mut known_bad: HashMap<&str, &Skipped> = HashMap::new();
        if let Some(idx) = &idx {
            known.extend(idx.runs.iter().map(|e| (e.id.as_str(), e)));
            known_bad.extend(idx.skipped.iter().map(|s| (s.file.as_str(), s)));
        }
        let mut listing = Listing {
            leftover_temp_files: temps,
            ..Listing::default()
        };
        for id in files {
            let file = format!("{id}.json");
            let bytes = match read::bytes(&self.run_path(&id)) {
                Ok(b) => b,
                Err(read::ReadFail::Missing) => continue,
                Err(read::ReadFail::Bad(reason)) => {
                    listing.skipped.push(Skipped {
                        file,
                        bytes: 0,
                        reason,
                        sha256: String::new(),
                    });
                    continue;
                }
            };
            let sha = file_sha256(&bytes);
            if let Some(e) = known.get(id.as_str()).filter(|e| e.sha256 == sha) {
                listing.runs.push((*e).clone());
                continue;
            }
            if let Some(s) = known_bad.get(file.as_str()).filter(|s| s.sha256 == sha) {
                listing.skipped.push((*s).clone());
                continue;
            }
            match parse_bytes(&id, &bytes) {
                Ok(run) => listing.runs.push(entry_of(&id, &bytes, &run)),
                Err(reason) => listing.skipped.push(Skipped {
                    file,
                    bytes: bytes.len() as u64,
                    reason,
                    sha256: sha,
                }),
            }
        }
        sort_entries(&mut listing.runs);
        Ok(listing)
    }

    /// Rebuild the index from the run files and write it atomically (writing verbs only).
    fn refresh_index(&self) -> Result<(), StoreError> {
        let listing = self.build_listing()?;
        let idx = IndexFile {
            index_version: INDEX_VERSION,
            runs: listing.runs,
            skipped: listing.skipped,
        };
        let path = self.index_path();
        let json = serde_json::to_string_pretty(&idx).unwrap_or_default();
        let tmp = write_temp(&path, json.as_bytes())?;
        // The index is ours to replace: rename is atomic.
        fs::rename(&tmp, &path).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io("replace", &path)(e)
        })
    }

    /// List the stored runs: from the index for every file whose hash it knows, parsing
    /// only the others. Never writes (a read-only store lists fine).
    pub fn list(&self) -> Result<Listing, StoreError> {
        self.build_listing()
    }

    /// Load one run by id.
    pub fn load(&self, id: &str) -> Result<StoredRun, StoreError> {
        match self.read_run(id) {
            None => Err(StoreError::UnknownRun {
                id: id.to_string(),
                dir: self.dir.clone(),
            }),
            Some((_, Err(reason))) => Err(StoreError::Corrupt {
                path: self.run_path(id),
                reason,
            }),
            Some((_, Ok(run))) => Ok(StoredRun {
                id: id.to_string(),
                run,
            }),
        }
    }

    /// Load every run, oldest first; unreadable files are skipped and named.
    pub fn load_all(&self) -> Result<Loaded, StoreError> {
        let (files, _) = self.scan()?;
        let mut out = Loaded::default();
        for id in files {
            match self.read_run(&id) {
                Some((_, Ok(run))) => out.runs.push(StoredRun { id, run }),
                Some((b, Err(reason))) => out.skipped.push(Skipped {
                    file: format!("{id}.json"),
                    bytes: b.len() as u64,
                    reason,
                    sha256: if b.is_empty() {
                        String::new()
                    } else {
                        file_sha256(&b)
                    },
                }),
                // Vanished between scan and read (another process): not ours to report.
                None => {}
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
