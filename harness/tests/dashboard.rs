//! Issue 22: the dashboard people read, on constructed runs (no emulator): the summary on
//! top, a table of contents, a chart per metric (instructions, modeled cycles, energy,
//! flash, RAM, stack, accuracy), a reverted regression shown as resolved while a standing
//! one stays red, the per-layer view of a model, and the filters — checked in the HTML,
//! in the DOM headless Chromium builds (the filter script preset by the address) and in
//! its screenshots (dimensions, drawn lines, marker colours; never pixel-exact).

#[path = "support/runs.rs"]
mod runs;
mod support;
use support::{text, tinybench_in};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tinybench_results::store::Store;

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

/// Two groups: `sim-a · smoke` where fc_256x64's modeled cycles regressed and the next
/// commit reverted it; `sim-b · smoke` whose flash grew in its latest run (standing). And
/// a model run pair on sim-a whose accuracy held.
fn store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = Store::new(&path);
    let mut t = 1_795_500_000;
    let save = |mut r: tinybench_results::RunResult| {
        store.save(&mut r).unwrap();
    };
    for (commit, modeled) in [("a1", 140_726), ("b2", 250_492), ("c3", 140_726)] {
        let mut cases = runs::smoke_cases();
        cases[1] = runs::case("fc_256x64", 16_384, 114_355, modeled);
        t += 100;
        save(runs::run("sim-a", "smoke", t, commit, cases));
    }
    for (commit, text) in [("a1", 10_000), ("b2", 10_000), ("c3", 10_800)] {
        let mut r = runs::run("sim-b", "smoke", t, commit, runs::smoke_cases());
        r.meta.memory = Some(runs::memory(text));
        t += 100;
        save(r);
    }
    for commit in ["a1", "b2"] {
        t += 100;
        save(runs::model_run(t, commit, 0.9));
    }
    (dir, path)
}

/// The `<section>` of one group.
fn section<'a>(page: &'a str, target: &str, suite: &str) -> &'a str {
    let want = format!("data-target=\"{target}\" data-suite=\"{suite}\"");
    let start = page
        .match_indices("<section class=\"group\"")
        .map(|(i, _)| i)
        .find(|&i| page[i..].split('>').next().unwrap().contains(&want))
        .unwrap_or_else(|| panic!("no section {target} · {suite}"));
    let end = page[start..].find("</section>").unwrap();
    &page[start..start + end]
}

/// (metric, state) of each overview chart (not the per-case ones) of a section.
fn charts(sec: &str) -> Vec<(String, String)> {
    let overview = sec.split("<details class=\"cases\"").next().unwrap();
    overview
        .split("<figure class=\"chart")
        .skip(1)
        .map(|f| {
            let attr = |k: &str| {
                let at = f.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
                f[at..].split('"').next().unwrap().to_string()
            };
            (attr("data-metric"), attr("data-state"))
        })
        .collect()
}

