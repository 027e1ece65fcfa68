//! One target × suite section of the dashboard: the latest run against the one before,
//! its memory and quality, a per-layer view for models, one chart per metric over the
//! runs and, folded away, one chart per case and metric.

use super::chart;
use super::history::{Series, Step};
use super::{esc, run_label};
use crate::report::{change_text, per_mac};
use tinybench_results::compare::{CaseChange, Comparison, Direction};
use tinybench_results::gate::Metric;
use tinybench_results::store::{compact_utc, StoredRun};
use tinybench_results::RunResult;

/// What the summary at the top shows of a group.
pub struct GroupSummary {
    /// Anchor of the section.
    pub anchor: String,
    /// Target.
    pub target: String,
    /// Suite.
    pub suite: String,
    /// The latest run.
    pub latest_id: String,
    /// Its commit label.
    pub commit: String,
    /// Its time, compact UTC.
    pub when: String,
    /// `ok`, `regression: …`, `failed: …`, `first run`.
    pub verdict: String,
    /// CSS class of the verdict: `ok`, `regression`, `failed`.
    pub class: &'static str,
    /// Regression steps still standing / resolved in the history.
    pub standing: usize,
    /// Resolved steps.
    pub resolved: usize,
    /// The metrics charted (keys), for the table of contents.
    pub metrics: Vec<Metric>,
}

/// The unit of a metric's y axis.
fn unit(s: &Series) -> String {
    match s.metric {
        Metric::Energy => "µJ/inference".to_string(),
        Metric::Flash | Metric::Ram | Metric::Stack => format!("{}, bytes", s.label),
        Metric::Quality => format!("{} (0–1)", s.label),
        _ => s.label.clone(),
    }
}

/// The suite-wide line of a per-case metric: the sum of the cases' medians per run, with
/// every case's steps (standing when any case's step at that run stands).
fn total(metric: Metric, cases: &[&Series]) -> Series {
    let mut points: Vec<(usize, f64)> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    for s in cases {
        for &(i, v) in &s.points {
            match points.iter_mut().find(|p| p.0 == i) {
                Some(p) => p.1 += v,
                None => points.push((i, v)),
            }
        }
        for st in &s.steps {
            match steps.iter_mut().find(|x| x.at == st.at) {
                Some(x) if st.resolved_at.is_none() => x.resolved_at = None,
                Some(_) => {}
                None => steps.push(st.clone()),
            }
        }
    }
    points.sort_by_key(|p| p.0);
    Series {
        metric,
        label: cases.first().map(|s| s.label.clone()).unwrap_or_default(),
        case: None,
        points,
        steps,
    }
}

fn figure(o: &mut String, title: &str, s: &Series, labels: &[String], case: Option<&str>) {
    let svg = chart::svg(title, &unit(s), s, labels)
        .unwrap_or_else(|e| format!("<p class=\"note\">chart failed: {}</p>", esc(&e)));
    let standing: Vec<&str> = s
        .steps
        .iter()
        .filter(|st| st.resolved_at.is_none())
        .map(|st| labels[st.at].as_str())
        .collect();
    let resolved: Vec<String> = s
        .steps
        .iter()
        .filter_map(|st| {
            let r = st.resolved_at?;
            Some(format!("{} (resolved at {})", labels[st.at], labels[r]))
        })
        .collect();
    let state = if !standing.is_empty() {
        "standing"
    } else if !resolved.is_empty() {
        "resolved"
    } else {
        "none"
    };
    let mut caption = esc(title);
    if !standing.is_empty() {
        caption.push_str(&format!(
            " · <b class=\"standing\">regression at {}</b>",
            esc(&standing.join(", "))
        ));
    }
    if !resolved.is_empty() {
        caption.push_str(&format!(
            " · <span class=\"resolved\">resolved regression: {}</span>",
            esc(&resolved.join(", "))
        ));
    }
    o.push_str(&format!(
        "<figure class=\"chart{}\" data-metric=\"{}\"{} data-state=\"{state}\" data-regressions=\"{}\" data-resolved=\"{}\">{svg}<figcaption>{caption}</figcaption></figure>\n",
        if state == "standing" { " has-regression" } else { "" },
        s.metric.key(),
        case.map(|c| format!(" data-case=\"{}\"", esc(c))).unwrap_or_default(),
        standing.len(),
        resolved.len(),
    ));
}

/// The case's verdict against the run before, with every other metric that got worse.
fn verdict(c: &CaseChange) -> String {
    let mut w = c.verdict.label();
    for m in &c.metrics {
        if m.direction == Direction::Worse {
            w.push_str(&format!("; {} {}", m.label, m.verdict_label()));
        }
    }
    w
}

