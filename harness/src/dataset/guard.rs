//! What a dataset directory may make tinybench read (issue 19): only regular files inside
//! the directory (a symlink out of it, say `inputs/s.bin -> /etc/shadow`, is refused), never
//! more bytes than the model's tensor (a FIFO or `/dev/zero` is refused before any read), one
//! sample per file however its path is spelled, and labels the model's task can have.

use super::{Dataset, DatasetError, Task};
use crate::fsread::{self, ReadError};
use std::path::{Component, Path, PathBuf};

/// `file` as one canonical relative path: `./inputs//000.bin` and `inputs/000.bin` are
/// `inputs/000.bin` (the key that finds a sample listed twice).
pub(super) fn normalize(file: &str) -> String {
    Path::new(file)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Why a file of the dataset was not read.
#[derive(Debug)]
pub(super) enum Refused {
    /// The path, symlinks resolved, leaves the dataset directory: where it points.
    Outside(PathBuf),
    /// Missing, not a regular file, too large or unreadable.
    Read(ReadError),
}

/// The bytes of `dir/file` (at most `max`), if it resolves to a regular file inside `dir`.
pub(super) fn read_inside(dir: &Path, file: &Path, max: u64) -> Result<Vec<u8>, Refused> {
    let path = dir.join(file);
    let real = path.canonicalize().map_err(|e| {
        Refused::Read(if e.kind() == std::io::ErrorKind::NotFound {
            ReadError::NotFound
        } else {
            ReadError::Io(e)
        })
    })?;
    let root = dir
        .canonicalize()
        .map_err(|e| Refused::Read(ReadError::Io(e)))?;
    if !real.starts_with(&root) {
        return Err(Refused::Outside(real));
    }
    fsread::bytes(&real, max).map_err(Refused::Read)
}

/// An I/O error carrying a [`ReadError`]'s words (the dataset errors hold `io::Error`s).
pub(super) fn io_error(e: ReadError) -> std::io::Error {
    match e {
        ReadError::Io(e) => e,
        ReadError::NotFound => std::io::Error::from(std::io::ErrorKind::NotFound),
        e => std::io::Error::other(e.to_string()),
    }
}

impl Dataset {
    /// Check every label against the task: a class index below `classes` (the model's
    /// output length) for a classifier, 0 or 1 for anomaly detection.
    pub fn check_labels(&self, task: Task, classes: usize) -> Result<(), DatasetError> {
        let allowed = match task {
            Task::Classification => classes as u64,
            Task::Anomaly => 2,
        };
        for s in &self.samples {
            let Some(label) = s.label else { continue };
            if u64::from(label) >= allowed {
                return Err(DatasetError::LabelRange {
                    path: self.dir.join("labels.csv"),
                    file: s.name.clone(),
                    label,
                    allowed: match task {
                        Task::Classification => format!(
                            "the model has {classes} classes, so labels are 0 to {}",
                            classes.saturating_sub(1)
                        ),
                        Task::Anomaly => "anomaly labels are 0 (normal) or 1 (anomalous)".into(),
                    },
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Dataset, DatasetError, Task};

    fn dir_with(labels: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("labels.csv"), labels).unwrap();
        for (name, bytes) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        dir
    }

    #[test]
    fn symlinks_out_of_the_dataset_are_refused() {
        // Group 8: `inputs/s.bin -> /etc/shadow` was read.
        let outer = tempfile::tempdir().unwrap();
        let secret = outer.path().join("secret.bin");
        std::fs::write(&secret, [1, 2, 3, 4]).unwrap();
        let dir = dir_with(
            "file,label\ninputs/s.bin,0\n",
            &[("inputs/ok.bin", &[0; 4])],
        );
        std::os::unix::fs::symlink(&secret, dir.path().join("inputs/s.bin")).unwrap();
        let e = Dataset::load(dir.path(), 4, 2).unwrap_err();
        assert!(matches!(e, DatasetError::Outside { line: 2, .. }), "{e}");
        assert!(
            e.to_string().contains(&format!(
                "inputs/s.bin resolves to {}, outside the dataset directory",
                secret.canonicalize().unwrap().display()
            )),
            "{e}"
        );
        // A link that stays inside is followed.
        std::fs::remove_file(dir.path().join("inputs/s.bin")).unwrap();
        std::os::unix::fs::symlink("ok.bin", dir.path().join("inputs/s.bin")).unwrap();
        assert_eq!(Dataset::load(dir.path(), 4, 2).unwrap().samples.len(), 1);
    }

    #[test]
    fn one_file_spelled_three_ways_is_one_sample() {
        // Group 8: these counted as three samples.
        let dir = dir_with(
            "file,label\ninputs/000.bin,1\n./inputs/000.bin,1\ninputs//000.bin,1\n",
            &[("inputs/000.bin", &[0; 4])],
        );
        let e = Dataset::load(dir.path(), 4, 2).unwrap_err();
        assert!(
            matches!(&e, DatasetError::Duplicate { line: 3, first: 2, file, .. } if file == "./inputs/000.bin"),
            "{e}"
        );
    }

    #[test]
    fn an_oversized_input_is_refused_without_reading_it_whole() {
        let dir = dir_with("file,label\na.bin,1\n", &[("a.bin", &[0; 1 << 20])]);
        let e = Dataset::load(dir.path(), 4, 2).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("a.bin holds 1048576 bytes, the model's input needs 4"),
            "{e}"
        );
    }

    #[test]
    fn labels_out_of_range_are_refused() {
        // Group 8: 99 for a 12-class model and 7 for anomaly detection were accepted.
        let dir = dir_with(
            "file,label\na.bin,11\nb.bin,99\n",
            &[("a.bin", &[0; 4]), ("b.bin", &[0; 4])],
        );
        let d = Dataset::load(dir.path(), 4, 12).unwrap();
        let e = d.check_labels(Task::Classification, 12).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "b.bin has label 99, but the model has 12 classes, so labels are 0 to 11"
            ),
            "{e}"
        );
        let e = d.check_labels(Task::Anomaly, 4).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "a.bin has label 11, but anomaly labels are 0 (normal) or 1 (anomalous)"
            ),
            "{e}"
        );
        d.check_labels(Task::Classification, 100).unwrap();
    }
}
