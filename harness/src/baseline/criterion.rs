//! Reading criterion's numbers, from either of its two outputs:
//!
//! - cargo-criterion's `--message-format=json` stream: one JSON object per line; the
//!   `benchmark-complete` messages carry the `id` and a `typical` estimate with its
//!   bounds and unit. This is cargo-criterion's documented machine interface.
//! - criterion's own `<CRITERION_HOME>/<group>/<function>/new/estimates.json`. **These
//!   files are criterion internals**, not a stable interface: their layout can change
//!   between criterion versions, which is why `kernels/Cargo.toml` pins criterion to one
//!   minor version and why this parser is lenient (every field optional, falling back
//!   from `slope` to `mean` to `median`, a missing interval kept as "no interval").
//!
//! Both give nanoseconds per iteration, host wall-clock time.

use super::HostEstimate;
use serde_json::Value;
use std::path::Path;

/// One number with its interval, as criterion stores it (`point_estimate` and
/// `confidence_interval.{lower,upper}_bound`, ns).
fn statistic(v: &Value, name: &str) -> Option<HostEstimate> {
    let s = v.get(name)?;
    let point = s.get("point_estimate")?.as_f64()?;
    if !point.is_finite() || point < 0.0 {
        return None;
    }
    let ci = s.get("confidence_interval");
    let bound = |k: &str| ci.and_then(|c| c.get(k)).and_then(Value::as_f64);
    let (lower, upper) = match (bound("lower_bound"), bound("upper_bound")) {
        (Some(l), Some(u)) if l.is_finite() && u.is_finite() && l <= u => (Some(l), Some(u)),
        _ => (None, None),
    };
    let level = ci
        .and_then(|c| c.get("confidence_level"))
        .and_then(Value::as_f64)
        .filter(|l| *l > 0.0 && *l < 1.0);
    Some(HostEstimate {
        ns: point,
        lower_ns: lower,
        upper_ns: upper,
        confidence_level: lower.and(level.or(Some(0.95))),
        statistic: name.to_string(),
    })
}

/// Parse the text of one `estimates.json`: criterion's typical value (the regression
/// `slope` when it sampled linearly, else the `mean`; `median` as a last resort), with
/// its confidence interval. `None` when none of them has a usable point estimate.
pub fn parse_estimates(text: &str) -> Option<HostEstimate> {
    let v: Value = serde_json::from_str(text).ok()?;
    ["slope", "mean", "median"]
        .iter()
        .find_map(|name| statistic(&v, name))
}

/// Read `<home>/<bench id>/new/estimates.json` (a `/` in the id is a directory level, as
/// criterion lays groups out). `Err` says why there is no estimate.
pub fn read_estimates(home: &Path, id: &str) -> Result<HostEstimate, String> {
    let path = home.join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_estimates(&text).ok_or_else(|| {
        format!(
            "{}: no slope, mean or median with a point estimate (criterion's format changed?)",
            path.display()
        )
    })
}

/// Nanoseconds in one `unit` as cargo-criterion names it.
fn unit_ns(unit: &str) -> Option<f64> {
    Some(match unit {
        "ps" => 1e-3,
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    })
}

