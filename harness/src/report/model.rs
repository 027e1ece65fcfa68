//! The per-layer table of a whole-model run, its footprint and check lines, and the
//! summary table of a multi-model suite.

use super::layout::{Column, Layout};
use super::timing;
use tinybench_results::{CaseResult, ModelLayer, RunResult};

fn kib(b: u64) -> String {
    format!("{:.1} KiB", b as f64 / 1024.0)
}

type Row<'a> = (&'a CaseResult, &'a ModelLayer);

fn median(c: &CaseResult) -> Option<u64> {
    c.summary.map(|s| s.median)
}

fn layer_columns<'a>(run: &'a RunResult, layer_total: u64) -> Vec<Column<'a, Row<'a>>> {
    let mut cols: Vec<Column<'a, Row<'a>>> = vec![
        Column::text("layer", |(_, l): &Row| format!("op{:02}", l.index)),
        Column::text("op", |(_, l): &Row| l.op.clone()),
        Column::text("shape", |(c, _): &Row| c.shape.clone()).droppable(4),
        Column::num("MACs", |(c, _): &Row| c.macs.to_string()),
        Column::num("count", |(c, _): &Row| {
            median(c).map_or("—".into(), |v| v.to_string())
        }),
        Column::num("count/MAC", |(c, _): &Row| match median(c) {
            Some(v) if c.macs > 0 => format!("{:.2}", v as f64 / c.macs as f64),
            _ => "—".into(),
        })
        .droppable(2),
        Column::num("share", move |(c, _): &Row| match median(c) {
            Some(v) if layer_total > 0 => {
                format!("{:.1}%", 100.0 * v as f64 / layer_total as f64)
            }
            _ => "—".into(),
        }),
    ];
    if let Some(hz) = timing::clock(run) {
        cols.push(Column::num(timing::header(hz), move |(c, _): &Row| {
            median(c).map_or("—".into(), |v| timing::sig3(timing::ms(v, hz)))
        }));
    }
    if run.cases.iter().any(|c| c.modeled_summary.is_some()) {
        cols.push(Column::num("cycles, modeled", |(c, _): &Row| {
            c.modeled_summary
                .map_or("—".into(), |s| s.median.to_string())
        }));
    }
    if run.energy_source.is_some() {
        cols.push(Column::num("µJ", |(c, _): &Row| {
            c.energy
                .as_ref()
                .map_or("—".into(), |e| format!("{:.3}", e.median_uj))
        }));
    }
    cols.push(Column::num("arena B", |(_, l): &Row| l.arena_bytes.to_string()).droppable(3));
    cols.push(Column::num("scratch B", |(_, l): &Row| l.scratch_bytes.to_string()).droppable(1));
    cols.push(Column::text("check", |(c, _): &Row| {
        super::table::status_mark(&c.status)
    }));
    cols
}

/// The table, or `None` for a run that is not a model run; fitted to the terminal.
pub fn render(run: &RunResult) -> Option<String> {
    render_with(run, &Layout::current())
}

/// The table for `layout`, or `None` for a run that is not a model run.
pub fn render_with(run: &RunResult, layout: &Layout) -> Option<String> {
    let m = run.model.as_ref()?;
    let layer_total: u64 = run.cases[1..].iter().filter_map(median).sum();
    let rows: Vec<Row> = run.cases.iter().skip(1).zip(&m.layers).collect();
    let (table, notes) = super::layout::render(layout, layer_columns(run, layer_total), &rows);
    let mut head = format!(
        "model {} ({} layers, {} MACs, {} kernels) on {} — counts are {}{}",
        m.name,
        m.layers.len(),
        m.macs,
        m.variant,
        run.target,
        run.count_kind.label(),
        run.energy_source
            .as_deref()
            .map_or(String::new(), |s| format!("; µJ: {s}"))
    );
    if let Some(hz) = timing::clock(run) {
        head.push_str(&format!("; {}", timing::label(run.count_kind, hz)));
    }
    for n in notes {
        head.push_str(&format!("; {n}"));
    }
    let mut text = format!("{}\n{table}\n", layout.wrap(&head));
    text.push_str(&layout.wrap(&details(run, layer_total)));
    Some(text)
}

/// The lines under the table: the inference, footprint, checks and quality.
fn details(run: &RunResult, layer_total: u64) -> String {
    let Some(m) = run.model.as_ref() else {
        return String::new();
    };
    let mut text = String::new();
    let inf = &run.cases[0];
    if let Some(s) = inf.summary {
        text.push_str(&format!(
            "inference: median {} ({}), min {}, max {} over {} runs; {:.2} per MAC; layers sum to {}",
            s.median,
            run.count_kind.label(),
            s.min,
            s.max,
            inf.samples.len(),
            s.median as f64 / m.macs.max(1) as f64,
            layer_total
        ));
        if let Some(hz) = timing::clock(run) {
            text.push_str(&format!(
                "\ntime: {}",
                timing::per_inference(run.count_kind, s.median, hz)
            ));
        }
        if let Some(ms) = inf.modeled_summary {
            text.push_str(&format!("; {} cycles, modeled", ms.median));
        }
        if let Some(e) = &inf.energy {
            text.push_str(&format!(
                "; {:.3} µJ ±{:.3} ({})",
                e.median_uj,
                e.bound_uj,
                run.energy_source.as_deref().unwrap_or("energy")
            ));
        }
        text.push('\n');
    }
    let mem = &m.memory;
    text.push_str(&format!(
        "flash: {} of {} (.text {}, .rodata {} incl. {} of weights, .data {}) — from the ELF\n",
        kib(mem.flash()),
        kib(mem.flash_size),
        kib(mem.text),
        kib(mem.rodata),
        kib(m.const_bytes),
        kib(mem.data)
    ));
    text.push_str(&format!(
        "RAM: {} of {} (.data {}, .bss {} incl. arena {} + scratch {}, stack {}) — statics from the ELF, stack by painting\n",
        kib(mem.ram()),
        kib(mem.ram_size),
        kib(mem.data),
        kib(mem.bss),
        kib(m.arena_bytes),
        kib(m.scratch_bytes),
        mem.stack_used.map_or("not reported".into(), kib)
    ));
    let host = if m.host_mismatches == 0 {
        format!(
            "✔ all {} output(s) equal the host's run of the same graph",
            m.inputs
        )
    } else {
        format!(
            "✘ {} of {} output(s) differ from the host's run",
            m.host_mismatches, m.inputs
        )
    };
    text.push_str(&host);
    text.push('\n');
    if let Some(r) = &m.reference {
        if r.mismatched.is_empty() {
            text.push_str(&format!(
                "✔ bit-exact on {} input(s) against {}\n",
                r.checked, r.source
            ));
        } else {
            text.push_str(&format!(
                "✘ {} of {} input(s) differ from {}: {}\n",
                r.mismatched.len(),
                r.checked,
                r.source,
                r.mismatched.join(", ")
            ));
        }
    }
    if let Some(q) = &m.quality {
        text.push_str(&quality_line(q));
        text.push('\n');
    }
    text
}

