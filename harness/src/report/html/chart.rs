//! One history chart as inline SVG (`plotters`' SVG backend: no fonts or scripts fetched).
//! The y axis gets compact labels (`12.3k`, `1.05M`) in a margin wide enough for them, so
//! they never run into the axis title; regression steps are a red dot while they stand
//! and an orange ring once a later run resolved them.

use super::history::Series;
use plotters::prelude::*;

/// A standing regression: marker in the plots, text in the tables.
pub const REGRESSION_RED: RGBColor = RGBColor(220, 20, 20);
/// A resolved (reverted) regression.
pub const RESOLVED_ORANGE: RGBColor = RGBColor(230, 140, 0);
/// The history line.
pub const SERIES_BLUE: RGBColor = RGBColor(30, 90, 200);

/// `950`, `12.35k`, `1.050M`, `123.5M`, `0.315` — four significant digits at most, so a
/// tick label is never wider than six characters.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    if suffix.is_empty() && (a >= 100.0 || v.fract() == 0.0) {
        return format!("{v:.0}");
    }
    let digits = if scaled.abs() >= 1.0 {
        scaled.abs().log10().floor() as usize + 1
    } else {
        1
    };
    format!("{scaled:.*}{suffix}", 4usize.saturating_sub(digits))
}

/// The chart of `s` over `labels` (x: runs, oldest first), titled `title` with the y
/// axis named `unit`.
pub fn svg(title: &str, unit: &str, s: &Series, labels: &[String]) -> Result<String, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (520, 240)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let lo = s.points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = s
            .points
            .iter()
            .map(|p| p.1)
            .fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = ((hi - lo) * 0.12).max(hi.abs() * 0.02).max(1e-6);
        let n = labels.len().max(1);
        let mut c = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(74)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), (lo - pad)..(hi + pad))
            .map_err(|x| e(&x))?;
        let label_of = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        c.configure_mesh()
            .x_labels(n.min(8))
            .y_labels(5)
            .x_label_formatter(&label_of)
            .y_label_formatter(&|y| compact(*y))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 12))
            .y_desc(unit)
            .x_desc("run, commit (oldest → newest)")
            .draw()
            .map_err(|x| e(&x))?;
        let xy: Vec<(f64, f64)> = s.points.iter().map(|&(i, v)| (i as f64, v)).collect();
        c.draw_series(LineSeries::new(xy.clone(), SERIES_BLUE.stroke_width(2)))
            .map_err(|x| e(&x))?;
        c.draw_series(xy.iter().map(|&p| Circle::new(p, 3, SERIES_BLUE.filled())))
            .map_err(|x| e(&x))?;
        let at = |i: usize| xy.iter().find(|p| p.0 == i as f64).copied();
        let standing = s.steps.iter().filter(|st| st.resolved_at.is_none());
        c.draw_series(
            standing
                .filter_map(|st| at(st.at))
                .map(|p| Circle::new(p, 7, REGRESSION_RED.filled())),
        )
        .map_err(|x| e(&x))?;
        let resolved = s.steps.iter().filter(|st| st.resolved_at.is_some());
        c.draw_series(
            resolved
                .filter_map(|st| at(st.at))
                .map(|p| Circle::new(p, 7, RESOLVED_ORANGE.stroke_width(3))),
        )
        .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn tick_labels_stay_short() {
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_345.0), "12.35k");
        assert_eq!(compact(1_050_000.0), "1.050M");
        assert_eq!(compact(123_456_789.0), "123.5M");
        assert_eq!(compact(0.315), "0.315");
        assert_eq!(compact(12_345_678_900.0), "12.35G");
    }
}
