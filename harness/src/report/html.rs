//! The HTML dashboard: one self-contained file (inline CSS, inline SVG charts from
//! `plotters`' SVG backend, a few lines of inline script for the filters; nothing is
//! fetched at view time).
//!
//! On top a summary (latest run per target × suite with its verdict and the regressions
//! still standing), a table of contents and filters by target, suite and metric. Then per
//! target × suite ([`group`]): the latest run against the one before, memory and quality,
//! a per-layer view for models, one chart per metric (instructions or hardware cycles,
//! modeled cycles, energy, flash, RAM, stack, quality) over the runs and, folded away, one
//! chart per case. Regressions are found by the `compare` gate between consecutive runs
//! ([`history`]) and marked only while they stand: a reverted one is drawn as resolved.

mod chart;
mod group;
mod history;

use super::Report;
use std::collections::BTreeMap;
use tinybench_results::gate::{Gate, Metric};
use tinybench_results::store::{Skipped, StoredRun};

pub use chart::{REGRESSION_RED, RESOLVED_ORANGE, SERIES_BLUE};

/// HTML dashboard reporter.
pub struct HtmlReport {
    out: String,
    /// The gate that marks a step between two runs as a regression.
    gate: Gate,
}

impl HtmlReport {
    /// A dashboard that marks slowdowns larger than `threshold` (a fraction, e.g. 0.02),
    /// and the other metrics by the gate's defaults.
    pub fn new(threshold: f64) -> Self {
        HtmlReport {
            out: String::new(),
            gate: Gate::new(threshold),
        }
    }
}

