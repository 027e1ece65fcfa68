//! CSV: one row per case (of a run or of a comparison), with the kind of every count in
//! its own column so a spreadsheet never loses what the numbers are. Every column a run
//! can have is always there (empty where the run has no such number), so files of
//! different runs line up: counts, modeled cycles, energy, and the run's flash, RAM,
//! stack and quality repeated on each row.

use super::{per_mac, Report};
use tinybench_results::compare::{CaseChange, Comparison};
use tinybench_results::gate::Metric;
use tinybench_results::stats::Summary;
use tinybench_results::RunResult;

/// CSV reporter.
#[derive(Default)]
pub struct CsvReport {
    out: String,
}

fn write_rows(rows: Vec<Vec<String>>) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in rows {
        // Writing to a Vec cannot fail except on a bug in csv; keep what was written.
        if w.write_record(&r).is_err() {
            break;
        }
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

const RUN_HEADER: [&str; 28] = [
    "run_id",
    "target",
    "suite",
    "commit",
    "case",
    "kernel",
    "shape",
    "macs",
    "n",
    "min",
    "median",
    "max",
    "per_mac",
    "kind",
    "modeled_cycles_median",
    "modeled_cycles_per_mac",
    "energy_median_uj",
    "energy_bound_uj",
    "energy_source",
    "flash_bytes",
    "ram_bytes",
    "stack_bytes",
    "accuracy",
    "f1",
    "roc_auc",
    "clock_hz",
    "device_time_s",
    "status",
];

/// The run-wide columns (flash … clock), repeated on each row.
fn run_columns(run: &RunResult) -> Vec<String> {
    let m = run.memory();
    let q = run.quality();
    vec![
        opt(m.map(|m| m.flash())),
        opt(m.map(|m| m.ram())),
        opt(m.and_then(|m| m.stack_used)),
        opt(q.and_then(|q| q.accuracy)),
        opt(q.and_then(|q| q.f1)),
        opt(q.and_then(|q| q.roc_auc)),
        opt(run.meta.clock_hz),
    ]
}

impl Report for CsvReport {
    fn run(&mut self, run: &RunResult) {
        let mut rows = vec![RUN_HEADER.map(String::from).to_vec()];
        for c in &run.cases {
            let s = c.summary;
            let f = |g: fn(&Summary) -> u64| opt(s.as_ref().map(g));
            let m = c.modeled_summary;
            let mut row = vec![
                run.meta.run_id.clone(),
                run.target.clone(),
                run.suite.clone(),
                run.meta.commit_label(),
                c.name.clone(),
                c.kernel.clone(),
                c.shape.clone(),
                c.macs.to_string(),
                opt(s.map(|s| s.n)),
                f(|s| s.min),
                f(|s| s.median),
                f(|s| s.max),
                s.filter(|_| c.macs > 0)
                    .map(|s| per_mac(s.median, c.macs))
                    .unwrap_or_default(),
                run.count_kind.label().to_string(),
                opt(m.map(|m| m.median)),
                m.filter(|_| c.macs > 0)
                    .map(|m| per_mac(m.median, c.macs))
                    .unwrap_or_default(),
                opt(c.energy.as_ref().map(|e| e.median_uj)),
                opt(c.energy.as_ref().map(|e| e.bound_uj)),
                c.energy
                    .as_ref()
                    .and(run.energy_source.clone())
                    .unwrap_or_default(),
            ];
            row.extend(run_columns(run));
            row.push(opt(super::junit::case_seconds(run, c)));
            row.push(c.status.describe());
            rows.push(row);
        }
        self.out.push_str(&write_rows(rows));
    }

    fn comparison(&mut self, cmp: &Comparison, gate: Option<f64>) {
        let mut rows = vec![[
            "target",
            "suite",
            "base_id",
            "head_id",
            "case",
            "metric",
            "base",
            "head",
            "change_percent",
            "ci_lower_percent",
            "ci_upper_percent",
            "method",
            "verdict",
            "regression",
            "kind",
        ]
        .map(String::from)
        .to_vec()];
        let pct = |e: Option<f64>| e.map(|v| format!("{:.4}", v * 100.0)).unwrap_or_default();
        let tripped = |case: Option<&str>, metric: Metric| {
            cmp.gate.as_ref().is_some_and(|g| {
                g.trips
                    .iter()
                    .any(|t| t.metric == metric && t.case.as_deref() == case)
            })
        };
        let kind = Metric::of_kind(cmp.count_kind);
        let mut push = |case: &str, row: [String; 10]| {
            let mut r = vec![
                cmp.target.clone(),
                cmp.suite.clone(),
                cmp.base_id.clone(),
                cmp.head_id.clone(),
                case.to_string(),
            ];
            r.extend(row);
            rows.push(r);
        };
        for c in &cmp.cases {
            let regressed =
                tripped(Some(&c.name), kind) || gate.is_some_and(|g| c.regressed_above(g));
            push(&c.name, primary_row(cmp, c, regressed));
            for m in &c.metrics {
                push(
                    &c.name,
                    [
                        m.metric.key().to_string(),
                        opt(m.base),
                        opt(m.head),
                        pct(m.change.map(|e| e.point)),
                        pct(m.change.map(|e| e.lower)),
                        pct(m.change.map(|e| e.upper)),
                        format!("{:?}", m.method).to_lowercase(),
                        m.verdict_label().to_string(),
                        tripped(Some(&c.name), m.metric).to_string(),
                        m.label.clone(),
                    ],
                );
            }
        }
        for m in &cmp.run_metrics {
            push(
                "",
                [
                    m.metric.key().to_string(),
                    opt(m.base),
                    opt(m.head),
                    pct(m.change.map(|e| e.point)),
                    pct(m.change.map(|e| e.lower)),
                    pct(m.change.map(|e| e.upper)),
                    format!("{:?}", m.method).to_lowercase(),
                    m.verdict_label().to_string(),
                    tripped(None, m.metric).to_string(),
                    m.label.clone(),
                ],
            );
        }
        self.out.push_str(&write_rows(rows));
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

/// The row of a case's own counts.
fn primary_row(cmp: &Comparison, c: &CaseChange, regressed: bool) -> [String; 10] {
    let pct = |f: fn(&tinybench_results::stats::ChangeEstimate) -> f64| {
        c.change
            .as_ref()
            .map(|e| format!("{:.4}", f(e) * 100.0))
            .unwrap_or_default()
    };
    [
        Metric::of_kind(cmp.count_kind).key().to_string(),
        opt(c.base_median),
        opt(c.head_median),
        pct(|e| e.point),
        pct(|e| e.lower),
        pct(|e| e.upper),
        format!("{:?}", c.method).to_lowercase(),
        c.verdict.label(),
        regressed.to_string(),
        cmp.count_kind.label().to_string(),
    ]
}