#[test]
fn dashboard_summary_charts_and_resolved_regressions() {
    let (dir, store) = store();
    let html = dir.path().join("dashboard.html");
    ok(&tinybench_in(
        &store,
        &["report", "--html", html.to_str().unwrap()],
    ));
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing to fetch; links only inside the page.
    for fetch in ["src=", "url(", "<link", "@import", "http://", "https://"] {
        let hits = page.matches(fetch).count();
        let svg_ns = page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
        assert!(
            hits == 0 || (fetch == "http://" && hits == svg_ns),
            "dashboard references `{fetch}`"
        );
    }
    assert!(page.matches("href=\"").count() == page.matches("href=\"#").count());

    // Summary first: one row per target × suite, with the verdict of the latest run.
    let summary = page
        .find("<table class=\"summary\"")
        .expect("summary table");
    assert!(
        summary < page.find("<section class=\"group\"").unwrap(),
        "summary on top"
    );
    let rows: Vec<&str> = page[summary..]
        .split("</table>")
        .next()
        .unwrap()
        .split("<tr data-target")
        .skip(1)
        .collect();
    assert_eq!(rows.len(), 3, "three target × suite groups");
    let row = |t: &str, s: &str| {
        *rows
            .iter()
            .find(|r| r.starts_with(&format!("=\"{t}\" data-suite=\"{s}\"")))
            .unwrap_or_else(|| panic!("no summary row {t} {s}"))
    };
    let a = row("sim-a", "smoke");
    assert!(a.contains("class=\"v-ok\">ok<"), "{a}");
    assert!(
        a.contains("standing-count\">0<") && a.contains("resolved-count\">2<"),
        "{a}"
    );
    let b = row("sim-b", "smoke");
    assert!(b.contains("regression: flash"), "{b}");
    assert!(b.contains("standing-count\">1<"), "{b}");
    // The table of contents links every group.
    let toc = page
        .split("<nav class=\"toc\">")
        .nth(1)
        .unwrap()
        .split("</nav>")
        .next()
        .unwrap();
    assert_eq!(toc.matches("<a href=\"#g").count(), 3, "{toc}");

    // A chart per metric; sim-a's modeled-cycles step is resolved, nothing stands.
    let sa = section(&page, "sim-a", "smoke");
    let ca = charts(sa);
    let metrics: Vec<&str> = ca.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        metrics,
        [
            "instructions",
            "modeled-cycles",
            "energy",
            "flash",
            "ram",
            "stack"
        ],
        "{ca:?}"
    );
    assert!(
        ca.contains(&("modeled-cycles".into(), "resolved".into())),
        "{ca:?}"
    );
    assert!(ca.contains(&("energy".into(), "resolved".into())), "{ca:?}");
    assert!(ca.iter().all(|c| c.1 != "standing"), "{ca:?}");
    assert!(
        sa.contains("resolved regression: #2 b2b2b2b (resolved at #3 c3c3c3c)"),
        "{sa}"
    );
    assert!(!sa.contains("has-regression"));
    // sim-b: flash stands.
    let cb = charts(section(&page, "sim-b", "smoke"));
    assert!(cb.contains(&("flash".into(), "standing".into())), "{cb:?}");
    // The model: accuracy charted, the per-layer view.
    let sm = section(&page, "sim-cortex-m4", "model-kws");
    assert!(
        charts(sm).iter().any(|c| c.0 == "quality"),
        "{:?}",
        charts(sm)
    );
    assert!(
        sm.contains("<table class=\"layers\">") && sm.contains("<td>FULLY_CONNECTED</td>"),
        "{sm}"
    );
    assert!(
        sm.contains("66.7 %"),
        "conv is 20000 of 30000 layer counts: {sm}"
    );

    // In a browser: the filter script keeps only the group the address asks for.
    let dom = chromium(&html, "target=sim-b&suite=smoke", &["--dump-dom"]);
    let hidden_a = dom
        .split("<section")
        .filter(|s| s.starts_with(" class=\"group\"") && s.contains("data-target=\"sim-a\""))
        .all(|s| s.split('>').next().unwrap().contains("hidden"));
    assert!(hidden_a, "sim-a sections not hidden by the filter");
    assert!(dom
        .split("<section")
        .any(|s| s.contains("data-target=\"sim-b\"")
            && !s.split('>').next().unwrap().contains("hidden")));

    // Screenshots: sim-a alone draws lines and an orange (resolved) ring, no red dot;
    // sim-b alone draws the red (standing) flash step.
    let (w, h, rgba) = screenshot(&html, "target=sim-a&suite=smoke", &dir.path().join("a.png"));
    assert_eq!((w, h), (1300, 2000));
    assert!(count(&rgba, (30, 90, 200)) > 500, "history lines not drawn");
    assert!(
        count(&rgba, (230, 140, 0)) > 40,
        "resolved marker not drawn"
    );
    assert_eq!(
        count(&rgba, (220, 20, 20)),
        0,
        "a resolved regression drawn as standing"
    );
    let (_, _, rgba) = screenshot(
        &html,
        "target=sim-b&metric=flash",
        &dir.path().join("b.png"),
    );
    assert!(
        count(&rgba, (220, 20, 20)) > 60,
        "standing flash regression not drawn"
    );
    // The top of the page is not blank: the summary table is there.
    let top = &rgba[..(w as usize * 4 * 300)];
    assert!(
        top.chunks(4).filter(|p| p[0] < 128).count() > 1000,
        "blank summary"
    );
}

/// Chromium from ci/setup.sh (Debian's `chromium`).
fn chromium_bin() -> PathBuf {
    for c in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(c).exists() {
            return PathBuf::from(c);
        }
    }
    panic!("headless Chromium is needed for the dashboard test: run `bash ci/setup.sh` (apt-get install chromium)");
}

fn chromium(page: &Path, hash: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium_bin())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .args(["--hide-scrollbars", "--window-size=1300,2000"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}#{hash}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    text(&out.stdout)
}

fn screenshot(page: &Path, hash: &str, png_path: &Path) -> (u32, u32, Vec<u8>) {
    chromium(
        page,
        hash,
        &[&format!("--screenshot={}", png_path.display())],
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).expect("screenshot written"),
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

fn count(rgba: &[u8], (r, g, b): (u8, u8, u8)) -> usize {
    rgba.chunks(4)
        .filter(|p| p[0].abs_diff(r) <= 6 && p[1].abs_diff(g) <= 6 && p[2].abs_diff(b) <= 6)
        .count()
}
