//! Benchmarks of the user's own code (`run --elf`): the cases come from the firmware's
//! own frames (`TB bench`, `TB work`, `TB expect`), and the output checksum each must
//! report from, in order, the host run of the same benchmarks (`--host`, see
//! [`super::host`]), the value its author pinned, else the device's own (recorded, not
//! checked).

use super::analyse::CaseSpec;
use super::host::HostResults;
use std::collections::BTreeMap;
use tinybench_device::protocol::Event;
use tinybench_results::{CaseResult, CaseStatus, RunResult};

/// What the frames said of each benchmark, by id.
#[derive(Default)]
struct Frames {
    names: BTreeMap<u32, String>,
    work: BTreeMap<u32, (u64, String)>,
    expect: BTreeMap<u32, u32>,
    device: BTreeMap<u32, u32>,
}

fn frames(events: &[Event]) -> Frames {
    let mut f = Frames::default();
    for ev in events {
        match ev {
            Event::Bench { id, name } => {
                f.names.insert(*id, name.clone());
            }
            Event::Work { id, macs, shape } => {
                f.work.insert(*id, (*macs, shape.clone()));
            }
            Event::Expect { id, value } => {
                f.expect.insert(*id, *value);
            }
            Event::Checksum { id, value } => {
                f.device.insert(*id, *value);
            }
            _ => {}
        }
    }
    f
}

/// The benchmarks a user's ELF named in its `TB bench` frames, in id order. MACs and
/// shape: the `TB work` frame (schema 4), else the host run's, else none. The checksum
/// each must report: the host run's of the same name, else the pinned one (`TB expect`),
/// else the device's own (recorded, not checked).
pub fn own_specs(events: &[Event], host: Option<&HostResults>) -> Vec<CaseSpec> {
    let f = frames(events);
    let count = f.names.keys().next_back().map_or(0, |last| last + 1);
    (0..count)
        .map(|id| {
            let name = f
                .names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("bench {id}"));
            let on_host = host.and_then(|h| h.bench(&name));
            let (macs, shape) = match (f.work.get(&id), on_host) {
                (Some(w), _) => w.clone(),
                (None, Some(h)) => (h.macs, h.shape.clone()),
                (None, None) => (0, String::new()),
            };
            let host_checksum = on_host
                .map(|h| h.checksum)
                .or(f.expect.get(&id).copied())
                .or(f.device.get(&id).copied())
                .unwrap_or_default();
            CaseSpec {
                name,
                kernel: "own code".into(),
                shape,
                variant: None,
                macs,
                host_checksum,
            }
        })
        .collect()
}

/// The checksums the benchmarks' authors pinned (`TB expect`), by benchmark name.
pub fn pins(events: &[Event]) -> BTreeMap<String, u32> {
    let f = frames(events);
    f.expect
        .into_iter()
        .filter_map(|(id, v)| Some((f.names.get(&id)?.clone(), v)))
        .collect()
}

/// A benchmark checked against the host run passes only if it also equals its pinned
/// value: mark every case whose device checksum differs from its `TB expect` failed
/// (the analysis compared it with the host's only).
pub fn check_pins(result: &mut RunResult, events: &[Event]) {
    fail_pins(&mut result.cases, events);
}

fn fail_pins(cases: &mut [CaseResult], events: &[Event]) {
    let f = frames(events);
    for (id, case) in cases.iter_mut().enumerate() {
        let pinned = f.expect.get(&(id as u32));
        if let (Some(p), Some(d)) = (pinned, case.device_checksum) {
            if *p != d && case.status.is_ok() {
                case.status = CaseStatus::ChecksumMismatch;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::host::HostBench;

    fn events() -> Vec<Event> {
        vec![
            Event::Bench {
                id: 0,
                name: "fir".into(),
            },
            Event::Work {
                id: 0,
                macs: 8192,
                shape: "32x256".into(),
            },
            Event::Bench {
                id: 1,
                name: "crc".into(),
            },
            Event::Expect { id: 0, value: 7 },
            Event::Checksum { id: 0, value: 8 },
            Event::Checksum { id: 1, value: 9 },
        ]
    }

    #[test]
    fn a_users_benchmarks_are_named_and_checked_by_their_own_frames() {
        let events = events();
        let specs = own_specs(&events, None);
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["fir", "crc"]);
        // Pinned: the author's value (so a device reporting 8 fails); not pinned: the
        // device's own (recorded, not checked).
        assert_eq!(specs[0].host_checksum, 7);
        assert_eq!(specs[1].host_checksum, 9);
        // Declared work (schema 4); none declared: 0 and empty, as schema 3 firmware.
        assert_eq!((specs[0].macs, specs[0].shape.as_str()), (8192, "32x256"));
        assert_eq!((specs[1].macs, specs[1].shape.as_str()), (0, ""));
        assert_eq!(pins(&events), BTreeMap::from([("fir".to_string(), 7)]));
        assert!(own_specs(&[], None).is_empty());
    }

    #[test]
    fn the_host_run_checks_every_benchmark_it_has_and_supplies_its_work() {
        let events = events();
        let bench = |name: &str, checksum, macs| HostBench {
            name: name.into(),
            checksum,
            macs,
            shape: "host".into(),
            estimate: None,
        };
        let host = HostResults::for_test(vec![bench("fir", 8, 1), bench("crc", 10, 1024)]);
        let specs = own_specs(&events, Some(&host));
        // The host's checksum is the reference, pinned or not; the frames' work wins.
        assert_eq!(specs[0].host_checksum, 8);
        assert_eq!(specs[1].host_checksum, 10);
        assert_eq!((specs[0].macs, specs[0].shape.as_str()), (8192, "32x256"));
        assert_eq!((specs[1].macs, specs[1].shape.as_str()), (1024, "host"));
    }

    #[test]
    fn a_benchmark_equal_to_the_host_but_not_to_its_pin_fails() {
        let case = |name: &str, device| CaseResult {
            name: name.into(),
            kernel: "own code".into(),
            shape: String::new(),
            variant: None,
            macs: 0,
            raw_samples: vec![],
            samples: vec![],
            summary: None,
            modeled_samples: vec![],
            modeled_summary: None,
            energy: None,
            device_checksum: Some(device),
            host_checksum: device,
            status: CaseStatus::Ok,
        };
        // fir: pinned 7, device (and host) 8; crc: no pin.
        let mut cases = vec![case("fir", 8), case("crc", 9)];
        fail_pins(&mut cases, &events());
        assert_eq!(cases[0].status, CaseStatus::ChecksumMismatch);
        assert_eq!(cases[1].status, CaseStatus::Ok);
    }
}