/// HTML-escape text. Written by hand: five replacements do not justify a dependency.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// "#3 1a2b3c4" (run number in this history, short commit; `+` when dirty).
fn run_label(i: usize, r: &StoredRun) -> String {
    match &r.run.meta.git_commit {
        Some(c) => format!(
            "#{} {}{}",
            i + 1,
            &c[..c.len().min(7)],
            if r.run.meta.git_dirty == Some(true) {
                "+"
            } else {
                ""
            }
        ),
        None => format!("#{}", i + 1),
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff;max-width:1400px}\
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
tr.regression td{background:#ffe8e8;font-weight:bold}tr.regression td.verdict{color:#c01010}\
tr.failed td{background:#fff3d6}td.v-regression{color:#c01010;font-weight:bold}td.v-failed{color:#a06000;font-weight:bold}td.v-ok{color:#107010}\
.charts{display:flex;flex-wrap:wrap;gap:1em}figure.chart{margin:0;border:1px solid #ddd;padding:.3em;max-width:530px}\
figure.chart.has-regression{border:2px solid #c01010}figcaption{font-size:.9em}\
.standing{color:#c01010}.resolved{color:#b06000}\
.note,.env-note{color:#666;font-size:.9em}.filters{margin:1em 0;padding:.5em;background:#f4f6fa}\
.filters label{margin-right:1.2em}nav.toc ul{margin:.2em 0}\
span.bar{display:inline-block;height:.8em;background:#1e5ac8;vertical-align:middle}\
[hidden]{display:none!important}";

/// The filters: show only the groups, summary rows and charts that match. Inline, no
/// network; `#target=…&suite=…&metric=…` in the address presets them.
const SCRIPT: &str = "(function(){\
var f={target:document.getElementById('f-target'),suite:document.getElementById('f-suite'),metric:document.getElementById('f-metric')};\
function apply(){var t=f.target.value,s=f.suite.value,m=f.metric.value;\
document.querySelectorAll('[data-target]').forEach(function(e){e.hidden=(t&&e.dataset.target!==t)||(s&&e.dataset.suite!==s);});\
document.querySelectorAll('figure.chart').forEach(function(e){e.hidden=!!(m&&e.dataset.metric!==m);});}\
var h=new URLSearchParams(location.hash.slice(1));\
['target','suite','metric'].forEach(function(k){if(h.get(k)!==null){f[k].value=h.get(k);}f[k].addEventListener('change',apply);});\
apply();})();";

fn select(id: &str, label: &str, values: &[(String, String)]) -> String {
    let mut s = format!("<label>{label} <select id=\"{id}\"><option value=\"\">all</option>");
    for (v, text) in values {
        s.push_str(&format!(
            "<option value=\"{}\">{}</option>",
            esc(v),
            esc(text)
        ));
    }
    s.push_str("</select></label>");
    s
}

impl HtmlReport {
    fn page(&mut self, runs: &[StoredRun], skipped: &[Skipped]) {
        let mut groups: BTreeMap<(&str, &str), Vec<&StoredRun>> = BTreeMap::new();
        for r in runs {
            groups
                .entry((r.run.target.as_str(), r.run.suite.as_str()))
                .or_default()
                .push(r);
        }
        let mut body = String::new();
        let mut summaries = Vec::new();
        for (k, ((_, _), group)) in groups.iter().enumerate() {
            let (series, comparisons) = history::series(group, &self.gate);
            let anchor = format!("g{k}");
            if let Some(s) = group::render(&mut body, &anchor, group, &series, &comparisons) {
                summaries.push(s);
            }
        }
        let o = &mut self.out;
        o.push_str(&format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tinybench results</title><style>{STYLE}</style></head><body>\n<h1>tinybench results</h1>\n<p class=\"note\">{} stored run(s). A regression is a step between two consecutive runs beyond the gate ({}; exact for emulated and modeled counts, bootstrap interval beyond the noise threshold for hardware cycles and measured energy): a <b class=\"standing\">red dot</b> while it stands, an <span class=\"resolved\">orange ring</span> once a later run brought the metric back.</p>\n",
            runs.len(),
            esc(&gate_words(&self.gate))
        ));
        let uniq = |f: fn(&group::GroupSummary) -> &str| {
            let mut v: Vec<(String, String)> = summaries
                .iter()
                .map(|s| (f(s).to_string(), f(s).to_string()))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let metrics: Vec<(String, String)> = Metric::ALL
            .iter()
            .filter(|m| summaries.iter().any(|s| s.metrics.contains(m)))
            .map(|m| (m.key().to_string(), m.label().to_string()))
            .collect();
        o.push_str(&format!(
            "<div class=\"filters\">{}{}{}</div>\n",
            select("f-target", "target", &uniq(|s| &s.target)),
            select("f-suite", "suite", &uniq(|s| &s.suite)),
            select("f-metric", "metric", &metrics)
        ));
        o.push_str("<section id=\"summary\"><h2>Summary: latest run per target × suite</h2>\n<table class=\"summary\"><tr><th>target</th><th>suite</th><th>latest run</th><th>commit</th><th>time (UTC)</th><th>verdict vs previous run</th><th>regressions standing</th><th>resolved</th></tr>\n");
        for s in &summaries {
            o.push_str(&format!(
                "<tr data-target=\"{}\" data-suite=\"{}\"><td><a href=\"#{}\">{}</a></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"v-{}\">{}</td><td class=\"num standing-count\">{}</td><td class=\"num resolved-count\">{}</td></tr>\n",
                esc(&s.target), esc(&s.suite), s.anchor, esc(&s.target), esc(&s.suite),
                esc(&s.latest_id), esc(&s.commit), esc(&s.when), s.class, esc(&s.verdict),
                s.standing, s.resolved
            ));
        }
        o.push_str("</table></section>\n<nav class=\"toc\"><h2>Contents</h2><ul>\n");
        for s in &summaries {
            let m: Vec<&str> = s.metrics.iter().map(|m| m.label()).collect();
            o.push_str(&format!(
                "<li data-target=\"{}\" data-suite=\"{}\"><a href=\"#{}\">{} · suite {}</a> <span class=\"note\">{}</span></li>\n",
                esc(&s.target), esc(&s.suite), s.anchor, esc(&s.target), esc(&s.suite), esc(&m.join(" · "))
            ));
        }
        if !skipped.is_empty() {
            o.push_str("<li><a href=\"#skipped\">Skipped files</a></li>\n");
        }
        o.push_str("</ul></nav>\n");
        o.push_str(&body);
        if !skipped.is_empty() {
            o.push_str("<h2 id=\"skipped\">Skipped files</h2><ul class=\"skipped\">\n");
            for s in skipped {
                o.push_str(&format!(
                    "<li><code>{}</code>: {}</li>\n",
                    esc(&s.file),
                    esc(&s.reason)
                ));
            }
            o.push_str("</ul>\n");
        }
        o.push_str(&format!("<script>{SCRIPT}</script>\n</body></html>\n"));
    }
}

/// `counts 2 %, flash 1 %, …` of a gate.
fn gate_words(g: &Gate) -> String {
    g.thresholds
        .iter()
        .map(|(m, t)| format!("{} {t}", m.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Report for HtmlReport {
    fn history(&mut self, runs: &[StoredRun], skipped: &[Skipped]) {
        self.page(runs, skipped);
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinybench_results::{stats, CaseEnergy, CaseResult, CaseStatus, RunResult};

    fn stored(energy: Option<f64>) -> StoredRun {
        let samples = [100u64, 100];
        let case = CaseResult {
            name: "fc".into(),
            kernel: "fully_connected".into(),
            shape: "1x16→8".into(),
            variant: None,
            macs: 128,
            raw_samples: samples.to_vec(),
            samples: samples.to_vec(),
            summary: stats::summarize(&samples),
            modeled_samples: vec![],
            modeled_summary: None,
            energy: energy.map(|uj| CaseEnergy {
                per_inference_uj: vec![uj, uj],
                median_uj: uj,
                avg_power_mw: 9.984,
                bound_uj: 0.002,
            }),
            device_checksum: Some(7),
            host_checksum: 7,
            status: CaseStatus::Ok,
        };
        StoredRun {
            id: "r1".into(),
            run: RunResult {
                energy_source: energy.map(|_| "energy, measured (PPK2)".to_string()),
                ..crate::report::test_run(vec![case])
            },
        }
    }

    #[test]
    fn energy_column_only_with_a_source_and_labelled_by_it() {
        let mut r = HtmlReport::new(0.02);
        r.history(&[stored(Some(0.3147))], &[]);
        let html = r.finish();
        assert!(html.contains("<th>µJ/inference</th>"), "{html}");
        assert!(html.contains("0.315 ±0.002"), "{html}");
        assert!(html.contains("energy, measured (PPK2)"), "{html}");
        let mut r = HtmlReport::new(0.02);
        r.history(&[stored(None)], &[]);
        assert!(!r.finish().contains("µJ/inference"));
    }
}
