//! `tinybench probes`: the debug probes attached to this machine.

/// List attached debug probes (probe-rs) and whether this user may open them.
///
/// Each line gives the selector to pass as `--probe VID:PID:SERIAL` or to put in a runner
/// config. With no probe attached it says so and exits 0.
#[derive(Debug, clap::Args)]
pub struct ProbesCmd {}

impl ProbesCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        list()
    }
}

#[cfg(feature = "probe")]
fn list() -> anyhow::Result<u8> {
    let probes = tinybench_probe::real::list_probes();
    if probes.is_empty() {
        crate::outln!(
            "no debug probes found: none is attached to this machine (or its USB device is not visible here). \
             Connect one and run `tinybench probes` again; see docs/boards.md"
        );
        return Ok(crate::exit::OK);
    }
    crate::outln!("{} debug probe(s):", probes.len());
    let mut denied = 0;
    for p in &probes {
        let access = if p.accessible {
            "ok".to_string()
        } else {
            denied += 1;
            "permission denied".to_string()
        };
        crate::outln!("  {:<28} {:<30} {access}", p.selector(), p.identifier);
    }
    if denied > 0 {
        crate::outln!(
            "{denied} probe(s) cannot be opened by this user: install the probe-rs udev rules and replug \
             (docs/boards.md)"
        );
    }
    crate::outln!("select one with `tinybench run --target <board> --probe VID:PID:SERIAL`");
    Ok(crate::exit::OK)
}

#[cfg(not(feature = "probe"))]
fn list() -> anyhow::Result<u8> {
    anyhow::bail!("this tinybench was built without the `probe` feature (the probe-rs backend)")
}
