//! The store on a real directory: saving, listing through the index, migration of a
//! version 1 file, interrupted writes, corrupt files, merging.

use std::fs;
use tinybench_results::store::Store;
use tinybench_results::{parse_run, RunResult, SCHEMA_VERSION};

const V1: &str = include_str!("fixtures/v1-smoke.json");

fn run_at(t: u64) -> RunResult {
    let mut r = parse_run(V1).unwrap();
    r.unix_time = t;
    r
}

#[test]
fn v1_file_migrates_to_the_current_schema() {
    let r = parse_run(V1).unwrap();
    assert_eq!(r.schema_version, SCHEMA_VERSION);
    assert_eq!(r.meta.git_commit, None);
    assert_eq!(r.cases.len(), 2);
    assert_eq!(r.cases[1].summary.unwrap().median, 11034);
    // Unknown future versions and non-results are refused with a clear message.
    let future = V1.replace("\"schema_version\": 1", "\"schema_version\": 99");
    let e = parse_run(&future).unwrap_err().to_string();
    assert!(e.contains("version 99 is not supported"), "{e}");
    let e = parse_run("{\"x\": 1}").unwrap_err().to_string();
    assert!(e.contains("schema_version"), "{e}");
}

#[test]
fn saves_lists_and_loads_without_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let mut a = run_at(1_795_500_000);
    let mut b = run_at(1_795_500_100);
    let id_b = store.save(&mut b).unwrap();
    let id_a = store.save(&mut a).unwrap();
    assert!(
        id_a.starts_with("20") && id_a.as_bytes()[8] == b'T',
        "{id_a}"
    );
    assert!(id_a.contains("-sim-cortex-m4-"), "{id_a}");
    // The same content again gets a new id instead of replacing the file.
    let mut a2 = run_at(1_795_500_000);
    let id_a2 = store.save(&mut a2).unwrap();
    assert_ne!(id_a2, id_a);
    assert!(store.run_path(&id_a).exists() && store.run_path(&id_a2).exists());
    let listing = store.list().unwrap();
    let ids: Vec<_> = listing.runs.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, [id_a.clone(), id_a2, id_b.clone()]);
    assert_eq!(listing.runs[0].failed, 1);
    let loaded = store.load(&id_b).unwrap();
    assert_eq!(loaded.run, b);
    assert!(store
        .load("nope")
        .unwrap_err()
        .to_string()
        .contains("no run `nope`"));
}

#[test]
fn index_is_used_when_current_and_rebuilt_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let id = store.save(&mut run_at(1_795_500_000)).unwrap();
    // Doctor the index: a listing that trusts it shows the doctored value, which proves
    // no run file was parsed.
    let index = dir.path().join("index.json");
    let text = fs::read_to_string(&index).unwrap();
    fs::write(
        &index,
        text.replace("\"suite\": \"smoke\"", "\"suite\": \"from-index\""),
    )
    .unwrap();
    assert_eq!(store.list().unwrap().runs[0].suite, "from-index");
    // A file added behind the store's back makes the index stale: rebuilt from files.
    let other = run_at(1_795_600_000);
    fs::write(
        store.run_path("manual"),
        serde_json::to_string(&other).unwrap(),
    )
    .unwrap();
    let listing = store.list().unwrap();
    assert_eq!(listing.runs.len(), 2);
    assert_eq!(listing.runs[0].id, id);
    // Only the new file is parsed: the entry of the unchanged file (its hash matches)
    // still comes from the index.
    assert_eq!(listing.runs[0].suite, "from-index");
    assert_eq!(listing.runs[1].id, "manual");
    // Without the index every file is parsed.
    fs::remove_file(&index).unwrap();
    assert_eq!(store.list().unwrap().runs[0].suite, "smoke");
    store.save(&mut run_at(1_795_700_000)).unwrap();
    // A corrupt index is ignored.
    fs::write(&index, "{not json").unwrap();
    assert_eq!(store.list().unwrap().runs.len(), 3);
}

#[test]
fn interrupted_writes_and_corrupt_files_are_skipped_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let id1 = store.save(&mut run_at(1_795_500_000)).unwrap();
    let id2 = store.save(&mut run_at(1_795_500_100)).unwrap();
    let runs = dir.path().join("runs");
    // A write killed before its rename: a half-written temp file.
    let full = fs::read(store.run_path(&id1)).unwrap();
    let temp = runs.join(format!(".{id1}x.json.tmp-999-1"));
    fs::write(&temp, &full[..full.len() / 2]).unwrap();
    // A truncated run file and garbage (e.g. copied in by hand, disk trouble).
    let truncated = runs.join("20261124T000000Z-trunc.json");
    fs::write(&truncated, &full[..full.len() / 3]).unwrap();
    let garbage = runs.join("garbage.json");
    fs::write(&garbage, b"\x00\x01 not json").unwrap();

    let listing = store.list().unwrap();
    let ids: Vec<_> = listing.runs.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [id1.as_str(), id2.as_str()]);
    let skipped: Vec<_> = listing.skipped.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(skipped, ["20261124T000000Z-trunc.json", "garbage.json"]);
    assert!(listing.skipped[0].reason.contains("invalid result JSON"));
    assert_eq!(listing.leftover_temp_files.len(), 1);
    // Listing again (now from the index) reports the same, and nothing was removed.
    let again = store.list().unwrap();
    assert_eq!(again.skipped, listing.skipped);
    assert!(temp.exists() && truncated.exists() && garbage.exists());
    assert_eq!(fs::read(&truncated).unwrap(), &full[..full.len() / 3]);
    let all = store.load_all().unwrap();
    assert_eq!(all.runs.len(), 2);
    assert_eq!(all.skipped.len(), 2);
    // Saving more still works next to the debris.
    store.save(&mut run_at(1_795_500_200)).unwrap();
    assert_eq!(store.list().unwrap().runs.len(), 3);
}

#[test]
fn merge_adds_new_runs_and_skips_duplicates() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let (a, b) = (Store::new(a_dir.path()), Store::new(b_dir.path()));
    let shared = a.save(&mut run_at(1_795_500_000)).unwrap();
    b.merge(a.load_all().unwrap().runs.into_iter().map(|r| r.run))
        .unwrap();
    let mut only_b = run_at(1_795_500_500);
    only_b.target = "sim-cortex-m0".into();
    let b_id = b.save(&mut only_b).unwrap();
    let into = tempfile::tempdir().unwrap();
    let merged = Store::new(into.path());
    let r1 = merged
        .merge(a.load_all().unwrap().runs.into_iter().map(|r| r.run))
        .unwrap();
    assert_eq!(r1.added, std::slice::from_ref(&shared));
    let r2 = merged
        .merge(b.load_all().unwrap().runs.into_iter().map(|r| r.run))
        .unwrap();
    assert_eq!(r2.added, std::slice::from_ref(&b_id));
    assert_eq!(r2.duplicates, std::slice::from_ref(&shared));
    // A plain JSON result without an id gets one.
    let r3 = merged.merge([run_at(1_795_500_900)]).unwrap();
    assert_eq!(r3.added.len(), 1);
    let ids: Vec<_> = merged
        .list()
        .unwrap()
        .runs
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(&ids[..2], [shared, b_id]);
}
