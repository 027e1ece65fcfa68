//! The terminal table.

use tabled::settings::{object::Columns, Alignment, Style};
use tabled::{Table, Tabled};
use tinybench_results::{CaseStatus, RunResult};

#[derive(Tabled)]
struct Row {
    case: String,
    kernel: String,
    shape: String,
    #[tabled(rename = "MACs")]
    macs: u64,
    min: String,
    median: String,
    max: String,
    #[tabled(rename = "per MAC")]
    per_mac: String,
    #[tabled(rename = "overhead −")]
    overhead: u64,
    kind: String,
    checksum: String,
}

/// The same columns with the implementation variant and its speed-up over the
/// reference (reference median ÷ this median, same count kind), for suites that ask for
/// variants.
#[derive(Tabled)]
struct VariantRow {
    case: String,
    kernel: String,
    variant: String,
    shape: String,
    #[tabled(rename = "MACs")]
    macs: u64,
    min: String,
    median: String,
    max: String,
    #[tabled(rename = "per MAC")]
    per_mac: String,
    #[tabled(rename = "vs reference")]
    ratio: String,
    #[tabled(rename = "overhead −")]
    overhead: u64,
    kind: String,
    checksum: String,
}

/// The case name without its `/<variant>` suffix.
fn base_name<'a>(name: &'a str, variant: &str) -> &'a str {
    name.strip_suffix(variant)
        .and_then(|n| n.strip_suffix('/'))
        .unwrap_or(name)
}

/// `reference median ÷ this median` for a case with a variant, when both exist.
fn ratio(run: &RunResult, c: &tinybench_results::CaseResult) -> String {
    let Some(v) = c.variant.as_deref() else {
        return "—".into();
    };
    if v == "reference" {
        return "1.00×".into();
    }
    let base = base_name(&c.name, v);
    let reference = run.cases.iter().find(|r| {
        r.variant.as_deref() == Some("reference") && base_name(&r.name, "reference") == base
    });
    match (reference.and_then(|r| r.summary), c.summary) {
        (Some(r), Some(o)) if o.median > 0 => format!("{:.2}×", r.median as f64 / o.median as f64),
        _ => "—".into(),
    }
}

fn status_mark(s: &CaseStatus) -> String {
    match s {
        CaseStatus::Ok => "✔".into(),
        CaseStatus::ChecksumMismatch => "✘ mismatch".into(),
        CaseStatus::KernelError(e) => format!("✘ {e}"),
        CaseStatus::Incomplete(_) => "✘ incomplete".into(),
    }
}

/// Render a run as a table, with a title line saying what the numbers are.
pub fn render(run: &RunResult) -> String {
    let title = format!(
        "{} · suite {} · {} · counts are {} (timer overhead of {} subtracted)",
        run.target,
        run.suite,
        run.backend,
        run.count_kind.label(),
        run.overhead
    );
    if run.cases.iter().any(|c| c.variant.is_some()) {
        return format!("{title}\n{}", render_variants(run));
    }
    let rows: Vec<Row> = run
        .cases
        .iter()
        .map(|c| {
            let (min, median, max, per_mac) = match c.summary {
                Some(s) => (
                    s.min.to_string(),
                    s.median.to_string(),
                    s.max.to_string(),
                    format!("{:.2}", s.median as f64 / c.macs.max(1) as f64),
                ),
                None => ("—".into(), "—".into(), "—".into(), "—".into()),
            };
            Row {
                case: c.name.clone(),
                kernel: c.kernel.clone(),
                shape: c.shape.clone(),
                macs: c.macs,
                min,
                median,
                max,
                per_mac,
                overhead: run.overhead,
                kind: run.count_kind.label().to_string(),
                checksum: status_mark(&c.status),
            }
        })
        .collect();
    let mut table = Table::new(rows);
    table
        .with(Style::rounded())
        .modify(Columns::new(3..9), Alignment::right());
    format!("{title}\n{table}")
}

/// min/median/max/per-MAC cells of a case.
fn cells(c: &tinybench_results::CaseResult) -> (String, String, String, String) {
    match c.summary {
        Some(s) => (
            s.min.to_string(),
            s.median.to_string(),
            s.max.to_string(),
            format!("{:.2}", s.median as f64 / c.macs.max(1) as f64),
        ),
        None => ("—".into(), "—".into(), "—".into(), "—".into()),
    }
}

fn render_variants(run: &RunResult) -> Table {
    let rows: Vec<VariantRow> = run
        .cases
        .iter()
        .map(|c| {
            let (min, median, max, per_mac) = cells(c);
            let variant = c.variant.clone().unwrap_or_else(|| "reference".into());
            VariantRow {
                case: base_name(&c.name, &variant).to_string(),
                kernel: c.kernel.clone(),
                variant,
                shape: c.shape.clone(),
                macs: c.macs,
                min,
                median,
                max,
                per_mac,
                ratio: ratio(run, c),
                overhead: run.overhead,
                kind: run.count_kind.label().to_string(),
                checksum: status_mark(&c.status),
            }
        })
        .collect();
    let mut table = Table::new(rows);
    table
        .with(Style::rounded())
        .modify(Columns::new(4..11), Alignment::right());
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinybench_results::{stats, CaseResult, CountKind, SCHEMA_VERSION};

    fn case(name: &str, variant: Option<&str>, samples: &[u64]) -> CaseResult {
        CaseResult {
            name: name.into(),
            kernel: "conv2d".into(),
            shape: "4x4x8 k3x3 →4x4x8".into(),
            variant: variant.map(str::to_string),
            macs: 100,
            raw_samples: samples.to_vec(),
            samples: samples.to_vec(),
            summary: stats::summarize(samples),
            device_checksum: Some(7),
            host_checksum: 7,
            status: CaseStatus::Ok,
        }
    }

    fn run(cases: Vec<CaseResult>) -> RunResult {
        RunResult {
            schema_version: SCHEMA_VERSION,
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
            cases,
        }
    }

    #[test]
    fn variants_get_their_column_and_the_ratio_to_the_reference() {
        let t = render(&run(vec![
            case("c/reference", Some("reference"), &[1000, 1000]),
            case("c/optimized", Some("optimized"), &[250, 250]),
        ]));
        assert!(t.contains("vs reference"), "{t}");
        assert!(t.contains("4.00×"), "{t}");
        assert!(t.contains("optimized"), "{t}");
        // The case column shows the case without its variant suffix.
        assert!(!t.contains("c/optimized"), "{t}");
    }

    #[test]
    fn single_variant_suites_keep_the_plain_table() {
        let t = render(&run(vec![case("fc", None, &[10])]));
        assert!(!t.contains("vs reference") && !t.contains("variant"), "{t}");
        assert!(t.contains("instructions, emulated"), "{t}");
    }
}