fn latest_table(o: &mut String, run: &RunResult, cmp: Option<&Comparison>) {
    let modeled = run.cases.iter().any(|c| c.modeled_summary.is_some());
    let energy = run.energy_source.is_some();
    o.push_str("<table class=\"latest\"><tr><th>case</th><th>kernel</th><th>shape</th><th>MACs</th><th>median</th><th>per MAC</th>");
    if modeled {
        o.push_str("<th>cycles, modeled</th>");
    }
    if energy {
        o.push_str("<th>µJ/inference</th>");
    }
    o.push_str("<th>vs previous run</th><th>verdict</th><th>checksum</th></tr>\n");
    for c in &run.cases {
        let change = cmp.and_then(|cmp| cmp.cases.iter().find(|x| x.name == c.name));
        let tripped = cmp
            .and_then(|cmp| cmp.gate.as_ref())
            .is_some_and(|g| g.case_tripped(&c.name));
        let class = if tripped {
            " class=\"regression\""
        } else if !c.status.is_ok() {
            " class=\"failed\""
        } else {
            ""
        };
        let (median, per) = match c.summary {
            Some(s) => (s.median.to_string(), per_mac(s.median, c.macs)),
            None => ("—".into(), "—".into()),
        };
        o.push_str(&format!(
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{median}</td><td class=\"num\">{per}</td>",
            esc(&c.name),
            esc(&c.kernel),
            esc(&c.shape),
            c.macs
        ));
        if modeled {
            let m = c
                .modeled_summary
                .map_or("—".into(), |s| s.median.to_string());
            o.push_str(&format!("<td class=\"num\">{m}</td>"));
        }
        if energy {
            let e = c.energy.as_ref().map_or("—".into(), |e| {
                format!("{:.3} ±{:.3}", e.median_uj, e.bound_uj)
            });
            o.push_str(&format!("<td class=\"num\">{e}</td>"));
        }
        o.push_str(&format!(
            "<td class=\"num\">{}</td><td class=\"verdict\">{}</td><td>{}</td></tr>\n",
            esc(&change.map_or("—".to_string(), change_text)),
            esc(&change.map_or("first run".to_string(), verdict)),
            esc(&c.status.describe()),
        ));
    }
    o.push_str("</table>\n");
}

/// Per layer of a model run: op, count, share of the layers' total, arena bytes, a bar.
fn layers(o: &mut String, run: &RunResult) {
    let Some(m) = &run.model else { return };
    let counts: Vec<u64> = run
        .cases
        .iter()
        .skip(1)
        .map(|c| c.summary.map_or(0, |s| s.median))
        .collect();
    let sum: u64 = counts.iter().sum::<u64>().max(1);
    o.push_str(&format!(
        "<details class=\"layers\" open><summary>Per layer: {} ({} layers, variant {})</summary>\n<table class=\"layers\"><tr><th>#</th><th>op</th><th>{}</th><th>share</th><th>arena B</th><th>scratch B</th></tr>\n",
        esc(&m.name),
        m.layers.len(),
        esc(&m.variant),
        esc(run.count_kind.label())
    ));
    for (l, count) in m.layers.iter().zip(&counts) {
        let share = *count as f64 / sum as f64 * 100.0;
        o.push_str(&format!(
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{count}</td><td><span class=\"bar\" style=\"width:{:.0}px\"></span> {share:.1} %</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            l.index,
            esc(&l.op),
            share * 2.0,
            l.arena_bytes,
            l.scratch_bytes
        ));
    }
    o.push_str("</table></details>\n");
}

/// Memory and quality of a run in one line.
fn extras(o: &mut String, run: &RunResult) {
    if let Some(m) = run.memory() {
        o.push_str(&format!(
            "<p class=\"memory\">flash <b>{} B</b> of {} · RAM <b>{} B</b> of {} (stack {})</p>\n",
            m.flash(),
            m.flash_size,
            m.ram(),
            m.ram_size,
            m.stack_used
                .map_or("not reported".into(), |s| format!("{s} B"))
        ));
    }
    if let Some(q) = run.quality() {
        let f = |v: Option<f64>| v.map_or("—".into(), |v| format!("{:.2} %", v * 100.0));
        o.push_str(&format!(
            "<p class=\"quality\">quality ({}, {} labelled): accuracy <b>{}</b>, F1 {}, ROC-AUC {}</p>\n",
            esc(&q.task),
            q.labelled,
            f(q.accuracy),
            f(q.f1),
            f(q.roc_auc)
        ));
    }
}

