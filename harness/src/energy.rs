//! Energy per case: the emulator's modeled-cycle timeline and a target's datasheet figure
//! go through the same sample pipeline a measurement would (`tinybench-energy`).

use crate::config::target::Target;
use crate::runner::Region;
use std::collections::BTreeMap;
use tinybench_energy::model::PowerModel;
use tinybench_energy::{integrate, Trace, TraceError, Window};
use tinybench_results::CaseEnergy;

/// Synthesised sample rate: what a PPK2 delivers (100 kS/s).
const SAMPLE_RATE_HZ: f64 = 100e3;

/// The datasheet model of a target, or an error naming the file to fix.
pub fn model_for(target: &Target) -> Result<PowerModel, String> {
    let p = target.power.as_ref().ok_or_else(|| {
        format!(
            "targets/{}.toml has no [power] section: add run_ua_per_mhz, supply_v and source (the datasheet figure and where it is from)",
            target.name
        )
    })?;
    Ok(PowerModel {
        ua_per_mhz: p.run_ua_per_mhz,
        supply_v: p.supply_v,
        clock_hz: target.clock_hz as f64,
        citation: p.source.clone(),
    })
}

/// Energy per inference of every case, from its timed regions: each region's energy by
/// integrating a trace synthesised from the model over the region's window on the
/// modeled-cycle clock, minus the median empty-region energy. Also returns the trace's
/// issues in words.
pub fn per_case(
    model: &PowerModel,
    regions: &[Region],
) -> Result<(BTreeMap<u32, CaseEnergy>, Vec<String>), TraceError> {
    let end = regions.iter().map(|r| r.end).max().unwrap_or(0) + 1;
    let trace = Trace::new(model.synthesise(end, SAMPLE_RATE_HZ))?;
    let issues = trace
        .issues
        .iter()
        .map(|i| format!("energy trace: {i:?}"))
        .collect();
    let window = |r: &Region| Window {
        start: model.seconds(r.start),
        end: model.seconds(r.end.max(r.start + 1)),
    };
    let mut overhead = Vec::new();
    let mut cases: BTreeMap<u32, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for r in regions {
        let e = integrate(&trace, window(r))?;
        match r.case {
            None => overhead.push(e.joules),
            Some(id) => cases
                .entry(id)
                .or_default()
                .push((e.joules, e.avg_watts, e.bound)),
        }
    }
    overhead.sort_by(f64::total_cmp);
    let base = overhead.get(overhead.len() / 2).copied().unwrap_or(0.0);
    let out = cases
        .into_iter()
        .map(|(id, reps)| {
            let mut uj: Vec<f64> = reps
                .iter()
                .map(|(j, _, _)| (j - base).max(0.0) * 1e6)
                .collect();
            let per_inference_uj = uj.clone();
            uj.sort_by(f64::total_cmp);
            let avg_power_mw = reps.iter().map(|r| r.1).sum::<f64>() / reps.len() as f64 * 1e3;
            let bound_uj = reps.iter().map(|r| r.2).fold(0.0, f64::max) * 1e6;
            (
                id,
                CaseEnergy {
                    per_inference_uj,
                    median_uj: uj[uj.len() / 2],
                    avg_power_mw,
                    bound_uj,
                },
            )
        })
        .collect();
    Ok((out, issues))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_matches_the_direct_model_per_case() {
        let m = PowerModel {
            ua_per_mhz: 52.0,
            supply_v: 3.0,
            clock_hz: 64e6,
            citation: "t".into(),
        };
        let regions = [
            Region {
                case: None,
                start: 100,
                end: 102,
            },
            Region {
                case: Some(0),
                start: 1_000,
                end: 153_082,
            },
            Region {
                case: Some(0),
                start: 200_000,
                end: 352_082,
            },
        ];
        let (e, _) = per_case(&m, &regions).unwrap();
        let direct_uj = m.joules(152_082 - 2) * 1e6;
        let got = e[&0].median_uj;
        assert!(
            (got - direct_uj).abs() < 1e-6 * direct_uj,
            "{got} vs {direct_uj}"
        );
        assert!((e[&0].avg_power_mw - 9.984).abs() < 1e-9);
    }
}
