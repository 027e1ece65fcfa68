//! Measured sources: from the firmware's events (and a PPK2 recording) to windows and
//! samples on one clock, then the shared [`super::per_window`].

use super::{per_window, EnergyError, Timed};
use crate::config::target::Ppk2Wiring;
use std::collections::{BTreeMap, HashMap};
use tinybench_device::protocol::Event;
use tinybench_energy::ina::{Monitor, Unwrap};
use tinybench_energy::ppk2::{self, Ppk2Sample};
use tinybench_energy::ppk2_serial::Recording;
use tinybench_energy::{Trace, Window};
use tinybench_results::CaseEnergy;

/// Energy per case with the issues found, in words.
pub type PerCase = (BTreeMap<u32, CaseEnergy>, Vec<String>);

/// A monitor on the board and the clock its timestamps count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonitorPlan {
    /// Chip and shunt.
    pub monitor: Monitor,
    /// The counter's rate, Hz (the target's clock).
    pub clock_hz: f64,
    /// Counter width: 32 (DWT CYCCNT, mcycle) or 24 (SysTick).
    pub counter_bits: u32,
}

/// INA226/INA219: `TB power` readings and `TB region` starts in their stream order on
/// RTT up channel 1 (`power_events`), one unwrapped counter clock (the unwrap needs that
/// order); each region ends at start + the count of its `TB sample` frame, which comes
/// on channel 0 (`events`).
pub fn monitor(
    plan: &MonitorPlan,
    events: &[Event],
    power_events: &[Event],
) -> Result<PerCase, EnergyError> {
    let counts: HashMap<(u32, u32), u32> = events
        .iter()
        .filter_map(|e| match *e {
            Event::Sample { id, rep, count } => Some(((id, rep), count)),
            _ => None,
        })
        .collect();
    let mut clock = Unwrap::new(plan.counter_bits);
    let secs = |cycles: u64| cycles as f64 / plan.clock_hz;
    let (mut samples, mut windows, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut errors, mut unmatched) = (0usize, 0usize);
    for e in power_events {
        match *e {
            Event::Power { t, shunt, bus } => {
                let t = secs(clock.next(t));
                match plan.monitor.sample(t, shunt, bus) {
                    Ok(s) => samples.push(s),
                    Err(e) => notes.push(format!("power frame skipped: {e}")),
                }
            }
            Event::PowerError { t } => {
                clock.next(t);
                errors += 1;
            }
            Event::Region { id, rep, t0 } => {
                let start = clock.next(t0);
                match counts.get(&(id, rep)) {
                    Some(&count) => windows.push(Timed {
                        case: Some(id),
                        window: Window {
                            start: secs(start),
                            end: secs(start + u64::from(count.max(1))),
                        },
                        extra_bound: 0.0,
                    }),
                    None => unmatched += 1,
                }
            }
            _ => {}
        }
    }
    let name = plan.monitor.chip.name();
    if errors > 0 {
        notes.push(format!(
            "{name}: {errors} reading(s) failed on the board's I2C bus (no bus glue for this board, or wiring)"
        ));
    }
    if unmatched > 0 {
        notes.push(format!(
            "{unmatched} region start(s) without a sample frame skipped"
        ));
    }
    if windows.is_empty() {
        return Err(EnergyError::Pairing(format!(
            "no `TB region` frames on RTT up channel 1: was the firmware built with feature power-{}?",
            name.to_lowercase()
        )));
    }
    if samples.len() < 2 {
        return Err(EnergyError::Pairing(format!(
            "{name}: {} usable reading(s), at least two are needed",
            samples.len()
        )));
    }
    let trace = Trace::new(samples)?;
    let (e, mut issues) = per_window(&trace, &windows)?;
    issues.extend(notes);
    Ok((e, issues))
}

