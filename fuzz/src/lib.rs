//! `tinybench-fuzz`: mutation fuzzing of the parsers that read what users hand tinybench
//! — the `.tflite` importer, the dataset loader, the result-file reader, the TOML configs
//! and the RTT/defmt stream decoder (`tests/targets.rs`).
//!
//! cargo-fuzz needs a nightly toolchain, which CI does not have; this drives proptest
//! instead: each case picks a seed input (the checked-in corpus under `corpus/<target>/`,
//! plus inputs a target adds at run time, e.g. the MLPerf Tiny models) and applies a short
//! list of byte mutations. A failing case is shrunk by proptest and reported as that list,
//! which is small enough to paste into `tests/regressions.rs`.
//!
//! Each target runs for a time budget: `TINYBENCH_FUZZ_SECS` seconds (default 2, so a
//! plain `cargo test` stays quick; `ci/test.sh` sets 20), and at most
//! `TINYBENCH_FUZZ_CASES` cases (default unlimited).
//!
//! The cases come from a seeded generator: `TINYBENCH_FUZZ_SEED` (a number; default
//! [`DEFAULT_SEED`]) makes a run repeatable, so CI explores the same cases on every run and
//! a slower machine only explores fewer of them — CI fails on a change, never on the luck of
//! the draw. `TINYBENCH_FUZZ_SEED=random` draws a fresh seed (printed, with every finding)
//! for exploratory runs on a developer's machine.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One byte-level change of a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Replace the byte at (position mod length).
    Set(usize, u8),
    /// Flip bits of the byte there.
    Flip(usize, u8),
    /// Insert a byte there.
    Insert(usize, u8),
    /// Remove up to this many bytes there.
    Remove(usize, u8),
    /// Write a special float (`inf`, NaN, 0, −1, huge, tiny) at the 4-aligned position:
    /// how a quantization scale goes bad.
    Float(usize, u8),
    /// Cut the input at (position mod length).
    Truncate(usize),
}

const FLOATS: [f32; 8] = [
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    0.0,
    -1.0,
    3.0e38,
    1.0e-45,
    -0.0,
];

impl Mutation {
    /// Apply to `data` (a no-op on empty input, except an insert).
    pub fn apply(self, data: &mut Vec<u8>) {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % len };
        let len = data.len();
        match self {
            Mutation::Insert(p, b) => data.insert(at(p, len + 1), b),
            _ if len == 0 => {}
            Mutation::Set(p, b) => data[at(p, len)] = b,
            Mutation::Flip(p, b) => data[at(p, len)] ^= b.max(1),
            Mutation::Remove(p, n) => {
                let s = at(p, len);
                let e = (s + n as usize + 1).min(len);
                data.drain(s..e);
            }
            Mutation::Float(p, f) => {
                let s = at(p, len) & !3;
                if s + 4 <= len {
                    let v = FLOATS[f as usize % FLOATS.len()];
                    data[s..s + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            Mutation::Truncate(p) => data.truncate(at(p, len)),
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = any::<usize>();
    prop_oneof![
        4 => (pos, any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
        4 => (pos, any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        2 => (pos, any::<u8>()).prop_map(|(p, b)| Mutation::Insert(p, b)),
        2 => (pos, 0u8..16).prop_map(|(p, n)| Mutation::Remove(p, n)),
        3 => (pos, any::<u8>()).prop_map(|(p, f)| Mutation::Float(p, f)),
        1 => pos.prop_map(Mutation::Truncate),
    ]
}

/// A case: which seed, and what to do to it.
#[derive(Debug, Clone)]
pub struct Case {
    /// Index into the seeds.
    pub seed: usize,
    /// Applied in order.
    pub mutations: Vec<Mutation>,
}

impl Case {
    /// The mutated input.
    pub fn input(&self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let mut data = seeds[self.seed].clone();
        for m in &self.mutations {
            m.apply(&mut data);
        }
        data
    }
}

/// The checked-in seed corpus of `target` (`corpus/<target>/*`), sorted by file name.
pub fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}

/// Longest a single case may take before it counts as a hang: the process prints the case
/// and aborts (a hung case never returns, so it cannot be shrunk or reported otherwise).
pub const HANG_SECS: u64 = 20;

type Running = std::collections::HashMap<std::thread::ThreadId, (Instant, String)>;

/// The case each fuzzing thread runs now and since when, for the watchdog (the targets
/// run in parallel test threads).
static CURRENT: std::sync::Mutex<Option<Running>> = std::sync::Mutex::new(None);

fn watchdog() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_secs(1));
            let now = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone();
            for (since, case) in now.unwrap_or_default().values() {
                if since.elapsed() > Duration::from_secs(HANG_SECS) {
                    eprintln!("fuzz: a case ran over {HANG_SECS} s (a hang): {case}");
                    std::process::abort();
                }
            }
        });
    });
}

