//! Issue 19 through the real binary: bad input is a clear error, never a hang, a panic, a
//! silent pass or a lost result. Most cases fail before any firmware is built; the few that
//! run firmware share the smoke build with the other tests.

mod support;
use support::{command, root, text, tinybench_in};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use tinybench_results::parse_run;
use tinybench_results::store::Store;

const V1: &str = include_str!("../../results/tests/fixtures/v1-smoke.json");

/// Run `cmd`, killing it (and failing the test) if it takes longer than `secs`: the
/// cases here used to hang forever.
fn bounded(mut cmd: Command, secs: u64) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tinybench starts");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            child.kill().ok();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {secs} s (a hang); stderr: {}",
                text(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

/// A store with two runs of sim-cortex-m4 and one of sim-cortex-m0plus; returns the ids.
fn store_with_runs(dir: &Path) -> Vec<String> {
    let store = Store::new(dir);
    (0..3)
        .map(|i| {
            let mut r = parse_run(V1).unwrap();
            r.unix_time = 1_795_500_000 + i;
            if i == 2 {
                r.target = "sim-cortex-m0plus".into();
            }
            store.save(&mut r).unwrap()
        })
        .collect()
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn a_non_utf8_run_file_or_a_directory_is_skipped_by_every_verb() {
    // Group 3: one such file made list, show, compare, report and merge all exit 2.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let ids = store_with_runs(&store);
    std::fs::write(store.join("runs/latin1.json"), b"{\"target\": \"caf\xe9\"}").unwrap();
    std::fs::create_dir(store.join("runs/x.json")).unwrap();
    let html = dir.path().join("d.html");
    let merged = dir.path().join("merged");
    let verbs: Vec<Vec<String>> = vec![
        vec!["results".into(), "list".into()],
        vec!["results".into(), "show".into(), "latest".into()],
        vec!["compare".into(), ids[0].clone(), ids[1].clone()],
        vec!["report".into(), "--html".into(), html.display().to_string()],
    ];
    for args in &verbs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = tinybench_in(&store, &args);
        let err = text(&out.stderr);
        assert_eq!(code(&out), 0, "{args:?}: {err}");
        assert!(
            err.contains("latin1.json: not UTF-8 text"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("x.json: is a directory, not a run file"),
            "{args:?}: {err}"
        );
    }
    let out = tinybench_in(&merged, &["merge", store.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("latin1.json"));
    assert_eq!(Store::new(&merged).list().unwrap().runs.len(), 3);
}

#[test]
fn read_only_verbs_work_when_the_index_cannot_be_written() {
    // Group 5: `results list` and `compare` wrote the index and failed on a read-only
    // store or a full disk. Here the index's name is taken by a directory, so any
    // attempt to replace it fails; reads must not try.
    let dir = tempfile::tempdir().unwrap();
    let ids = store_with_runs(dir.path());
    let index = dir.path().join("index.json");
    std::fs::remove_file(&index).unwrap();
    std::fs::create_dir(&index).unwrap();
    let out = tinybench_in(dir.path(), &["results", "list", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.len(), 3);
    let out = tinybench_in(dir.path(), &["compare", &ids[0], &ids[1]]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(index.is_dir());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn comparing_runs_of_different_targets_says_so() {
    // Group 11: it said the existing id "is neither a stored run id …".
    let dir = tempfile::tempdir().unwrap();
    let ids = store_with_runs(dir.path());
    let out = tinybench_in(dir.path(), &["compare", &ids[2], &ids[1]]);
    assert_eq!(code(&out), 2);
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "`{}` is run {} of target sim-cortex-m0plus, suite smoke, but runs for target sim-cortex-m4, suite smoke are asked for",
            ids[2], ids[2]
        )),
        "{err}"
    );
}

#[test]
fn ci_fails_as_infrastructure_when_the_base_store_cannot_be_read() {
    // Group 4: a read error was taken for "no base yet" and the gate skipped (exit 0).
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    std::fs::create_dir(&base).unwrap();
    // `runs` is a file: the store exists but cannot be listed.
    std::fs::write(base.join("runs"), b"").unwrap();
    let ci = |base: &Path| {
        let mut c = command(&["ci", "--target", "sim-cortex-m4", "--base", "latest"]);
        c.arg("--base-dir")
            .arg(base)
            .arg("--results-dir")
            .arg(dir.path().join("head"));
        bounded(c, 60)
    };
    let out = ci(&base);
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("error: base store: read directory"));
    // Only unreadable run files: also not "no base yet".
    std::fs::remove_file(base.join("runs")).unwrap();
    std::fs::create_dir(base.join("runs")).unwrap();
    std::fs::write(base.join("runs/a.json"), b"\xff\xfe").unwrap();
    let out = ci(&base);
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("none of its 1 run file(s) can be read (a.json: not UTF-8"),
        "{}",
        text(&out.stderr)
    );
}

/// Spawn `args` with stdout a pipe whose read end is closed at once.
fn with_closed_stdout(store: &Path, args: &[&str]) -> Output {
    let mut cmd = command(args);
    cmd.env("TINYBENCH_RESULTS_DIR", store);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_verbs_exit_code() {
    // Group 6: `results show latest | head -c 10` panicked with exit 101.
    let dir = tempfile::tempdir().unwrap();
    store_with_runs(dir.path());
    for args in [
        &["results", "show", "latest"][..],
        &["results", "list"],
        &["results", "show", "latest", "--format", "json"],
        &["list", "targets"],
        &["doctor"],
        // A real run (the smoke firmware, cached): its table goes nowhere, it still ends 0.
        &[
            "run",
            "--target",
            "sim-cortex-m4",
            "--suite",
            "smoke",
            "--no-save",
        ],
    ] {
        let out = with_closed_stdout(dir.path(), args);
        let err = text(&out.stderr);
        assert_eq!(code(&out), 0, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn fifos_and_devices_as_inputs_are_refused_at_once() {
    // Group 7: a FIFO as --model, --suite or a dataset input hung forever; /dev/zero as
    // --model read until memory ran out.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("model.tflite");
    mkfifo(&fifo);
    let suite_fifo = dir.path().join("suite.toml");
    mkfifo(&suite_fifo);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--target", "sim-cortex-m4", "--no-save"];
        args.extend_from_slice(extra);
        bounded(command(&args), 30)
    };
    for (model, kind) in [
        (fifo.to_str().unwrap(), "a FIFO"),
        ("/dev/zero", "a device"),
    ] {
        let out = run(&["--model", model]);
        assert_eq!(code(&out), 2);
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!(
                "reading model {model}: is {kind}, not a regular file"
            )),
            "{err}"
        );
    }
    let out = run(&["--suite", suite_fifo.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("is a FIFO, not a regular file"),
        "{}",
        text(&out.stderr)
    );

    // A dataset whose inputs are a FIFO and a symlink to /dev/zero.
    let model = support::models_dir().join("kws_ref_model.tflite");
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("inputs")).unwrap();
    mkfifo(&data.join("inputs/f.bin"));
    std::os::unix::fs::symlink("/dev/zero", data.join("inputs/z.bin")).unwrap();
    for (file, want) in [
        (
            "inputs/f.bin",
            "cannot read inputs/f.bin: is a FIFO, not a regular file",
        ),
        (
            "inputs/z.bin",
            "inputs/z.bin resolves to /dev/zero, outside the dataset directory",
        ),
    ] {
        std::fs::write(data.join("labels.csv"), format!("file,label\n{file},1\n")).unwrap();
        let out = run(&[
            "--model",
            model.to_str().unwrap(),
            "--dataset",
            data.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 2);
        assert!(text(&out.stderr).contains(want), "{}", text(&out.stderr));
    }
}

#[test]
fn zero_reps_is_an_error() {
    // Group 11: `--model … --reps 0` exited 0 with no inference.
    let model = support::models_dir().join("ad01_int8.tflite");
    let out = bounded(
        command(&[
            "run",
            "--model",
            model.to_str().unwrap(),
            "--reps",
            "0",
            "--no-save",
        ]),
        30,
    );
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("--reps"),
        "{}",
        text(&out.stderr)
    );
}

/// The ELF `tinybench build` prints for `suite` on sim-cortex-m4, and its stderr.
fn build(suite: &Path) -> (PathBuf, String) {
    let out = bounded(
        command(&[
            "build",
            "--target",
            "sim-cortex-m4",
            "--suite",
            suite.to_str().unwrap(),
        ]),
        600,
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    (PathBuf::from(text(&out.stdout).trim()), text(&out.stderr))
}

#[test]
fn a_corrupted_cached_firmware_is_rebuilt_and_named() {
    // Group 10: a damaged cached ELF was reused on every run ("up to date (cached)"),
    // then failed as "not a 32-bit ELF firmware" without the file's name. A suite of its
    // own keeps this cache entry apart from the other tests' smoke builds.
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("hardening-cache.toml");
    let smoke = std::fs::read_to_string(root().join("suites/smoke.toml")).unwrap();
    std::fs::write(
        &suite,
        smoke.replacen("name = \"smoke\"", "name = \"hardening-cache\"", 1),
    )
    .unwrap();
    let (elf, _) = build(&suite);
    let good = std::fs::read(&elf).unwrap();
    let mut bad = good.clone();
    bad[4] ^= 0xff; // EI_CLASS: no longer a 32-bit ELF
    bad[1000] ^= 0xff;
    std::fs::write(&elf, &bad).unwrap();
    let (again, err) = build(&suite);
    assert_eq!(again, elf);
    assert!(
        err.contains(&format!(
            "warning: cached firmware {} is not usable",
            elf.display()
        )),
        "{err}"
    );
    assert!(err.contains("rebuilding it"), "{err}");
    assert!(!err.contains("up to date (cached)"), "{err}");
    assert_eq!(std::fs::read(&elf).unwrap(), good);
    let (_, err) = build(&suite);
    assert!(err.contains("up to date (cached)"), "{err}");
}

#[test]
fn a_failed_save_still_prints_the_result_and_leaves_no_temp_file() {
    // Group 11: a store write failure threw the measurement away and left a temp file.
    // The file size limit (`ulimit -f`, SIGXFSZ ignored) makes the run file's write fail
    // with EFBIG midway, as a full disk would.
    let dir = tempfile::tempdir().unwrap();
    // The smoke firmware is built (and cached) first, without the limit.
    let (_, _) = build(&root().join("suites/smoke.toml"));
    let store = dir.path().join("store");
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tinybench"))
        .args([
            "run",
            "--target",
            "sim-cortex-m4",
            "--suite",
            "smoke",
            "--format",
            "json",
        ])
        .arg("--project-dir")
        .arg(root())
        .arg("--results-dir")
        .arg(&store)
        .env_remove("TINYBENCH_PROBE")
        .env_remove("TINYBENCH_RUNNER_CONFIG");
    let out = bounded(cmd, 300);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("error: the run was not stored: write "),
        "{err}"
    );
    let printed = parse_run(&text(&out.stdout)).expect("the result was printed as JSON");
    assert_eq!(printed.suite, "smoke");
    assert!(!printed.cases.is_empty());
    let left: Vec<_> = std::fs::read_dir(store.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in runs/: {left:?}");
}