/// The quality metrics, each with the number of labelled samples it is computed over,
/// and a warning when they are too few to say much about the model.
pub fn quality_line(q: &tinybench_results::metrics::QualityMetrics) -> String {
    let n = q.labelled;
    let f = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.4} ({n} samples)"));
    let mut line = format!(
        "quality ({}, {} labelled of {} inputs, from the device's outputs): accuracy {}, precision {}, recall {}, F1 {}",
        q.task,
        q.labelled,
        q.samples,
        f(q.accuracy),
        f(q.precision),
        f(q.recall),
        f(q.f1)
    );
    if q.task == "anomaly" {
        line.push_str(&format!(
            ", ROC-AUC {}, threshold {}",
            f(q.roc_auc),
            q.threshold.map_or("—".into(), |v| format!("{v:.4}"))
        ));
    }
    if n < QUALITY_SAMPLES {
        line.push_str(&format!(
            " — only {n} samples: a check that the outputs make sense, not a measure of the model's quality"
        ));
    }
    line
}

/// Fewer labelled samples than this and the quality line says the metrics are a check
/// only (MLPerf Tiny's accuracy runs use hundreds to thousands of samples).
const QUALITY_SAMPLES: usize = 100;

/// One row per model of a multi-model suite (`run --suite mlperf-tiny`): the inference
/// count, time at the clock, footprint, checks and accuracy; fitted to the terminal.
pub fn render_suite(suite: &str, runs: &[RunResult]) -> String {
    render_suite_with(suite, runs, &Layout::current())
}

type SuiteCol<'a> = Column<'a, &'a RunResult>;

fn inference(r: &RunResult) -> Option<u64> {
    r.cases.first().and_then(median)
}

fn suite_columns<'a>(first: &RunResult) -> Vec<SuiteCol<'a>> {
    let model = |r: &RunResult| r.model.clone().unwrap_or_else(|| unreachable!());
    let mut cols: Vec<SuiteCol<'a>> = vec![
        Column::text("model", move |r: &&RunResult| model(r).name),
        Column::num("MACs", move |r: &&RunResult| model(r).macs.to_string()),
        Column::num("count", |r: &&RunResult| {
            inference(r).map_or("—".into(), |v| v.to_string())
        }),
    ];
    if let Some(hz) = timing::clock(first) {
        cols.push(Column::num(timing::header(hz), move |r: &&RunResult| {
            inference(r).map_or("—".into(), |v| timing::sig3(timing::ms(v, hz)))
        }));
        cols.push(Column::num(
            "inf/s",
            move |r: &&RunResult| match inference(r) {
                Some(v) if v > 0 => timing::sig3(1e3 / timing::ms(v, hz)),
                _ => "—".into(),
            },
        ));
    }
    cols.push(
        Column::num("flash", move |r: &&RunResult| kib(model(r).memory.flash())).droppable(2),
    );
    cols.push(Column::num("RAM", move |r: &&RunResult| kib(model(r).memory.ram())).droppable(1));
    cols.push(Column::text("outputs", move |r: &&RunResult| {
        let m = model(r);
        let reference = m.reference.as_ref().is_none_or(|x| x.mismatched.is_empty());
        if m.host_mismatches == 0 && reference {
            "✔"
        } else {
            "✘"
        }
        .to_string()
    }));
    cols.push(Column::text(
        "accuracy",
        move |r: &&RunResult| match model(r).quality {
            Some(q) => q
                .accuracy
                .map_or("—".into(), |a| format!("{a:.3} ({} samples)", q.labelled)),
            None => "—".into(),
        },
    ));
    cols
}

/// [`render_suite`] for `layout`.
pub fn render_suite_with(suite: &str, runs: &[RunResult], layout: &Layout) -> String {
    let models: Vec<&RunResult> = runs.iter().filter(|r| r.model.is_some()).collect();
    let Some(first) = models.first() else {
        return String::new();
    };
    let (table, notes) = super::layout::render(layout, suite_columns(first), &models);
    let mut head = format!(
        "suite {suite} on {} — {} models, counts are {}",
        first.target,
        models.len(),
        first.count_kind.label()
    );
    if let Some(hz) = timing::clock(first) {
        head.push_str(&format!("; {}", timing::label(first.count_kind, hz)));
    }
    for n in notes {
        head.push_str(&format!("; {n}"));
    }
    format!("{}\n{table}", layout.wrap(&head))
}