/// PPK2: windows from the marker pin on its logic port, paired in order with the
/// firmware's timed repetitions (`TB sample` frames); currents × the source voltage.
pub fn ppk2(
    rec: &Recording,
    wiring: &Ppk2Wiring,
    events: &[Event],
) -> Result<PerCase, EnergyError> {
    let timed: Vec<u32> = events
        .iter()
        .filter_map(|e| match *e {
            Event::Sample { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    ppk2_windows(
        &rec.samples,
        &rec.parser.lost,
        rec.parser.invalid,
        wiring,
        &timed,
    )
}

/// [`ppk2`] on decoded samples (tested on the recorded fixture).
pub fn ppk2_windows(
    samples: &[Ppk2Sample],
    lost: &[ppk2::Lost],
    invalid: u64,
    wiring: &Ppk2Wiring,
    timed: &[u32],
) -> Result<PerCase, EnergyError> {
    let m = ppk2::markers(samples, wiring.logic_port, lost);
    if m.windows.len() != timed.len() {
        return Err(EnergyError::Pairing(format!(
            "PPK2 logic port D{} saw {} marker window(s), the firmware timed {} repetition(s): check the wiring of {} (docs/energy.md)",
            wiring.logic_port,
            m.windows.len(),
            timed.len(),
            wiring.marker_pin
        )));
    }
    let supply_v = f64::from(wiring.vdd_mv) / 1000.0;
    let mut filtered = samples.to_vec();
    let (switches, replaced) = ppk2::SpikeFilter::DEFAULT.apply(&mut filtered);
    // Whether a smoothed sample was the switch's transient or a real step of the board's
    // current cannot be told, so what the filter changed inside a window joins its bound.
    let filter_bound = |w: &tinybench_energy::Window| -> f64 {
        let from = samples.partition_point(|s| s.t() < w.start);
        let to = samples.partition_point(|s| s.t() <= w.end);
        let changed_ua: f64 = samples[from..to]
            .iter()
            .zip(&filtered[from..to])
            .map(|(raw, f)| (raw.microamps - f.microamps).abs())
            .sum();
        changed_ua * 1e-6 * supply_v / ppk2::SAMPLE_RATE_HZ
    };
    let trace = Trace::new(ppk2::to_power(&filtered, supply_v))?;
    let edge_watts = |t: f64| {
        let i = filtered
            .partition_point(|s| s.t() < t)
            .min(filtered.len() - 1);
        filtered[i].microamps * 1e-6 * supply_v
    };
    let windows: Vec<Timed> = m
        .windows
        .iter()
        .zip(timed)
        .map(|(w, &id)| Timed {
            case: Some(id),
            window: *w,
            extra_bound: ppk2::edge_bound(edge_watts(w.start), edge_watts(w.end)) + filter_bound(w),
        })
        .collect();
    let (e, mut issues) = per_window(&trace, &windows)?;
    let lost: u64 = lost.iter().map(|l| l.count).sum();
    if lost > 0 {
        issues.push(format!(
            "PPK2: {lost} sample(s) lost in transfer; {} window(s) contain a loss (interpolated)",
            m.with_loss.len()
        ));
    }
    if replaced > 0 {
        issues.push(format!(
            "PPK2: spike filter smoothed {replaced} sample(s) after {switches} range switch(es)"
        ));
    }
    if invalid > 0 {
        issues.push(format!("PPK2: {invalid} corrupt word(s) skipped"));
    }
    if m.cut_at_start || m.cut_at_end {
        issues.push("PPK2: the marker pin was high at the start or end of the recording".into());
    }
    Ok((e, issues))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinybench_energy::ina::Chip;

    const INA: MonitorPlan = MonitorPlan {
        monitor: Monitor {
            chip: Chip::Ina226,
            shunt_ohm: 0.1,
        },
        clock_hz: 64e6,
        counter_bits: 32,
    };

    /// A recorded-style frame sequence as one stream: 2000 (5 mV → 50 mA) then 4000
    /// (100 mA) on the shunt at 3.3 V, readings before and after two repetitions; the
    /// counter wraps between them.
    fn frames() -> Vec<Event> {
        let base = 0xffff_0000u32;
        let p = |t: u32, shunt: u32| Event::Power {
            t,
            shunt,
            bus: 2640,
        };
        vec![
            p(base, 2000),
            Event::Region {
                id: 0,
                rep: 0,
                t0: base + 100,
            },
            p(base + 6500, 2000),
            Event::Sample {
                id: 0,
                rep: 0,
                count: 6400,
            },
            p(base.wrapping_add(70_000), 4000),
            Event::Region {
                id: 0,
                rep: 1,
                t0: base.wrapping_add(70_100),
            },
            p(base.wrapping_add(76_500), 4000),
            Event::Sample {
                id: 0,
                rep: 1,
                count: 6400,
            },
        ]
    }

    /// [`frames`] split as the firmware sends them: (channel 0, channel 1).
    fn channels(f: Vec<Event>) -> (Vec<Event>, Vec<Event>) {
        f.into_iter().partition(|e| {
            !matches!(
                e,
                Event::Power { .. } | Event::PowerError { .. } | Event::Region { .. }
            )
        })
    }

    #[test]
    fn monitor_frames_give_the_analytic_energy() {
        let (main, power) = channels(frames());
        let (e, issues) = monitor(&INA, &main, &power).unwrap();
        // 6400 cycles at 64 MHz = 100 µs; 50 mA · 3.3 V = 165 mW → 16.5 µJ; then 33 µJ.
        let c = &e[&0];
        assert_eq!(c.per_inference_uj.len(), 2);
        assert!((c.per_inference_uj[0] - 16.5).abs() < 1e-6, "{c:?}");
        assert!((c.per_inference_uj[1] - 33.0).abs() < 1e-6, "{c:?}");
        assert_eq!(c.bound_uj, 0.0);
        assert!(issues.iter().all(|i| !i.contains("skipped")), "{issues:?}");
    }

    #[test]
    fn monitor_without_regions_or_with_bus_errors_says_why() {
        let (main, power) = channels(frames());
        let only_power: Vec<Event> = power
            .iter()
            .filter(|e| matches!(e, Event::Power { .. }))
            .cloned()
            .collect();
        let e = monitor(&INA, &main, &only_power).unwrap_err();
        assert!(e.to_string().contains("power-ina226"), "{e}");
        let mut p = power.clone();
        p.insert(0, Event::PowerError { t: 0xfffe_0000 });
        let (_, issues) = monitor(&INA, &main, &p).unwrap();
        assert!(issues.iter().any(|i| i.contains("I2C")), "{issues:?}");
        // Power frames on channel 0 (an old firmware's layout) are not read as such.
        let e = monitor(&INA, &frames(), &[]).unwrap_err();
        assert!(e.to_string().contains("channel 1"), "{e}");
    }

    fn fixture() -> (Vec<Ppk2Sample>, ppk2::Parser) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("energy/tests/data");
        let meta = std::fs::read_to_string(dir.join("ppk2-metadata.txt")).unwrap();
        let bytes = std::fs::read(dir.join("ppk2-regions.bin")).unwrap();
        let mut p = ppk2::Parser::new(ppk2::Calibration::parse(&meta).unwrap(), 3000);
        let mut s = Vec::new();
        p.feed(&bytes, &mut s);
        (s, p)
    }

    #[test]
    fn ppk2_recording_pairs_markers_with_repetitions() {
        let (s, p) = fixture();
        let w = Ppk2Wiring {
            marker_pin: "P0.13".into(),
            logic_port: 0,
            vdd_mv: 3000,
            marker: None,
        };
        let (e, issues) = ppk2_windows(&s, &p.lost, p.invalid, &w, &[0, 1]).unwrap();
        // 9 mA · 3 V for 2 ms and 3 ms: 54 µJ and 81 µJ, within the stated bound.
        for (id, truth) in [(0, 54.0), (1, 81.0)] {
            let c = &e[&id];
            assert!(
                (c.median_uj - truth).abs() <= c.bound_uj + 1e-9,
                "case {id}: {c:?}"
            );
            assert!(c.bound_uj > 0.0 && c.bound_uj < 0.03 * truth, "{c:?}");
        }
        assert!(
            issues.iter().any(|i| i.contains("5 sample(s) lost")),
            "{issues:?}"
        );
        // The recording switches range at each window edge; the smoothed samples are
        // reported, and what they changed is inside the bound checked above.
        assert!(
            issues
                .iter()
                .any(|i| i.contains("spike filter smoothed") && i.contains("range switch")),
            "{issues:?}"
        );
        let err = ppk2_windows(&s, &p.lost, p.invalid, &w, &[0, 1, 2]).unwrap_err();
        assert!(err.to_string().contains("P0.13"), "{err}");
    }
}
