//! An installed tinybench (issue 20): the built binary, copied out of the build tree, run
//! from an empty directory with its own HOME and cache, and no `--project-dir`. Nothing of
//! the source tree is reachable from there (the binary has no compiled-in path to it: see
//! `Project::find`), so every project file comes from the copy embedded in the binary.

mod support;
use support::{root, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Where cargo and rustup keep toolchains, as the test's own environment has them: the
/// firmware build needs them, and the test moves HOME away.
fn tool_homes() -> [(&'static str, PathBuf); 2] {
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME is set"));
    let var = |k: &str, default: PathBuf| std::env::var_os(k).map_or(default, PathBuf::from);
    [
        ("CARGO_HOME", var("CARGO_HOME", home.join(".cargo"))),
        ("RUSTUP_HOME", var("RUSTUP_HOME", home.join(".rustup"))),
    ]
}

struct Installed {
    _tmp: tempfile::TempDir,
    bin: PathBuf,
    home: PathBuf,
    cache: PathBuf,
}

impl Installed {
    fn new() -> Installed {
        let tmp = tempfile::tempdir().unwrap();
        let bin_dir = tmp.path().join("bin");
        let (home, cache) = (tmp.path().join("home"), tmp.path().join("cache"));
        for d in [&bin_dir, &home, &cache] {
            std::fs::create_dir_all(d).unwrap();
        }
        let bin = bin_dir.join("tinybench");
        std::fs::copy(env!("CARGO_BIN_EXE_tinybench"), &bin).unwrap();
        Installed {
            _tmp: tmp,
            bin,
            home,
            cache,
        }
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .current_dir(cwd)
            .env("HOME", &self.home)
            .env("XDG_CACHE_HOME", &self.cache)
            .env("COLUMNS", "100")
            .envs(tool_homes());
        for k in [
            "TINYBENCH_CACHE_DIR",
            "TINYBENCH_RESULTS_DIR",
            "TINYBENCH_PROBE",
            "TINYBENCH_RUNNER_CONFIG",
            "CARGO_MANIFEST_DIR",
        ] {
            cmd.env_remove(k);
        }
        cmd.output().expect("the copied tinybench runs")
    }
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn a_copied_binary_lists_diagnoses_and_runs_from_an_empty_directory() {
    let t = Installed::new();
    let work = t.home.join("empty");
    std::fs::create_dir_all(&work).unwrap();
    assert!(
        !work.starts_with(root()),
        "the work directory is outside the source tree"
    );

    let list = ok(&t.run(&work, &["list", "targets"]));
    assert!(
        list.contains("sim-cortex-m4") && list.contains("nrf52840"),
        "{list}"
    );
    assert!(support::widest(&list) <= 100, "{list}");

    let doctor = t.run(&work, &["doctor"]);
    let report = text(&doctor.stdout);
    assert!(
        doctor.status.code() == Some(0),
        "doctor: {report}\n{}",
        text(&doctor.stderr)
    );
    let files = report
        .lines()
        .find(|l| l.starts_with("project files:"))
        .unwrap_or_else(|| panic!("doctor says where the project files are: {report}"));
    assert!(files.contains("embedded in tinybench"), "{files}");
    assert!(files.contains(&t.cache.display().to_string()), "{files}");
    assert!(!report.contains(&root().display().to_string()), "{report}");

    let out = t.run(
        &work,
        &["run", "--target", "sim-cortex-m4", "--suite", "smoke"],
    );
    let table = ok(&out);
    assert!(table.contains("ms @64 MHz"), "{table}");
    assert!(
        support::widest(&table) <= 100,
        "a line is over 100 columns:\n{table}"
    );
    let runs: Vec<_> = std::fs::read_dir(work.join("tinybench-results/runs"))
        .expect("the run is stored in the current directory")
        .flatten()
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    // Firmware builds went to the cache, not beside the unpacked sources.
    assert!(t.cache.join("tinybench/build").is_dir());
}

#[test]
fn a_tinybench_toml_above_the_current_directory_is_the_project() {
    let t = Installed::new();
    let project = t.home.join("proj");
    let sub = project.join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::create_dir_all(project.join("targets")).unwrap();
    std::fs::write(project.join("tinybench.toml"), "results = \"out\"\n").unwrap();
    // A board of the user's own, next to the built-in ones.
    let builtin = std::fs::read_to_string(root().join("targets/sim-cortex-m4.toml")).unwrap();
    std::fs::write(
        project.join("targets/my-m4.toml"),
        builtin.replace("name = \"sim-cortex-m4\"", "name = \"my-m4\""),
    )
    .unwrap();
    let doctor = text(&t.run(&sub, &["doctor"]).stdout);
    assert!(
        doctor.contains(&format!("project: {}", project.display())),
        "{doctor}"
    );
    assert!(
        doctor.contains(&format!("results: {}", project.join("out").display())),
        "{doctor}"
    );
    let list = ok(&t.run(&sub, &["list", "targets"]));
    assert!(
        list.contains("my-m4") && list.contains("sim-cortex-m3"),
        "{list}"
    );

    let bash = ok(&t.run(&sub, &["completions", "bash"]));
    assert!(
        bash.contains("complete") && bash.contains("tinybench"),
        "{bash}"
    );
    let man = ok(&t.run(&sub, &["man"]));
    assert!(
        man.contains(".TH tinybench"),
        "{}",
        &man[..man.len().min(300)]
    );
}
