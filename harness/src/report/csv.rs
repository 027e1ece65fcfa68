//! CSV: one row per case (of a run or of a comparison), with the kind of every count in
//! its own column so a spreadsheet never loses what the numbers are.

use super::Report;
use tinybench_results::compare::Comparison;
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

impl Report for CsvReport {
    fn run(&mut self, run: &RunResult) {
        let mut rows = vec![[
            "run_id", "target", "suite", "commit", "case", "kernel", "shape", "macs", "n", "min",
            "median", "max", "kind", "status",
        ]
        .map(String::from)
        .to_vec()];
        for c in &run.cases {
            let s = c.summary;
            let f = |g: fn(&tinybench_results::stats::Summary) -> u64| {
                s.as_ref().map(|s| g(s).to_string()).unwrap_or_default()
            };
            rows.push(vec![
                run.meta.run_id.clone(),
                run.target.clone(),
                run.suite.clone(),
                run.meta.commit_label(),
                c.name.clone(),
                c.kernel.clone(),
                c.shape.clone(),
                c.macs.to_string(),
                s.map(|s| s.n.to_string()).unwrap_or_default(),
                f(|s| s.min),
                f(|s| s.median),
                f(|s| s.max),
                run.count_kind.label().to_string(),
                c.status.describe(),
            ]);
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
            "base_median",
            "head_median",
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
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        for c in &cmp.cases {
            let pct = |f: fn(&tinybench_results::stats::ChangeEstimate) -> f64| {
                c.change
                    .as_ref()
                    .map(|e| format!("{:.4}", f(e) * 100.0))
                    .unwrap_or_default()
            };
            rows.push(vec![
                cmp.target.clone(),
                cmp.suite.clone(),
                cmp.base_id.clone(),
                cmp.head_id.clone(),
                c.name.clone(),
                opt(c.base_median),
                opt(c.head_median),
                pct(|e| e.point),
                pct(|e| e.lower),
                pct(|e| e.upper),
                format!("{:?}", c.method).to_lowercase(),
                c.verdict.label(),
                gate.is_some_and(|g| c.regressed_above(g)).to_string(),
                cmp.count_kind.label().to_string(),
            ]);
        }
        self.out.push_str(&write_rows(rows));
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}
