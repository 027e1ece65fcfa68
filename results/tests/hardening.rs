//! Issue 19, groups 3 and 5: any unreadable file in `runs/` is named and skipped (never
//! the whole store lost), the index is trusted only when the file's content matches it,
//! and reading never writes.

use std::fs;
use std::path::Path;
use tinybench_results::parse_run;
use tinybench_results::store::Store;

const V1: &str = include_str!("fixtures/v1-smoke.json");

fn store_with_two_runs(dir: &Path) -> (Store, String, String) {
    let store = Store::new(dir);
    let mut a = parse_run(V1).unwrap();
    a.unix_time = 1_795_500_000;
    let mut b = a.clone();
    b.unix_time = 1_795_500_100;
    let ida = store.save(&mut a).unwrap();
    let idb = store.save(&mut b).unwrap();
    (store, ida, idb)
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn unreadable_run_files_are_named_and_skipped_in_every_read() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ida, idb) = store_with_two_runs(dir.path());
    let runs = dir.path().join("runs");
    // Not UTF-8 (it made every verb exit 2), a directory and a FIFO (it would block a
    // reader forever) under run-file names.
    fs::write(runs.join("latin1.json"), b"{\"target\": \"caf\xe9\"}").unwrap();
    fs::create_dir(runs.join("x.json")).unwrap();
    mkfifo(&runs.join("fifo.json"));

    let listing = store.list().unwrap();
    let ids: Vec<_> = listing.runs.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [ida.as_str(), idb.as_str()]);
    let skipped: Vec<(&str, &str)> = listing
        .skipped
        .iter()
        .map(|s| (s.file.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("fifo.json", "is a FIFO, not a run file"),
            ("latin1.json", "not UTF-8 text (invalid byte at offset 15)"),
            ("x.json", "is a directory, not a run file"),
        ]
    );
    let all = store.load_all().unwrap();
    assert_eq!(all.runs.len(), 2);
    assert_eq!(all.skipped.len(), 3);
    assert!(store
        .load("latin1")
        .unwrap_err()
        .to_string()
        .ends_with("latin1.json: not UTF-8 text (invalid byte at offset 15)"));
    // Saving and merging still work next to them, and they are kept.
    let mut c = parse_run(V1).unwrap();
    store.save(&mut c).unwrap();
    store.merge([parse_run(V1).unwrap()]).unwrap();
    assert_eq!(store.list().unwrap().runs.len(), 3);
    assert!(runs.join("latin1.json").is_file() && runs.join("x.json").is_dir());
}

#[test]
fn a_same_size_edit_is_not_hidden_by_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ida, _) = store_with_two_runs(dir.path());
    assert!(dir.path().join("index.json").is_file());
    let path = store.run_path(&ida);
    let text = fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"suite\": \"smoke\"", "\"suite\": \"smoky\"", 1);
    assert_eq!(edited.len(), text.len());
    fs::write(&path, edited).unwrap();
    let listing = store.list().unwrap();
    let e = listing.runs.iter().find(|e| e.id == ida).unwrap();
    assert_eq!(e.suite, "smoky");
}

#[test]
fn reading_never_writes_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ..) = store_with_two_runs(dir.path());
    let index = dir.path().join("index.json");
    // A stale index (a run added behind the store's back) and a missing one: listing and
    // loading must work without touching either, as on a read-only store or a full disk.
    let before = fs::read(&index).unwrap();
    fs::copy(
        dir.path()
            .join("runs")
            .read_dir()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
        dir.path().join("runs/copied.json"),
    )
    .unwrap();
    assert_eq!(store.list().unwrap().runs.len(), 3);
    store.load_all().unwrap();
    assert_eq!(fs::read(&index).unwrap(), before, "the index was rewritten");
    fs::remove_file(&index).unwrap();
    assert_eq!(store.list().unwrap().runs.len(), 3);
    assert!(!index.exists(), "a read created the index");
}

#[test]
fn a_failed_save_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    // `runs` is a file: the save cannot even create its directory.
    fs::write(dir.path().join("runs"), b"").unwrap();
    let store = Store::new(dir.path());
    let e = store.save(&mut parse_run(V1).unwrap()).unwrap_err();
    assert!(e.to_string().starts_with("create directory "), "{e}");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["runs"]);
}
