//! Issue 8 end to end: the real binary runs the real firmware in the emulator, stores each
//! run, and `compare`, the Markdown/JUnit exports and the HTML dashboard (rendered by
//! headless Chromium) flag exactly the cases a firmware self-test feature slowed down.
//! Also: a run killed midway and interrupted writes leave the store loadable.

mod support;
use support::{root, text, tinybench_in};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tinybench_results::store::{IndexEntry, Store};

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn list(store: &Path) -> Vec<IndexEntry> {
    let out = tinybench_in(store, &["results", "list", "--format", "json"]);
    serde_json::from_str(&ok(&out)).expect("list JSON")
}

/// Chromium from ci/setup.sh (Debian's `chromium`).
fn chromium() -> PathBuf {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = Command::new("which").arg(c).output() {
            if o.status.success() {
                return PathBuf::from(text(&o.stdout).trim());
            }
        }
    }
    panic!("headless Chromium is needed for the dashboard test: run `bash ci/setup.sh` (apt-get install chromium)");
}

/// Screenshot `page` with headless Chromium; returns (width, height, RGBA pixels).
fn screenshot(page: &Path, png_path: &Path) -> (u32, u32, Vec<u8>) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1300,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(
        png_path.is_file(),
        "no screenshot; chromium said: {}",
        text(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, rgba)
}

/// Pixels of (about) a given colour.
fn count_colour(rgba: &[u8], (r, g, b): (u8, u8, u8)) -> usize {
    rgba.chunks(4)
        .filter(|p| p[0].abs_diff(r) <= 6 && p[1].abs_diff(g) <= 6 && p[2].abs_diff(b) <= 6)
        .count()
}

const MARKER_RED: (u8, u8, u8) = (220, 20, 20);
const SERIES_BLUE: (u8, u8, u8) = (30, 90, 200);