/// One line of cargo-criterion's JSON stream: `Some((id, estimate))` for a
/// `benchmark-complete` message with a usable `typical` value, `None` for every other
/// line (other message kinds, blank or non-JSON lines, unknown units).
pub fn parse_message(line: &str) -> Option<(String, HostEstimate)> {
    let v: Value = serde_json::from_str(line.trim()).ok()?;
    if v.get("reason")?.as_str()? != "benchmark-complete" {
        return None;
    }
    let id = v.get("id")?.as_str()?.to_string();
    let t = v.get("typical")?;
    let scale = unit_ns(t.get("unit").and_then(Value::as_str).unwrap_or("ns"))?;
    let point = t.get("estimate")?.as_f64()? * scale;
    let lower = t
        .get("lower_bound")
        .and_then(Value::as_f64)
        .map(|x| x * scale);
    let upper = t
        .get("upper_bound")
        .and_then(Value::as_f64)
        .map(|x| x * scale);
    let (lower_ns, upper_ns) = match (lower, upper) {
        (Some(l), Some(u)) if l <= u => (Some(l), Some(u)),
        _ => (None, None),
    };
    Some((
        id,
        HostEstimate {
            ns: point,
            lower_ns,
            upper_ns,
            // cargo-criterion reports criterion's default 95 % interval.
            confidence_level: lower_ns.map(|_| 0.95),
            statistic: "typical".to_string(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout criterion 0.7 writes (abridged to the fields it documents).
    const ESTIMATES: &str = r#"{
      "mean": {"confidence_interval": {"confidence_level": 0.95, "lower_bound": 1180.5, "upper_bound": 1230.25},
               "point_estimate": 1201.0, "standard_error": 12.5},
      "median": {"confidence_interval": {"confidence_level": 0.95, "lower_bound": 1170.0, "upper_bound": 1210.0},
                 "point_estimate": 1190.0, "standard_error": 10.0},
      "median_abs_dev": {"confidence_interval": {"confidence_level": 0.95, "lower_bound": 1.0, "upper_bound": 9.0},
                         "point_estimate": 4.0, "standard_error": 2.0},
      "slope": {"confidence_interval": {"confidence_level": 0.95, "lower_bound": 1190.0, "upper_bound": 1220.0},
                "point_estimate": 1205.5, "standard_error": 7.0},
      "std_dev": {"confidence_interval": {"confidence_level": 0.95, "lower_bound": 20.0, "upper_bound": 60.0},
                  "point_estimate": 40.0, "standard_error": 10.0}
    }"#;

    #[test]
    fn estimates_prefer_the_slope_and_keep_the_interval() {
        let e = parse_estimates(ESTIMATES).unwrap();
        assert_eq!(e.statistic, "slope");
        assert_eq!(e.ns, 1205.5);
        assert_eq!((e.lower_ns, e.upper_ns), (Some(1190.0), Some(1220.0)));
        assert_eq!(e.confidence_level, Some(0.95));
    }

    #[test]
    fn estimates_are_read_leniently() {
        // Flat sampling: slope is null; an unknown extra field; the mean lacks its level.
        let odd = r#"{"slope": null, "future_field": [1, 2],
            "mean": {"confidence_interval": {"lower_bound": 90.0, "upper_bound": 110.0},
                     "point_estimate": 100.0}}"#;
        let e = parse_estimates(odd).unwrap();
        assert_eq!((e.statistic.as_str(), e.ns), ("mean", 100.0));
        assert_eq!(e.confidence_level, Some(0.95));
        // No interval at all: the point estimate is kept, the interval is absent.
        let bare = r#"{"median": {"point_estimate": 7.5}}"#;
        let e = parse_estimates(bare).unwrap();
        assert_eq!((e.ns, e.lower_ns, e.confidence_level), (7.5, None, None));
        // Nothing usable, or not JSON at all.
        assert!(parse_estimates(r#"{"mean": {"point_estimate": "fast"}}"#).is_none());
        assert!(parse_estimates("not json").is_none());
    }

    #[test]
    fn estimates_files_are_found_by_bench_id() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("kws_dw/optimized/new");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("estimates.json"), ESTIMATES).unwrap();
        assert_eq!(
            read_estimates(home.path(), "kws_dw/optimized").unwrap().ns,
            1205.5
        );
        let err = read_estimates(home.path(), "kws_dw/reference").unwrap_err();
        assert!(err.contains("kws_dw/reference/new/estimates.json"), "{err}");
    }

    #[test]
    fn cargo_criterion_lines() {
        let line = r#"{"reason":"benchmark-complete","id":"fc_tiny","report_directory":"/t/criterion/reports/fc_tiny","iteration_count":[1,2],"measured_values":[10.0,20.0],"unit":"ns","throughput":[],"typical":{"estimate":1.5,"lower_bound":1.25,"upper_bound":1.75,"unit":"us"},"mean":{"estimate":1.5,"lower_bound":1.25,"upper_bound":1.75,"unit":"us"},"median":{"estimate":1.5,"lower_bound":1.25,"upper_bound":1.75,"unit":"us"},"median_abs_dev":{"estimate":0.1,"lower_bound":0.0,"upper_bound":0.2,"unit":"us"},"slope":null,"change":null}"#;
        let (id, e) = parse_message(line).unwrap();
        assert_eq!(id, "fc_tiny");
        assert_eq!(
            (e.ns, e.lower_ns, e.upper_ns),
            (1500.0, Some(1250.0), Some(1750.0))
        );
        assert!(parse_message(
            r#"{"reason":"group-complete","group_name":"kws_dw","benchmarks":[]}"#
        )
        .is_none());
        assert!(parse_message("Benchmarking fc_tiny: Warming up").is_none());
        assert!(parse_message(r#"{"reason":"benchmark-complete","id":"x","typical":{"estimate":1.0,"unit":"furlongs"}}"#).is_none());
    }
}
