//! Issue 10: the CI workflows in `ci/github/` parse and only use real tinybench verbs and
//! flags, and `tinybench ci` gives each kind of outcome its own exit code, run end to end
//! on the emulator the way the emulated workflow runs it.

use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REGRESSION: i32 = 3;
const BENCH_FAILED: i32 = 1;
const INFRA: i32 = 4;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn tinybench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinybench"))
        .args(args)
        .arg("--project-dir")
        .arg(root())
        .env_remove("TINYBENCH_RUNNER_CONFIG")
        .env_remove("TINYBENCH_PROBE")
        .env_remove("TINYBENCH_RESULTS_DIR")
        .output()
        .expect("tinybench runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(out: &Output, want: i32) {
    assert_eq!(
        out.status.code(),
        Some(want),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// Every `run:` script of every job, in file order.
fn scripts(workflow: &Value) -> Vec<String> {
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    assert!(!jobs.is_empty());
    let mut out = Vec::new();
    for (_, job) in jobs {
        assert!(
            job["runs-on"] != Value::Null,
            "every job says where it runs"
        );
        for step in job["steps"].as_sequence().expect("steps") {
            if let Some(run) = step["run"].as_str() {
                out.push(run.to_string());
            }
        }
    }
    out
}

/// (verb, flags) of every call of the built binary in a script (backslash continuations
/// joined).
fn calls(script: &str) -> Vec<(String, Vec<String>)> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            // The workflows call the built binary by path (`./target/release/tinybench`).
            if w.ends_with("/tinybench") {
                let Some(verb) = words.get(i + 1) else {
                    continue;
                };
                let flags = words[i + 2..]
                    .iter()
                    .take_while(|w| !["|", ">", ">>", "&&", ";"].contains(w))
                    .filter(|w| w.starts_with("--"))
                    .map(|w| w.split('=').next().unwrap_or(w).to_string())
                    .collect();
                out.push((verb.to_string(), flags));
            }
        }
    }
    out
}

#[test]
fn workflows_parse_and_use_real_verbs_and_flags() {
    let mut verbs_seen = Vec::new();
    for file in ["emulated.yml", "hil.yml"] {
        let path = root().join("ci/github").join(file);
        let yaml = std::fs::read_to_string(&path).expect("workflow file");
        let wf: Value = serde_yaml::from_str(&yaml)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
        assert!(wf["name"].as_str().is_some(), "{file}: a name");
        let mut n = 0;
        for script in scripts(&wf) {
            for (verb, flags) in calls(&script) {
                n += 1;
                let help = tinybench(&[&verb, "--help"]);
                assert_eq!(
                    help.status.code(),
                    Some(0),
                    "{file}: `tinybench {verb}` is not a verb"
                );
                let help = text(&help.stdout);
                for f in flags {
                    assert!(
                        help.contains(&format!("{f} ")) || help.contains(&format!("{f}\n")),
                        "{file}: `tinybench {verb}` has no flag {f}"
                    );
                }
                verbs_seen.push(verb);
            }
        }
        assert!(n > 0, "{file} calls tinybench");
    }
    for v in ["ci", "merge", "report", "probes"] {
        assert!(verbs_seen.iter().any(|s| s == v), "no `tinybench {v}` call");
    }
    // The HIL matrix fans out over runners labelled per board.
    let hil: Value =
        serde_yaml::from_str(&std::fs::read_to_string(root().join("ci/github/hil.yml")).unwrap())
            .unwrap();
    let runs_on = serde_yaml::to_string(&hil["jobs"]["board"]["runs-on"]).unwrap();
    assert!(
        runs_on.contains("tinybench-${{ matrix.board }}"),
        "{runs_on}"
    );
    let boards = hil["jobs"]["board"]["strategy"]["matrix"]["board"]
        .as_sequence()
        .expect("board matrix");
    for b in boards {
        let b = b.as_str().unwrap();
        assert!(
            root().join(format!("targets/{b}.toml")).exists(),
            "matrix board {b} is not a target"
        );
    }
    assert_eq!(hil["jobs"]["gate"]["needs"].as_str(), Some("board"));
}

fn workflow(file: &str) -> Value {
    let path = root().join("ci/github").join(file);
    serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every `uses:` step of a job.
fn uses<'a>(job: &'a Value, action: &str) -> Vec<&'a Value> {
    job["steps"]
        .as_sequence()
        .map(|s| {
            s.iter()
                .filter(|st| st["uses"].as_str().is_some_and(|u| u.starts_with(action)))
                .collect()
        })
        .unwrap_or_default()
}