/// Run `check` on one input under the watchdog.
fn watched<R>(what: impl FnOnce() -> String, check: impl FnOnce() -> R) -> R {
    /// Clears this thread's entry however `check` ends (a panic is a finding proptest
    /// catches and shrinks, not a hang).
    struct Clear(std::thread::ThreadId);
    impl Drop for Clear {
        fn drop(&mut self) {
            let mut guard = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(map) = guard.as_mut() {
                map.remove(&self.0);
            }
        }
    }
    let me = std::thread::current().id();
    CURRENT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(Running::new)
        .insert(me, (Instant::now(), what()));
    let _clear = Clear(me);
    check()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// The generator seed of a run when `TINYBENCH_FUZZ_SEED` is not set.
pub const DEFAULT_SEED: u64 = 0x7469_6e79_6265_6e63;

/// The seed this run uses: `TINYBENCH_FUZZ_SEED` (a number, or `random`), else the default.
fn run_seed(name: &str) -> u64 {
    match std::env::var("TINYBENCH_FUZZ_SEED") {
        Ok(v) if v.trim() == "random" => {
            // A fresh seed from the OS-seeded hasher: std only, no extra dependency.
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write(name.as_bytes());
            h.finish()
        }
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("TINYBENCH_FUZZ_SEED={v:?}: a number or `random`")),
        Err(_) => DEFAULT_SEED,
    }
}

/// Fuzz `check` with mutated `seeds` for the time budget. `check` returns an error (or
/// panics) for a finding; the shrunk case is reported in the panic message.
pub fn fuzz(name: &str, seeds: &[Vec<u8>], check: impl Fn(&[u8]) -> Result<(), String>) -> usize {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let budget = Duration::from_secs(env_u64("TINYBENCH_FUZZ_SECS").unwrap_or(2));
    let max_cases = env_u64("TINYBENCH_FUZZ_CASES").unwrap_or(u64::MAX);
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 0..12))
        .prop_map(|(seed, mutations)| Case { seed, mutations });
    let seed = run_seed(name);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    // Each target its own stream from one seed.
    for (i, b) in name.bytes().enumerate() {
        key[8 + i % 24] ^= b;
    }
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &key),
    );
    let start = Instant::now();
    let mut n = 0u64;
    watchdog();
    // Every seed unmutated first: the corpus itself must pass.
    for (i, seed) in seeds.iter().enumerate() {
        if let Err(e) = watched(|| format!("{name}: seed {i}"), || check(seed)) {
            panic!("{name}: seed {i} fails unmutated: {e}");
        }
    }
    while start.elapsed() < budget && n < max_cases {
        let tree = strategy.new_tree(&mut runner).expect("a case");
        let result = runner.run_one(tree, |case| {
            let input = case.input(seeds);
            watched(|| format!("{name}: {case:?}"), || check(&input)).map_err(TestCaseError::fail)
        });
        if let Err(e) = result {
            panic!(
                "{name}: finding after {n} cases with TINYBENCH_FUZZ_SEED={seed} \
                 (add it to tests/regressions.rs): {e}"
            );
        }
        n += 1;
    }
    eprintln!(
        "{name}: {n} mutated cases of {} seeds in {:.1} s (TINYBENCH_FUZZ_SEED={seed})",
        seeds.len(),
        start.elapsed().as_secs_f64()
    );
    n as usize
}
