//! The dataset loader's tests: every refusal named, every accepted layout read.

use super::*;

/// A dataset directory with `labels` as labels.csv and `files` (relative path, bytes).
fn dir_with(labels: Option<&str>, files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some(l) = labels {
        std::fs::write(dir.path().join("labels.csv"), l).unwrap();
    }
    for (name, bytes) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

/// The error message of loading `dir` with input 4 bytes, output 2.
fn err(dir: &tempfile::TempDir) -> String {
    Dataset::load(dir.path(), 4, 2).unwrap_err().to_string()
}

fn labels_path(dir: &tempfile::TempDir) -> String {
    dir.path().join("labels.csv").display().to_string()
}

#[test]
fn loads_a_good_dataset() {
    let dir = dir_with(
        Some("file,label\ninputs/a.bin,3\n inputs/b.bin , \n./c.bin,0\n"),
        &[
            ("inputs/a.bin", &[0, 1, 0x80, 0xff]),
            ("inputs/b.bin", &[5, 6, 7, 8]),
            ("c.bin", &[9, 9, 9, 9]),
            ("expected/a.bin", &[0x7f, 0x81]),
            ("expected/c.bin", &[1, 2]),
            (
                "dataset.toml",
                b"task = \"anomaly\"\nmodel = \"ad01_int8.tflite\"\nseed = 4\n",
            ),
        ],
    );
    let d = Dataset::load(dir.path(), 4, 2).unwrap();
    assert_eq!(d.dir, dir.path());
    assert_eq!(d.task, Some(Task::Anomaly));
    assert_eq!(d.samples.len(), 3);
    let a = &d.samples[0];
    assert_eq!(a.name, "inputs/a.bin");
    assert_eq!(a.input, vec![0, 1, -128, -1]);
    assert_eq!(a.label, Some(3));
    assert_eq!(a.expected, Some(vec![127, -127]));
    // Whitespace is trimmed; an empty label is an unlabelled sample.
    assert_eq!(d.samples[1].name, "inputs/b.bin");
    assert_eq!((d.samples[1].label, &d.samples[1].expected), (None, &None));
    assert_eq!(d.samples[2].label, Some(0));
    assert_eq!(d.samples[2].expected, Some(vec![1, 2]));
    let meta = read_meta(dir.path()).unwrap().unwrap();
    assert_eq!(meta.model.as_deref(), Some("ad01_int8.tflite"));
}

#[test]
fn dataset_toml_is_optional_and_checked() {
    let dir = dir_with(Some("file,label\na.bin,1\n"), &[("a.bin", &[1, 2, 3, 4])]);
    assert_eq!(Dataset::load(dir.path(), 4, 2).unwrap().task, None);
    assert_eq!(read_meta(dir.path()).unwrap(), None);
    std::fs::write(dir.path().join("dataset.toml"), "task = \"regression\"\n").unwrap();
    let e = err(&dir);
    assert!(
        e.contains("dataset.toml") && e.contains("regression"),
        "{e}"
    );
    std::fs::write(
        dir.path().join("dataset.toml"),
        "task = \"classification\"\n",
    )
    .unwrap();
    let d = Dataset::load(dir.path(), 4, 2).unwrap();
    assert_eq!(d.task, Some(Task::Classification));
}

#[test]
fn missing_labels_csv() {
    let dir = dir_with(None, &[("a.bin", &[1, 2, 3, 4])]);
    let e = err(&dir);
    assert!(e.starts_with(&labels_path(&dir)), "{e}");
    assert!(
        e.contains("no such file") && e.contains("docs/models.md"),
        "{e}"
    );
}

#[test]
fn bad_header() {
    let dir = dir_with(Some("path,class\na.bin,1\n"), &[("a.bin", &[1, 2, 3, 4])]);
    let e = err(&dir);
    assert_eq!(
        e,
        format!(
            "{}:1: the header is \"path,class\", expected \"file,label\"",
            labels_path(&dir)
        )
    );
    // An empty file has no header either.
    let dir = dir_with(Some(""), &[]);
    assert!(
        err(&dir).contains(":1: the header is \"\""),
        "{}",
        err(&dir)
    );
    // A byte order mark before the header is fine.
    let dir = dir_with(
        Some("\u{feff}file,label\na.bin,1\n"),
        &[("a.bin", &[1, 2, 3, 4])],
    );
    assert!(Dataset::load(dir.path(), 4, 2).is_ok());
}

#[test]
fn bad_rows_and_labels() {
    let files: &[(&str, &[u8])] = &[("a.bin", &[1, 2, 3, 4])];
    let dir = dir_with(Some("file,label\na.bin,1,extra\n"), files);
    let e = err(&dir);
    assert!(
        e.ends_with(":2: expected 2 fields (file,label), found 3"),
        "{e}"
    );
    let dir = dir_with(Some("file,label\na.bin,1\na.bin,2\n"), files);
    let e = err(&dir);
    assert!(
        e.ends_with(":3: a.bin is listed again (first on line 2)"),
        "{e}"
    );
    for bad in ["-1", "two", "1.5", "99999999999"] {
        let dir = dir_with(Some(&format!("file,label\na.bin,{bad}\n")), files);
        let e = err(&dir);
        assert_eq!(
            e,
            format!(
                "{}:2: label \"{bad}\" of a.bin is not a class index (a non-negative integer, or empty for no label)",
                labels_path(&dir)
            )
        );
    }
    let dir = dir_with(Some("file,label\n,1\n"), files);
    assert!(err(&dir).ends_with(":2: the file name is empty"));
    let dir = dir_with(None, files);
    std::fs::write(dir.path().join("labels.csv"), b"file,label\na\xff.bin,1\n").unwrap();
    let e = err(&dir);
    assert!(e.contains(":2: not UTF-8 text"), "{e}");
}

#[test]
fn paths_escaping_the_directory() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("secret.bin"), [1, 2, 3, 4]).unwrap();
    let inner = outer.path().join("ds");
    std::fs::create_dir(&inner).unwrap();
    std::fs::create_dir(inner.join("sub")).unwrap();
    let abs = outer.path().join("secret.bin").display().to_string();
    for file in [
        "../secret.bin",
        "sub/../../secret.bin",
        abs.as_str(),
        "sub\\..\\..\\secret.bin",
        ".",
    ] {
        std::fs::write(inner.join("labels.csv"), format!("file,label\n{file},0\n")).unwrap();
        let e = Dataset::load(&inner, 4, 2).unwrap_err().to_string();
        assert!(
            e.ends_with(&format!(
                ":2: {file} is not a relative path inside the dataset directory"
            )),
            "{file}: {e}"
        );
    }
}

