//! Benchmarks of your own code: a [`Bench`] is a name, an input set-up, the function to
//! time, its warm-up and repetitions and (optionally) the checksum its output must have
//! and the work one call does (multiply-accumulates, a shape). The same list runs on the
//! device ([`run_all`]) and, built for the host, under criterion (`crate::host`).

use crate::checksum::{checksum, Output};
use core::hint::black_box;

/// One benchmark of your code: `setup` makes the input state once, `run` is timed on it
/// (after `warmup` untimed calls), `reps` times. The checksum sent covers what the last
/// repetition returned and then the state it left (so an output written into the state
/// counts): implement [`Output`] for your state type to choose which of its bytes count.
pub struct Bench<S, R, Setup, Run>
where
    Setup: FnMut() -> S,
    Run: FnMut(&mut S) -> R,
{
    name: &'static str,
    setup: Setup,
    run: Run,
    warmup: u16,
    reps: u16,
    expect: Option<u32>,
    work: Work,
}

/// The work one call of a benchmark does, as its author declares it ([`Bench::macs`],
/// [`Bench::shape`]): the host's table shows counts per MAC and the shape beside the
/// counts, as it does for the suites' kernels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Multiply-accumulates per call (0: not declared).
    pub macs: u64,
    /// The shape, as the table shows it ("" : not declared).
    pub shape: &'static str,
}

impl Work {
    /// Whether the author declared anything.
    pub fn declared(&self) -> bool {
        self.macs > 0 || !self.shape.is_empty()
    }
}

impl<S: Output, R: Output, Setup: FnMut() -> S, Run: FnMut(&mut S) -> R> Bench<S, R, Setup, Run> {
    /// A benchmark with one warm-up call and five timed repetitions.
    pub fn new(name: &'static str, setup: Setup, run: Run) -> Self {
        Bench {
            name,
            setup,
            run,
            warmup: 1,
            reps: 5,
            expect: None,
            work: Work::default(),
        }
    }

    /// Multiply-accumulates one call does: the table shows counts (and host ns) per MAC.
    pub fn macs(mut self, n: u64) -> Self {
        self.work.macs = n;
        self
    }

    /// The shape of one call's work, shown in the table's shape column (e.g. `"32x256"`).
    pub fn shape(mut self, shape: &'static str) -> Self {
        self.work.shape = shape;
        self
    }

    /// Untimed calls before the first timed one (caches, branch predictors, lazy init).
    pub fn warmup(mut self, n: u16) -> Self {
        self.warmup = n;
        self
    }

    /// Timed repetitions (at least one).
    pub fn reps(mut self, n: u16) -> Self {
        self.reps = n.max(1);
        self
    }

    /// The checksum ([`crate::checksum`]) the output must have: the host marks the
    /// benchmark failed when the device reports another. Compute it with a host test of
    /// the same function.
    pub fn expect(mut self, value: u32) -> Self {
        self.expect = Some(value);
        self
    }
}

/// A benchmark as `run_all` runs it (object-safe, so one list holds benchmarks of
/// different types; only the call into a benchmark is dynamic, never the timed region).
pub trait Benchmark {
    /// Its name, as the host's table shows it.
    fn name(&self) -> &'static str;
    /// The work one call does, as declared (nothing by default).
    fn work(&self) -> Work;
    /// Set up, warm up, time and report as case `id`.
    #[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
    fn run(&mut self, id: u16);
    /// The checksum the device reports, computed on the host by the same sequence: set
    /// up, `warmup` calls, `reps` calls, the checksum of the last result and the state.
    #[cfg(not(target_os = "none"))]
    fn host_checksum(&mut self) -> u32;
    /// Time the function under criterion, on a fresh set-up state.
    #[cfg(not(target_os = "none"))]
    fn host_time(&mut self, c: &mut criterion::Criterion);
}

impl<S: Output, R: Output, Setup: FnMut() -> S, Run: FnMut(&mut S) -> R> Benchmark
    for Bench<S, R, Setup, Run>
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn work(&self) -> Work {
        self.work
    }

    #[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
    fn run(&mut self, id: u16) {
        use crate::{frame, measure};
        frame::case(id);
        if let Some(v) = self.expect {
            frame::expect(id, v);
        }
        let mut state = (self.setup)();
        for _ in 0..self.warmup {
            black_box((self.run)(black_box(&mut state)));
        }
        let mut sum = 0;
        for rep in 0..self.reps {
            let (_, count, r) = measure(|| (self.run)(black_box(&mut state)));
            let r = black_box(r);
            frame::sample(id, rep, count);
            if rep + 1 == self.reps {
                sum = checksum(&(r, &state));
            }
        }
        frame::checksum(id, sum);
    }

    #[cfg(not(target_os = "none"))]
    fn host_checksum(&mut self) -> u32 {
        let mut state = (self.setup)();
        for _ in 0..self.warmup {
            black_box((self.run)(black_box(&mut state)));
        }
        let mut sum = 0;
        for rep in 0..self.reps {
            let r = black_box((self.run)(black_box(&mut state)));
            if rep + 1 == self.reps {
                sum = checksum(&(r, &state));
            }
        }
        sum
    }

    #[cfg(not(target_os = "none"))]
    fn host_time(&mut self, c: &mut criterion::Criterion) {
        let mut state = (self.setup)();
        let run = &mut self.run;
        c.bench_function(self.name, |b| b.iter(|| run(black_box(&mut state))));
    }
}

/// Run `benches` in order, as cases 0, 1, …: the hello frame (the names' checksum as the
/// payload hash), every name, the empty-region calibration, each benchmark, then the
/// stack and done frames. Call it from your own `main` after your HAL's set-up, or let
/// [`crate::main!`] write `main`. Built for the host, `crate::host::run_all` instead.
#[cfg(any(target_arch = "arm", target_arch = "riscv32"))]
pub fn run_all(benches: &mut [&mut dyn Benchmark]) -> ! {
    crate::stack::paint();
    crate::arch::init_counter();
    let mut names = crate::Fnv1a::new();
    for b in benches.iter() {
        names.write(b.name().as_bytes());
        names.write(&[0]);
    }
    crate::frame::hello(names.finish(), benches.len() as u16);
    for (id, b) in benches.iter().enumerate() {
        crate::frame::bench(id as u16, b.name());
        let work = b.work();
        if work.declared() {
            crate::frame::work(id as u16, work.macs, work.shape);
        }
    }
    crate::frame::overhead(crate::OVERHEAD_REPS);
    for (id, b) in benches.iter_mut().enumerate() {
        b.run(id as u16);
    }
    crate::finish()
}