#[test]
fn slowed_kernel_is_flagged_by_compare_exports_and_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    // Two identical runs, then one with the slowed firmware.
    for extra in [
        &[][..],
        &[][..],
        &["--firmware-feature", "selftest-slow-fc"][..],
    ] {
        let mut args = vec!["run", "--target", "sim-cortex-m4", "--suite", "smoke"];
        args.extend_from_slice(extra);
        let out = tinybench_in(&store, &args);
        ok(&out);
        assert!(
            text(&out.stderr).contains("saved run"),
            "{}",
            text(&out.stderr)
        );
    }
    let runs = list(&store);
    assert_eq!(runs.len(), 3, "{runs:?}");
    // The cases the self-test feature slows: fully-connected cases above 1000 MACs.
    let head = Store::new(&store).load(&runs[2].id).unwrap().run;
    let mut slowed: Vec<String> = head
        .cases
        .iter()
        .filter(|c| c.macs > 1000)
        .map(|c| c.name.clone())
        .collect();
    slowed.sort();
    assert!(!slowed.is_empty() && slowed.len() < head.cases.len());
    assert!(head.meta.host.is_some());
    assert!(
        head.meta.git_commit.is_some(),
        "the project is a git checkout"
    );

    // Identical runs: exact comparison, everything the same, the gate passes.
    let out = tinybench_in(
        &store,
        &["compare", "latest~2", "latest~1", "--fail-above", "2%"],
    );
    let table = ok(&out);
    assert_eq!(table.matches("│ same").count(), head.cases.len(), "{table}");
    assert!(table.contains("exact comparison"), "{table}");

    // The slowed run: exactly the slowed cases regress, the gate exits 1.
    let out = tinybench_in(
        &store,
        &[
            "compare",
            "latest~1",
            "latest",
            "--fail-above",
            "2%",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let mut regressions: Vec<String> = json["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    regressions.sort();
    assert_eq!(regressions, slowed);
    for c in json["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap().to_string();
        let verdict = c["verdict"]["verdict"].as_str().unwrap();
        let change = c["change"]["point"].as_f64().unwrap();
        if slowed.contains(&name) {
            assert_eq!(verdict, "slower", "{name}: {c}");
            assert!(change > 0.02, "{name}: {c}");
        } else {
            // The self-test block changes the code around every timed region a little
            // (a few instructions); exact counts see that, but it stays far below the gate.
            assert!(verdict == "same" || verdict == "slower", "{name}: {c}");
            assert!(change.abs() < 0.01, "{name}: {c}");
        }
    }
    assert!(text(&out.stderr).contains("gate FAILED"));
    // A gate above the largest slowdown passes.
    let out = tinybench_in(
        &store,
        &["compare", "latest~1", "latest", "--fail-above", "1000%"],
    );
    ok(&out);

    // Markdown: the gate verdict and exactly the slowed rows marked.
    let out = tinybench_in(
        &store,
        &[
            "compare",
            "latest~1",
            "latest",
            "--fail-above",
            "2%",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let md = text(&out.stdout);
    assert!(md.contains("❌ **gate FAILED"), "{md}");
    let mut marked: Vec<String> = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("❌ **slower"))
        .map(|l| l.split('|').nth(1).unwrap().trim().to_string())
        .collect();
    marked.sort();
    assert_eq!(marked, slowed, "{md}");

    // JUnit: one test case per benchmark case, a regression failure on each slowed case.
    let out = tinybench_in(
        &store,
        &[
            "compare",
            "latest~1",
            "latest",
            "--fail-above",
            "2%",
            "--format",
            "junit",
        ],
    );
    let xml = text(&out.stdout);
    assert_eq!(xml.matches("<testcase ").count(), head.cases.len(), "{xml}");
    assert_eq!(
        xml.matches("type=\"regression\">").count(),
        slowed.len(),
        "{xml}"
    );
    for name in &slowed {
        let at = xml.find(&format!("<testcase name=\"{name}\"")).unwrap();
        assert!(
            xml[at..]
                .split("</testcase>")
                .next()
                .unwrap()
                .contains("<failure"),
            "{name}"
        );
    }

    // CSV has one row per case and metric: the instructions rows are one per case, the
    // modeled-cycles rows too (the emulator models cycles), and the run's flash row.
    let out = tinybench_in(
        &store,
        &["compare", "latest~1", "latest", "--format", "csv"],
    );
    let csv = ok(&out);
    for metric in [",instructions,", ",modeled-cycles,"] {
        assert_eq!(csv.matches(metric).count(), head.cases.len(), "{csv}");
    }
    assert_eq!(csv.matches(",flash,").count(), 1, "{csv}");
    assert!(head
        .meta
        .memory
        .is_some_and(|m| m.stack_used.is_some() && m.text > 0));
    assert_eq!(head.meta.clock_hz, Some(64_000_000));

    // The dashboard: one chart per case, the step marked on exactly the slowed cases.
    let html = dir.path().join("dashboard.html");
    ok(&tinybench_in(
        &store,
        &["report", "--html", html.to_str().unwrap()],
    ));
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing to fetch (the SVG namespace URI is a name, not a request).
    for fetch in ["src=", "url(", "<script src", "<link", "@import"] {
        assert!(!page.contains(fetch), "dashboard references `{fetch}`");
    }
    assert_eq!(
        page.matches("href=\"").count(),
        page.matches("href=\"#").count()
    );
    // Per case (folded away): one instructions chart each, standing on the slowed ones.
    let per_case: Vec<&str> = page
        .split("<figure class=\"chart")
        .skip(1)
        .map(|f| f.split('>').next().unwrap())
        .filter(|f| f.contains("data-metric=\"instructions\" data-case="))
        .collect();
    assert_eq!(per_case.len(), head.cases.len(), "{per_case:?}");
    let mut charted: Vec<String> = per_case
        .iter()
        .filter(|f| f.contains("data-state=\"standing\""))
        .map(|f| {
            f.split("data-case=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    charted.sort();
    assert_eq!(charted, slowed);
    let (w, h, rgba) = screenshot(&html, &dir.path().join("dashboard.png"));
    assert!(w > 0 && h > 0);
    let blue = count_colour(&rgba, SERIES_BLUE);
    let red = count_colour(&rgba, MARKER_RED);
    assert!(blue > 200, "history lines not drawn: {blue} blue pixels");
    assert!(red > 60, "regression markers not drawn: {red} red pixels");

    // Control: a dashboard of the two identical runs has plots but no regression marker.
    let calm = dir.path().join("calm");
    for r in &runs[..2] {
        let src = Store::new(&store).run_path(&r.id);
        std::fs::create_dir_all(calm.join("runs")).unwrap();
        std::fs::copy(&src, calm.join("runs").join(src.file_name().unwrap())).unwrap();
    }
    let calm_html = dir.path().join("calm.html");
    ok(&tinybench_in(
        &calm,
        &["report", "--html", calm_html.to_str().unwrap()],
    ));
    let (_, _, rgba) = screenshot(&calm_html, &dir.path().join("calm.png"));
    assert!(count_colour(&rgba, SERIES_BLUE) > 200);
    assert_eq!(count_colour(&rgba, MARKER_RED), 0);
}

#[test]
fn killed_run_and_interrupted_writes_leave_the_store_loadable() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&tinybench_in(&store, &["run", "--suite", "smoke"]));
    let before = list(&store);
    assert_eq!(before.len(), 1);
    let first = Store::new(&store).run_path(&before[0].id);
    let first_bytes = std::fs::read(&first).unwrap();

    // Build the hanging firmware first, so the kill lands inside the run.
    let built = Command::new(env!("CARGO_BIN_EXE_tinybench"))
        .args([
            "build",
            "--firmware-feature",
            "selftest-hang",
            "--project-dir",
        ])
        .arg(root())
        .output()
        .unwrap();
    ok(&built);
    let mut child = Command::new(env!("CARGO_BIN_EXE_tinybench"))
        .args(["run", "--firmware-feature", "selftest-hang"])
        .args(["--max-instructions", "100000000000", "--timeout", "600"])
        .arg("--project-dir")
        .arg(root())
        .arg("--results-dir")
        .arg(&store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(child.try_wait().unwrap().is_none(), "the hang ended early");
    child.kill().unwrap();
    child.wait().unwrap();

    // A write killed before its rename (temp file) and a truncated run file.
    let runs_dir = store.join("runs");
    std::fs::write(
        runs_dir.join(".20991231T000000Z-x.json.tmp-1-2"),
        &first_bytes[..first_bytes.len() / 2],
    )
    .unwrap();
    let truncated = runs_dir.join("20991231T000000Z-sim-cortex-m4-deadbeef.json");
    std::fs::write(&truncated, &first_bytes[..first_bytes.len() / 3]).unwrap();

    let out = tinybench_in(&store, &["results", "list", "--format", "json"]);
    let after: Vec<IndexEntry> = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(after, before);
    let err = text(&out.stderr);
    assert!(
        err.contains("20991231T000000Z-sim-cortex-m4-deadbeef.json"),
        "{err}"
    );
    assert!(err.contains("leftover temp file"), "{err}");
    assert_eq!(std::fs::read(&first).unwrap(), first_bytes);
    assert!(truncated.exists(), "a corrupt file must never be deleted");
    // Every reader still works: show, compare, report; and new runs are stored.
    ok(&tinybench_in(&store, &["results", "show", "latest"]));
    ok(&tinybench_in(
        &store,
        &["compare", "latest", "latest", "--fail-above", "0"],
    ));
    let html = dir.path().join("d.html");
    let out = tinybench_in(&store, &["report", "--html", html.to_str().unwrap()]);
    ok(&out);
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("deadbeef.json"));
    ok(&tinybench_in(&store, &["run", "--suite", "smoke"]));
    assert_eq!(list(&store).len(), 2);
    // --no-save leaves the store alone.
    ok(&tinybench_in(
        &store,
        &["run", "--suite", "smoke", "--no-save"],
    ));
    assert_eq!(list(&store).len(), 2);
    // A git ref names the newest run made at that commit of the project.
    let out = tinybench_in(&store, &["compare", "HEAD", "latest", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(json["base_id"], json["head_id"], "{json}");
    let out = tinybench_in(&store, &["compare", "no-such-ref", "latest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`no-such-ref`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_run_on_several_targets_stores_one_run_per_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = tinybench_in(
        dir.path(),
        &[
            "run",
            "--target",
            "sim-cortex-m4",
            "--target",
            "sim-cortex-m3",
            "--suite",
            "smoke",
        ],
    );
    ok(&out);
    let mut targets: Vec<String> = list(dir.path()).into_iter().map(|e| e.target).collect();
    targets.sort();
    assert_eq!(targets, ["sim-cortex-m3", "sim-cortex-m4"]);
    // --no-save keeps the store as it was.
    let out = tinybench_in(
        dir.path(),
        &[
            "run",
            "--target",
            "sim-cortex-m4",
            "--target",
            "sim-cortex-m3",
            "--no-save",
        ],
    );
    ok(&out);
    assert_eq!(list(dir.path()).len(), 2);
}