/// Issue 22: self-hosted jobs only on trusted events, a pinned toolchain, cargo caches on
/// both lock files with restore keys, the result history restored and saved, benchmark
/// jobs without the test-only setup, and a matrix of boards that boot.
#[test]
fn workflows_keep_history_pin_the_toolchain_and_trust_only_safe_events() {
    for file in ["emulated.yml", "hil.yml"] {
        let wf = workflow(file);
        // serde_yaml reads the key `on` as the string "on".
        let on = &wf["on"];
        assert!(
            on.get("pull_request_target").is_none(),
            "{file}: pull_request_target"
        );
        let mut saved = false;
        for (name, job) in wf["jobs"].as_mapping().unwrap() {
            let name = name.as_str().unwrap();
            let runs_on = serde_yaml::to_string(&job["runs-on"]).unwrap();
            let steps = serde_yaml::to_string(&job["steps"]).unwrap();
            if runs_on.contains("self-hosted") {
                let cond = job["if"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{file} {name}: self-hosted without `if`"));
                assert!(
                    cond.contains("github.event_name == 'push'"),
                    "{file} {name}: {cond}"
                );
                assert!(
                    cond.contains(
                        "github.event.pull_request.head.repo.full_name == github.repository"
                    ),
                    "{file} {name}: forks must not reach self-hosted runners: {cond}"
                );
                assert!(
                    cond.contains("labels.*.name, 'hil'"),
                    "{file} {name}: {cond}"
                );
            }
            if steps.contains("cargo build") {
                let tc = uses(job, "dtolnay/rust-toolchain");
                assert_eq!(tc.len(), 1, "{file} {name}: toolchain step");
                let v = tc[0]["with"]["toolchain"].as_str().unwrap_or("");
                let pinned =
                    v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok());
                assert!(
                    pinned,
                    "{file} {name}: toolchain `{v}` is not a pinned version"
                );
                let caches: Vec<&Value> = uses(job, "actions/cache@")
                    .into_iter()
                    .filter(|c| {
                        serde_yaml::to_string(&c["with"]["path"])
                            .unwrap()
                            .contains("target")
                    })
                    .collect();
                assert_eq!(caches.len(), 1, "{file} {name}: a cargo cache");
                let key = caches[0]["with"]["key"].as_str().unwrap();
                assert!(
                    key.contains("hashFiles('Cargo.lock', 'targets/firmware/Cargo.lock')"),
                    "{file} {name}: cache key on both lock files: {key}"
                );
                assert!(
                    caches[0]["with"]["restore-keys"].as_str().is_some(),
                    "{file} {name}: restore-keys"
                );
            }
            if steps.contains("ci/setup.sh") {
                assert_eq!(
                    job["env"]["TINYBENCH_SETUP_MINIMAL"].as_str(),
                    Some("1"),
                    "{file} {name}"
                );
                assert!(
                    steps.contains("TINYBENCH_SETUP_MINIMAL=1 bash ci/setup.sh"),
                    "{file} {name}"
                );
            }
            for r in uses(job, "actions/cache/restore") {
                assert!(
                    r["with"]["restore-keys"].as_str().is_some(),
                    "{file} {name}: history restore-keys"
                );
            }
            saved |= !uses(job, "actions/cache/save").is_empty();
        }
        assert!(saved, "{file}: the result history is saved");
    }
    let emu = workflow("emulated.yml");
    let steps = serde_yaml::to_string(&emu["jobs"]["emulated"]["steps"]).unwrap();
    assert!(
        steps.contains("tinybench report") && steps.contains("dashboard.html"),
        "emulated: no dashboard"
    );
    assert!(!uses(&emu["jobs"]["pages"], "actions/deploy-pages").is_empty());
    let hil = workflow("hil.yml");
    let boards: Vec<&str> = hil["jobs"]["board"]["strategy"]["matrix"]["board"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert!(!boards.is_empty());
    for b in ["rp2040", "esp32c3"] {
        assert!(!boards.contains(&b), "{b} does not boot yet (docs/ci.md)");
    }
    let ci_md = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    assert!(ci_md.contains("boot2") && ci_md.contains("ESP-IDF app image"));
}

#[test]
fn example_runner_config_is_valid() {
    let path = root().join("ci/runner.toml");
    let r = tinybench_probe::RunnerConfig::load(&path).expect("ci/runner.toml validates");
    assert!(r.infra_retries.is_some() && r.power_cycle.is_some());
    assert!(r.boards.iter().all(|b| b.timeout.is_some()));
}

/// The emulated workflow's command, locally: a base run, a head run with slowed FC
/// kernels (regression, 3), one with a wrong output (benchmark failure, 1).
#[test]
fn ci_tells_regression_from_benchmark_failure() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base-results");
    // The base run also shows that `ci` takes `--energy` like `run` (same plan).
    let base_json = dir.path().join("base.json");
    let base_run = tinybench(&[
        "ci",
        "--target",
        "sim-cortex-m4",
        "--suite",
        "smoke",
        "--energy",
        "model",
        "--json",
        p(&base_json),
        "--results-dir",
        p(&base),
    ]);
    code(&base_run, 0);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base_json).unwrap()).unwrap();
    let source = j["targets"][0]["run"]["energy_source"]
        .as_str()
        .unwrap_or("");
    assert!(source.starts_with("energy, modeled"), "{j}");
    assert!(
        j["targets"][0]["run"]["cases"][0]["energy"].is_object(),
        "per-case energy in the stored run: {j}"
    );

    let head = dir.path().join("head");
    let md = dir.path().join("summary.md");
    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("ci.json");
    let ci = |feature: &str, store: &Path| {
        tinybench(&[
            "ci",
            "--target",
            "sim-cortex-m4",
            "--suite",
            "smoke",
            "--firmware-feature",
            feature,
            "--results-dir",
            p(store),
            "--base",
            "latest",
            "--base-dir",
            p(&base),
            "--fail-above",
            "2%",
            "--markdown",
            p(&md),
            "--junit",
            p(&junit),
            "--json",
            p(&json),
        ])
    };
    code(&ci("selftest-slow-fc", &head), REGRESSION);
    let summary = std::fs::read_to_string(&md).unwrap();
    assert!(
        summary.contains("performance regression"),
        "verdict on top: {summary}"
    );
    // fc_256x64 (16384 MACs) is slowed; fc_tiny (128 MACs) is not slowed past 2 %.
    let row = summary
        .lines()
        .find(|l| l.starts_with("| fc_256x64 "))
        .unwrap_or_else(|| panic!("no fc_256x64 row: {summary}"));
    assert!(row.contains('❌'), "{row}");
    let tiny = summary
        .lines()
        .find(|l| l.starts_with("| fc_tiny "))
        .unwrap();
    assert!(!tiny.contains('❌'), "{tiny}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("regression"), "{xml}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).expect("JSON summary");
    assert_eq!(j["exit_code"], REGRESSION);
    assert_eq!(j["targets"][0]["target"], "sim-cortex-m4");
    assert_eq!(j["targets"][0]["suite"], "smoke");
    assert!(j["targets"][0]["comparison"]["cases"].is_array(), "{j}");

    let wrong = ci("selftest-wrong-output", &dir.path().join("wrong"));
    code(&wrong, BENCH_FAILED);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["targets"][0]["status"], "benchmark-failed", "{j}");
}

