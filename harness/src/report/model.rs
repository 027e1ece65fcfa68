//! The per-layer table of a whole-model run, and its footprint and check lines.

use tabled::settings::{location::ByColumnName, object::Columns, Alignment, Remove, Style};
use tabled::{Table, Tabled};
use tinybench_results::RunResult;

#[derive(Tabled)]
struct Row {
    layer: String,
    op: String,
    shape: String,
    #[tabled(rename = "MACs")]
    macs: u64,
    count: String,
    #[tabled(rename = "count/MAC")]
    per_mac: String,
    share: String,
    #[tabled(rename = "cycles, modeled")]
    modeled: String,
    #[tabled(rename = "µJ")]
    energy: String,
    #[tabled(rename = "arena B")]
    arena: u64,
    #[tabled(rename = "scratch B")]
    scratch: u64,
    check: String,
}

fn kib(b: u64) -> String {
    format!("{:.1} KiB", b as f64 / 1024.0)
}

/// The table, or `None` for a run that is not a model run.
pub fn render(run: &RunResult) -> Option<String> {
    let m = run.model.as_ref()?;
    let layer_total: u64 = run.cases[1..]
        .iter()
        .filter_map(|c| c.summary.map(|s| s.median))
        .sum();
    let mut rows = Vec::new();
    for (c, l) in run.cases.iter().skip(1).zip(&m.layers) {
        let median = c.summary.map(|s| s.median);
        rows.push(Row {
            layer: format!("op{:02}", l.index),
            op: l.op.clone(),
            shape: c.shape.clone(),
            macs: c.macs,
            count: median.map_or("—".into(), |v| v.to_string()),
            per_mac: match median {
                Some(v) if c.macs > 0 => format!("{:.2}", v as f64 / c.macs as f64),
                _ => "—".into(),
            },
            share: match median {
                Some(v) if layer_total > 0 => {
                    format!("{:.1}%", 100.0 * v as f64 / layer_total as f64)
                }
                _ => "—".into(),
            },
            modeled: c
                .modeled_summary
                .map_or("—".into(), |s| s.median.to_string()),
            energy: c
                .energy
                .as_ref()
                .map_or("—".into(), |e| format!("{:.3}", e.median_uj)),
            arena: l.arena_bytes,
            scratch: l.scratch_bytes,
            check: super::table::status_mark(&c.status),
        });
    }
    let mut table = Table::new(rows);
    table.with(Style::rounded());
    table.modify(Columns::new(3..11), Alignment::right());
    if run.energy_source.is_none() {
        table.with(Remove::column(ByColumnName::new("µJ")));
    }
    let inf = &run.cases[0];
    let mut text = format!(
        "model {} ({} layers, {} MACs, {} kernels) on {} — counts are {}{}\n{table}\n",
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
        let f = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.4}"));
        text.push_str(&format!(
            "quality ({}, {} labelled of {} inputs, from the device's outputs): accuracy {}, precision {}, recall {}, F1 {}",
            q.task,
            q.labelled,
            q.samples,
            f(q.accuracy),
            f(q.precision),
            f(q.recall),
            f(q.f1)
        ));
        if q.task == "anomaly" {
            text.push_str(&format!(
                ", ROC-AUC {}, threshold {}",
                f(q.roc_auc),
                f(q.threshold)
            ));
        }
        text.push('\n');
    }
    Some(text)
}
