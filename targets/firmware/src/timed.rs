//! One timed region, the same for benchmark cases and model layers: the two counter
//! reads tight around the work ([`tinybench_target::measure`], the timing path benchmarks
//! of your own code use too), and around them (only when those features are on) the
//! power monitor's readings (`power-ina226`/`power-ina219`) and the PPK2 marker pin
//! (`power-marker`), so a measured energy source sees every timed region the same way.

/// Run `work` as timed repetition `rep` of case `id`: the elapsed count and its result.
#[inline(always)]
pub fn region<R>(id: u16, rep: u16, work: impl FnOnce() -> R) -> (u32, R) {
    #[cfg(any(feature = "power-ina226", feature = "power-ina219"))]
    crate::power::sample();
    #[cfg(feature = "power-marker")]
    crate::marker::high();
    let (t0, count, r) = tinybench_target::measure(work);
    #[cfg(feature = "power-marker")]
    crate::marker::low();
    #[cfg(any(feature = "power-ina226", feature = "power-ina219"))]
    {
        // The low 32 bits (ARMv6-M's count is wider).
        #[allow(clippy::unnecessary_cast)]
        crate::power::region(id, rep, t0 as u32);
        crate::power::sample();
    }
    // Only the power monitor's frames name the region.
    let _ = (id, rep, t0);
    (count, r)
}