/// A board whose probe is not attached: retried as configured (the power-cycle hook runs
/// before each retry), reported as infrastructure (4), nothing built, nothing stored.
#[test]
fn missing_probe_is_infrastructure_after_retries_without_a_build() {
    let dir = tempfile::tempdir().unwrap();
    let hook_log = dir.path().join("hook.log");
    let config = dir.path().join("runner.toml");
    std::fs::write(
        &config,
        format!(
            "power_cycle = \"echo cycled $TINYBENCH_TARGET >> '{}'\"\n\
             [retry]\ninfra_retries = 2\ndelay = 0\n\
             [[board]]\ntarget = \"nrf52840\"\nserial = \"TINYBENCH-NOT-ATTACHED\"\ntimeout = 30\n",
            hook_log.display()
        ),
    )
    .unwrap();
    let store = dir.path().join("store");
    let md = dir.path().join("summary.md");
    let json = dir.path().join("ci.json");
    let out = tinybench(&[
        "ci",
        "--json",
        p(&json),
        "--target",
        "nrf52840",
        "--runner-config",
        p(&config),
        "--results-dir",
        p(&store),
        "--base",
        "latest",
        "--fail-above",
        "2%",
        "--markdown",
        p(&md),
    ]);
    code(&out, INFRA);
    let err = text(&out.stderr);
    assert!(err.contains("attempt 3/3"), "{err}");
    assert!(!err.contains("attempt 4/"), "{err}");
    assert!(!err.contains("firmware for"), "nothing is built: {err}");
    let hooks = std::fs::read_to_string(&hook_log).unwrap();
    assert_eq!(hooks.lines().collect::<Vec<_>>(), ["cycled nrf52840"; 2]);
    let summary = std::fs::read_to_string(&md).unwrap();
    assert!(summary.contains("infrastructure failure"), "{summary}");
    assert!(!summary.contains("regression:"), "{summary}");
    assert!(!store.join("runs").exists(), "no result stored");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["exit_code"], INFRA);
    assert_eq!(j["targets"][0]["status"], "infrastructure", "{j}");
    assert_eq!(j["targets"][0]["attempts"], 3, "{j}");

    // `--infra-retries` overrides the runner config.
    let out = tinybench(&[
        "ci",
        "--target",
        "nrf52840",
        "--runner-config",
        p(&config),
        "--infra-retries",
        "0",
        "--results-dir",
        p(&store),
    ]);
    code(&out, INFRA);
    assert!(text(&out.stderr).contains("attempt 1/1"));
}
