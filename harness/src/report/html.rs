//! The HTML dashboard: one self-contained file (inline CSS, inline SVG charts from
//! `plotters`' SVG backend; no scripts, fonts or anything fetched at view time).
//!
//! Per target and suite: the latest run as a table against the run before it, with
//! regressions highlighted; then per case the history of its median over the stored runs
//! (x axis: commits, oldest first), each regression step marked with a red dot.

use super::{change_text, Report};
use plotters::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tinybench_results::compare::{compare, CompareOptions};
use tinybench_results::store::{compact_utc, Skipped, StoredRun};

/// The colour of a regression: marker in the plots, text in the table.
const REGRESSION_RED: RGBColor = RGBColor(220, 20, 20);
const SERIES_BLUE: RGBColor = RGBColor(30, 90, 200);

/// HTML dashboard reporter.
pub struct HtmlReport {
    out: String,
    /// A slowdown larger than this (fraction) is marked as a regression.
    threshold: f64,
}

impl HtmlReport {
    /// A dashboard that marks slowdowns larger than `threshold` (a fraction, e.g. 0.02).
    pub fn new(threshold: f64) -> Self {
        HtmlReport {
            out: String::new(),
            threshold,
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

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}\
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
tr.regression td{background:#ffe8e8;font-weight:bold}tr.regression td.verdict{color:#c01010}\
tr.failed td{background:#fff3d6}\
.charts{display:flex;flex-wrap:wrap;gap:1em}figure.chart{margin:0;border:1px solid #ddd;padding:.3em}\
figure.chart.has-regression{border:2px solid #c01010}figcaption{font-size:.9em}\
.note{color:#666;font-size:.9em}";

/// One case's history chart as inline SVG. `points` are (run index, median); `marks` the
/// indices where the case regressed; `labels` the x labels (commits).
fn chart(
    title: &str,
    kind: &str,
    points: &[(usize, u64)],
    marks: &BTreeSet<usize>,
    labels: &[String],
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let lo = points.iter().map(|p| p.1).min().unwrap_or(0) as f64;
        let hi = points.iter().map(|p| p.1).max().unwrap_or(1) as f64;
        let pad = ((hi - lo) * 0.1).max(hi * 0.02).max(1.0);
        let n = labels.len().max(1);
        let mut c = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), (lo - pad)..(hi + pad))
            .map_err(|e| e.to_string())?;
        let label_of = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        c.configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&label_of)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .y_desc(kind)
            .x_desc("commit (oldest → newest)")
            .draw()
            .map_err(|e| e.to_string())?;
        let xy: Vec<(f64, f64)> = points.iter().map(|&(i, m)| (i as f64, m as f64)).collect();
        c.draw_series(LineSeries::new(xy.clone(), SERIES_BLUE.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        c.draw_series(xy.iter().map(|&p| Circle::new(p, 3, SERIES_BLUE.filled())))
            .map_err(|e| e.to_string())?;
        c.draw_series(
            xy.iter()
                .zip(points)
                .filter(|(_, (i, _))| marks.contains(i))
                .map(|(&p, _)| Circle::new(p, 7, REGRESSION_RED.filled())),
        )
        .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

impl HtmlReport {
    fn group(&mut self, target: &str, suite: &str, runs: &[&StoredRun]) {
        let o = &mut self.out;
        o.push_str(&format!(
            "<section class=\"group\" data-target=\"{}\" data-suite=\"{}\">\n<h2>{} · suite {}</h2>\n",
            esc(target),
            esc(suite),
            esc(target),
            esc(suite)
        ));
        // Regressions between consecutive runs: (index of the later run, case).
        let opts = CompareOptions::default();
        let mut regressions: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        let mut comparisons = Vec::new();
        for i in 1..runs.len() {
            let cmp = compare(&runs[i - 1].run, &runs[i].run, &opts);
            for c in &cmp.cases {
                if c.regressed_above(self.threshold) {
                    regressions.entry(c.name.clone()).or_default().insert(i);
                }
            }
            comparisons.push(cmp);
        }
        let Some(latest) = runs.last() else {
            return;
        };
        let kind = latest.run.count_kind.label();
        o.push_str(&format!(
            "<p>Latest run <code>{}</code> ({}, commit {}, {}, {}): counts are <b>{}</b>, {} stored run(s).</p>\n",
            esc(&latest.id),
            compact_utc(latest.run.unix_time),
            esc(&latest.run.meta.commit_label()),
            esc(&latest.run.backend),
            esc(latest.run.meta.host.as_deref().unwrap_or("host unknown")),
            esc(kind),
            runs.len()
        ));
        // Energy (issue 7): one column, only when the run has one source, named above it.
        let energy = latest.run.energy_source.as_deref();
        if let Some(label) = energy {
            o.push_str(&format!(
                "<p class=\"energy-source\">µJ/inference: <b>{}</b>, median ± sampling bound.</p>\n",
                esc(label)
            ));
        }
        o.push_str(&format!(
            "<table class=\"latest\"><tr><th>case</th><th>kernel</th><th>shape</th><th>MACs</th><th>median</th><th>per MAC</th>{}<th>vs previous run</th><th>verdict</th><th>checksum</th></tr>\n",
            if energy.is_some() { "<th>µJ/inference</th>" } else { "" }
        ));
        let last_cmp = comparisons.last();
        for c in &latest.run.cases {
            let change = last_cmp.and_then(|cmp| cmp.cases.iter().find(|x| x.name == c.name));
            let regressed = change.is_some_and(|x| x.regressed_above(self.threshold));
            let class = if regressed {
                " class=\"regression\""
            } else if !c.status.is_ok() {
                " class=\"failed\""
            } else {
                ""
            };
            let (median, per_mac) = match c.summary {
                Some(s) => (
                    s.median.to_string(),
                    format!("{:.2}", s.median as f64 / c.macs.max(1) as f64),
                ),
                None => ("—".into(), "—".into()),
            };
            let energy_cell = match (energy, &c.energy) {
                (None, _) => String::new(),
                (Some(_), Some(e)) => format!(
                    "<td class=\"num\">{:.3} ±{:.3}</td>",
                    e.median_uj, e.bound_uj
                ),
                (Some(_), None) => "<td class=\"num\">—</td>".into(),
            };
            o.push_str(&format!(
                "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{median}</td><td class=\"num\">{per_mac}</td>{energy_cell}<td class=\"num\">{}</td><td class=\"verdict\">{}</td><td>{}</td></tr>\n",
                esc(&c.name),
                esc(&c.kernel),
                esc(&c.shape),
                c.macs,
                esc(&change.map_or("—".to_string(), change_text)),
                esc(&change.map_or("first run".to_string(), |x| x.verdict.label())),
                esc(&c.status.describe()),
            ));
        }
        o.push_str("</table>\n<div class=\"charts\">\n");
        // "#3 1a2b3c4" (run number in this history, short commit; `+` when dirty).
        let labels: Vec<String> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| match &r.run.meta.git_commit {
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
            })
            .collect();
        let mut names: Vec<&str> = latest.run.cases.iter().map(|c| c.name.as_str()).collect();
        for r in runs {
            for c in &r.run.cases {
                if !names.contains(&c.name.as_str()) {
                    names.push(&c.name);
                }
            }
        }
        for name in names {
            let points: Vec<(usize, u64)> = runs
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let c = r.run.cases.iter().find(|c| c.name == name)?;
                    Some((i, c.summary?.median))
                })
                .collect();
            let marks = regressions.remove(name).unwrap_or_default();
            let svg = chart(&format!("{name}: median"), kind, &points, &marks, &labels)
                .unwrap_or_else(|e| format!("<p class=\"note\">chart failed: {}</p>", esc(&e)));
            let steps: Vec<String> = marks.iter().map(|i| labels[*i].clone()).collect();
            o.push_str(&format!(
                "<figure class=\"chart{}\" data-case=\"{}\" data-regressions=\"{}\">{svg}<figcaption>{} — {}{}</figcaption></figure>\n",
                if marks.is_empty() { "" } else { " has-regression" },
                esc(name),
                marks.len(),
                esc(name),
                esc(kind),
                if steps.is_empty() {
                    String::new()
                } else {
                    format!(" · <b style=\"color:#c01010\">regression at {}</b>", esc(&steps.join(", ")))
                }
            ));
        }
        o.push_str("</div>\n</section>\n");
    }
}

impl Report for HtmlReport {
    fn history(&mut self, runs: &[StoredRun], skipped: &[Skipped]) {
        self.out.push_str(&format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tinybench results</title><style>{STYLE}</style></head><body>\n<h1>tinybench results</h1>\n<p class=\"note\">{} stored run(s). Red dots and red rows: a case got more than {} slower than in the run before (exact for emulated and modeled counts, bootstrap interval beyond the noise threshold for hardware cycles).</p>\n",
            runs.len(),
            esc(&super::threshold(self.threshold))
        ));
        let mut groups: BTreeMap<(&str, &str), Vec<&StoredRun>> = BTreeMap::new();
        for r in runs {
            groups
                .entry((r.run.target.as_str(), r.run.suite.as_str()))
                .or_default()
                .push(r);
        }
        for ((target, suite), group) in groups {
            self.group(target, suite, &group);
        }
        if !skipped.is_empty() {
            self.out
                .push_str("<h2>Skipped files</h2><ul class=\"skipped\">\n");
            for s in skipped {
                self.out.push_str(&format!(
                    "<li><code>{}</code>: {}</li>\n",
                    esc(&s.file),
                    esc(&s.reason)
                ));
            }
            self.out.push_str("</ul>\n");
        }
        self.out.push_str("</body></html>\n");
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinybench_results::{stats, CaseEnergy, CaseResult, CaseStatus, CountKind, RunResult};

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
                schema_version: tinybench_results::SCHEMA_VERSION,
                tinybench_version: "0".into(),
                target: "t".into(),
                core: "cortex-m4".into(),
                backend: "emulator".into(),
                suite: "s".into(),
                suite_hash: "0".into(),
                firmware_sha256: String::new(),
                unix_time: 0,
                count_kind: CountKind::InstructionsEmulated,
                overhead_samples: vec![1],
                overhead: 1,
                cases: vec![case],
                meta: Default::default(),
                cycle_model: None,
                energy_source: energy.map(|_| "energy, measured (PPK2)".to_string()),
                modeled_overhead: None,
                model: None,
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