#[test]
fn missing_short_and_long_inputs() {
    let dir = dir_with(Some("file,label\ninputs/006.bin,1\n"), &[]);
    let e = err(&dir);
    assert!(
        e.starts_with(&format!(
            "{}:2: cannot read inputs/006.bin: ",
            labels_path(&dir)
        )),
        "{e}"
    );
    for (len, word) in [(3usize, "3"), (5, "5"), (0, "0")] {
        let bytes = vec![0u8; len];
        let dir = dir_with(
            Some("file,label\nok.bin,0\ninputs/006.bin,1\n"),
            &[("ok.bin", &[0, 0, 0, 0]), ("inputs/006.bin", &bytes)],
        );
        assert_eq!(
            err(&dir),
            format!(
                "{}:3: inputs/006.bin holds {word} bytes, the model's input needs 4",
                labels_path(&dir)
            )
        );
    }
}

#[test]
fn expected_files_mirror_inputs() {
    assert_eq!(
        expected_name("inputs/006.bin"),
        Path::new("expected/006.bin")
    );
    assert_eq!(
        expected_name("./inputs/x/1.bin"),
        Path::new("expected/x/1.bin")
    );
    assert_eq!(expected_name("a/b.bin"), Path::new("expected/a/b.bin"));
    assert_eq!(
        expected_name("inputs2/b.bin"),
        Path::new("expected/inputs2/b.bin")
    );
}

#[test]
fn expected_output_of_the_wrong_size() {
    let dir = dir_with(
        Some("file,label\ninputs/a.bin,1\n"),
        &[
            ("inputs/a.bin", &[1, 2, 3, 4]),
            ("expected/a.bin", &[1, 2, 3]),
        ],
    );
    assert_eq!(
        err(&dir),
        format!(
            "{}:2: expected/a.bin (the expected output of inputs/a.bin) holds 3 bytes, the model's output has 2",
            labels_path(&dir)
        )
    );
}

#[test]
fn empty_dataset() {
    let dir = dir_with(Some("file,label\n"), &[]);
    assert_eq!(
        err(&dir),
        format!("{}: lists no samples", labels_path(&dir))
    );
    let dir = dir_with(Some("file,label\n\n\n"), &[]);
    assert_eq!(
        err(&dir),
        format!("{}: lists no samples", labels_path(&dir))
    );
}
