//! The frames every tinybench firmware sends (schema [`crate::SCHEMA`]); the host matches
//! them by their literal text, so changing one is a schema change. Primitive arguments
//! only: the host's decoder gives derived structs back only as strings.

/// Start of run: schema, payload hash, number of cases.
pub fn hello(hash: u32, cases: u16) {
    defmt::println!(
        "TB hello schema={=u16} suite={=u32} cases={=u16}",
        crate::SCHEMA,
        hash,
        cases
    );
}

/// Empty-region calibration: two back-to-back counter reads, `reps` times; the host
/// subtracts the smallest from every sample.
#[inline(always)]
pub fn overhead(reps: u16) {
    for rep in 0..reps {
        let t0 = crate::arch::read_counter();
        let t1 = crate::arch::read_counter();
        defmt::println!(
            "TB overhead rep={=u16} count={=u32}",
            rep,
            crate::arch::elapsed(t0, t1)
        );
    }
}

/// The name of benchmark `id` (benchmarks of your own code; the suites' names are known
/// to the host).
pub fn bench(id: u16, name: &str) {
    defmt::println!("TB bench id={=u16} name={=str}", id, name);
}

/// The work one call of benchmark `id` does, as its author declared it
/// ([`crate::Bench::macs`], [`crate::Bench::shape`]); sent after its `TB bench` frame,
/// only when something was declared (schema 4).
pub fn work(id: u16, macs: u64, shape: &str) {
    defmt::println!(
        "TB work id={=u16} macs={=u64} shape={=str}",
        id,
        macs,
        shape
    );
}

/// Case `id` starts.
pub fn case(id: u16) {
    defmt::println!("TB case id={=u16}", id);
}

/// One timed repetition's count.
pub fn sample(id: u16, rep: u16, count: u32) {
    defmt::println!(
        "TB sample id={=u16} rep={=u16} count={=u32}",
        id,
        rep,
        count
    );
}

/// The output checksum of case `id`.
pub fn checksum(id: u16, value: u32) {
    defmt::println!("TB checksum id={=u16} value={=u32}", id, value);
}

/// The checksum the author expects of case `id` ([`crate::Bench::expect`]).
pub fn expect(id: u16, value: u32) {
    defmt::println!("TB expect id={=u16} value={=u32}", id, value);
}

/// The kernel refused case `id`'s arguments.
pub fn kernel_error(id: u16, code: u8) {
    defmt::println!("TB kernel-error id={=u16} code={=u8}", id, code);
}

/// Stack high-water mark: bytes used of `size`.
pub fn stack(used: u32, size: u32) {
    defmt::println!("TB stack used={=u32} size={=u32}", used, size);
}

/// All cases done.
pub fn done() {
    defmt::println!("TB done");
}