/// One chart per metric (per-case metrics summed over the cases, run-wide ones as is),
/// then, folded away, one per case and metric. Returns the metrics charted.
fn charts(o: &mut String, series: &[Series], labels: &[String]) -> Vec<Metric> {
    // One chart per metric: per-case metrics summed over the cases, run-wide ones as is.
    o.push_str("<div class=\"charts\">\n");
    let mut metrics = Vec::new();
    for m in Metric::ALL {
        let of: Vec<&Series> = series.iter().filter(|s| s.metric == m).collect();
        if of.is_empty() {
            continue;
        }
        metrics.push(m);
        if of.iter().all(|s| s.case.is_some()) {
            let t = total(m, &of);
            let title = format!("{}: sum over {} case(s)", t.label, of.len());
            figure(o, &title, &t, labels, None);
        } else {
            for s in of {
                figure(o, &s.label, s, labels, None);
            }
        }
    }
    o.push_str("</div>\n");
    let per_case: Vec<&Series> = series.iter().filter(|s| s.case.is_some()).collect();
    o.push_str(&format!(
        "<details class=\"cases\"><summary>Every case ({} charts)</summary>\n<div class=\"charts\">\n",
        per_case.len()
    ));
    for s in &per_case {
        let case = s.case.as_deref().unwrap_or_default();
        figure(o, &format!("{case}: {}", s.label), s, labels, Some(case));
    }
    o.push_str("</div></details>\n</section>\n");
    metrics
}

/// Render one group; returns what the summary needs.
pub fn render(
    o: &mut String,
    anchor: &str,
    runs: &[&StoredRun],
    series: &[Series],
    comparisons: &[Option<Comparison>],
) -> Option<GroupSummary> {
    let latest = runs.last()?;
    let run = &latest.run;
    let labels: Vec<String> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| run_label(i, r))
        .collect();
    o.push_str(&format!(
        "<section class=\"group\" id=\"{anchor}\" data-target=\"{}\" data-suite=\"{}\">\n<h2>{} · suite {}</h2>\n",
        esc(&run.target),
        esc(&run.suite),
        esc(&run.target),
        esc(&run.suite)
    ));
    o.push_str(&format!(
        "<p>Latest run <code>{}</code> ({}, commit {}, {}, {}): counts are <b>{}</b>, {} stored run(s).</p>\n",
        esc(&latest.id),
        compact_utc(run.unix_time),
        esc(&run.meta.commit_label()),
        esc(&run.backend),
        esc(run.meta.host.as_deref().unwrap_or("host unknown")),
        esc(run.count_kind.label()),
        runs.len()
    ));
    if let Some(label) = &run.energy_source {
        o.push_str(&format!(
            "<p class=\"energy-source\">µJ/inference: <b>{}</b>, median ± sampling bound.</p>\n",
            esc(label)
        ));
    }
    let last = comparisons.last().and_then(Option::as_ref);
    for n in last.map(|c| c.notes.as_slice()).unwrap_or_default() {
        o.push_str(&format!("<p class=\"env-note\">note: {}</p>\n", esc(n)));
    }
    latest_table(o, run, last);
    extras(o, run);
    layers(o, run);
    let metrics = charts(o, series, &labels);
    let (verdict, class) = summary_verdict(last, run);
    Some(GroupSummary {
        anchor: anchor.to_string(),
        target: run.target.clone(),
        suite: run.suite.clone(),
        latest_id: latest.id.clone(),
        commit: run.meta.commit_label(),
        when: compact_utc(run.unix_time),
        verdict,
        class,
        standing: per_case_or_run(series, |s| s.standing()),
        resolved: per_case_or_run(series, |s| s.steps.len() - s.standing()),
        metrics,
    })
}

fn per_case_or_run(series: &[Series], f: impl Fn(&Series) -> usize) -> usize {
    series.iter().map(f).sum()
}

/// The latest run's verdict against the one before it.
fn summary_verdict(cmp: Option<&Comparison>, run: &RunResult) -> (String, &'static str) {
    let failed = run.cases.iter().filter(|c| !c.status.is_ok()).count();
    if failed > 0 {
        return (format!("failed: {failed} case(s)"), "failed");
    }
    let Some(cmp) = cmp else {
        return ("first run".into(), "ok");
    };
    match &cmp.gate {
        Some(g) if !g.trips.is_empty() => {
            let labels: Vec<&str> = g.tripped_metrics().iter().map(|m| m.label()).collect();
            (format!("regression: {}", labels.join(", ")), "regression")
        }
        _ => ("ok".into(), "ok"),
    }
}
