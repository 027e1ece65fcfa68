//! `tinybench profile`: where the instructions and modeled cycles of one case go.

use super::{BuildOpts, ProjectOpts};
use crate::profile;
use anyhow::{anyhow, bail, Context};
use std::path::PathBuf;
use std::time::Duration;
use tabled::settings::{object::Columns, Alignment, Style};
use tabled::{builder::Builder, Table};
use tinybench_device::{run_firmware, FirmwareImage, RunLimits, RunOutcome};

/// Profile one case on an emulated target: per-function exclusive and inclusive
/// instruction counts and modeled cycles of its timed repetitions, the instruction mix,
/// the stack high-water mark, folded stacks and an SVG flamegraph.
#[derive(Debug, clap::Args)]
pub struct ProfileCmd {
    /// Emulated target (profiling needs the emulator, which sees every instruction).
    #[arg(long, default_value = "sim-cortex-m4")]
    pub target: String,
    /// Suite holding the case.
    #[arg(long, default_value = "smoke")]
    pub suite: String,
    /// Case name (see the suite file).
    #[arg(long)]
    pub case: String,
    /// Also attribute instructions to source lines (DWARF).
    #[arg(long)]
    pub lines: bool,
    /// Where to write `<case>.folded` and `<case>.svg`.
    #[arg(long, value_name = "DIR", default_value = "tinybench-profile")]
    pub out: PathBuf,
    /// Rows of the function (and line) tables.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    #[command(flatten)]
    pub build: BuildOpts,
    #[command(flatten)]
    pub project: ProjectOpts,
}

impl ProfileCmd {
    /// Run the verb.
    pub async fn run(self) -> anyhow::Result<u8> {
        let project = self.project.project()?;
        let target = project.target(&self.target)?;
        if !target.is_emulated() {
            bail!(
                "profiling needs an emulated target (it counts every instruction); {} is a board",
                target.name
            );
        }
        let mut suite = project.suite(&self.suite)?;
        let case = suite
            .cases
            .iter()
            .find(|c| c.name == self.case)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = suite.cases.iter().map(|c| c.name.as_str()).collect();
                anyhow!(
                    "suite {} has no case `{}`; its cases: {}",
                    suite.name,
                    self.case,
                    names.join(", ")
                )
            })?;
        // A firmware with only this case: every timed region after the overhead
        // calibration is one repetition of it.
        // Case names may carry a `/variant` suffix: keep file names flat.
        let file_stem = case.name.replace('/', "-");
        suite.name = format!("{}-{}", suite.name, file_stem);
        suite.cases = vec![case.clone()];
        let built = super::build::firmware(&project, &target, &suite, &self.build).await?;
        let elf_path = built.elf.clone();
        let image = FirmwareImage::parse(std::fs::read(&elf_path)?)?;
        let skip = suite.overhead_reps as u64;
        let (t, hash) = (target.clone(), built.suite_hash);
        let (out, raw) = tokio::task::spawn_blocking(move || {
            let mut emu =
                crate::backend::emulator_with(&t, Some(tinybench_emu::ProfileRequest { skip }));
            let limits = RunLimits {
                max_instructions: 2_000_000_000,
                wall_timeout: Duration::from_secs(600),
            };
            let out = run_firmware(&mut emu, &image, Some(hash), &limits, &mut |_| {});
            (out, emu.take_profile())
        })
        .await?;
        let out = out?;
        if out.outcome != RunOutcome::Completed {
            bail!("{}: {}", target.name, out.outcome.describe());
        }
        let raw = raw.ok_or_else(|| anyhow!("the emulator returned no profile"))?;
        // The firmware's own counts of the same regions: the profile must add up to them.
        let measured: u64 = out
            .events
            .iter()
            .filter_map(|e| match e {
                tinybench_device::protocol::Event::Sample { count, .. } => Some(*count as u64),
                _ => None,
            })
            .sum();
        let image = FirmwareImage::parse(std::fs::read(&elf_path)?)?;
        let p = profile::symbolize(&raw, &image);
        let per = |v: u64| v as f64 / p.regions.max(1) as f64;
        crate::outln!(
            "{} · case {} ({}, {} MACs) · {} repetitions profiled",
            target.name,
            case.name,
            case.shape_text(),
            case.macs(),
            p.regions
        );
        let heap = if image.symbol("__rust_alloc").is_some() || image.symbol("__rg_alloc").is_some()
        {
            "an allocator is linked"
        } else {
            "none (no allocator linked)"
        };
        crate::outln!(
            "per repetition: {:.0} instructions, emulated · {:.0} cycles, modeled · stack high-water {} bytes · heap: {heap}",
            per(p.total_instructions),
            per(p.total_cycles),
            p.stack_high_water
        );
        crate::outln!(
            "profile total {} instructions = the firmware's own counts of these regions {} ({})",
            p.total_instructions,
            measured,
            if p.total_instructions == measured {
                "match"
            } else {
                "MISMATCH"
            }
        );
        let mix: Vec<String> = p
            .mix
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k} {:.1}%",
                    100.0 * *v as f64 / p.total_instructions.max(1) as f64
                )
            })
            .collect();
        crate::outln!("instruction mix: {}", mix.join(" · "));
        let mut b = Builder::default();
        b.push_record([
            "function",
            "self instr",
            "self %",
            "incl instr",
            "self cycles, modeled",
            "incl cycles, modeled",
        ]);
        for f in p.functions.iter().take(self.top) {
            b.push_record([
                f.name.clone(),
                f.self_instructions.to_string(),
                format!(
                    "{:.1}",
                    100.0 * f.self_instructions as f64 / p.total_instructions.max(1) as f64
                ),
                f.incl_instructions.to_string(),
                f.self_cycles.to_string(),
                f.incl_cycles.to_string(),
            ]);
        }
        let mut table: Table = b.build();
        table
            .with(Style::rounded())
            .modify(Columns::new(1..6), Alignment::right());
        crate::outln!("{table}");
        if self.lines {
            let lines = profile::by_line(&raw, &elf_path).map_err(anyhow::Error::msg)?;
            let mut b = Builder::default();
            b.push_record(["source line", "instructions", "cycles, modeled"]);
            for (l, n, c) in lines.iter().take(self.top) {
                b.push_record([l.clone(), n.to_string(), c.to_string()]);
            }
            let mut table: Table = b.build();
            table.with(Style::rounded());
            crate::outln!("{table}");
        }
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating {}", self.out.display()))?;
        let folded = self.out.join(format!("{file_stem}.folded"));
        std::fs::write(&folded, p.folded.join("\n") + "\n")
            .with_context(|| format!("writing {}", folded.display()))?;
        let svg = profile::flamegraph_svg(
            &p.folded,
            &format!("{} on {} (instructions, emulated)", case.name, target.name),
        )
        .map_err(anyhow::Error::msg)?;
        let svg_path = self.out.join(format!("{file_stem}.svg"));
        std::fs::write(&svg_path, svg)
            .with_context(|| format!("writing {}", svg_path.display()))?;
        eprintln!("wrote {} and {}", folded.display(), svg_path.display());
        Ok(crate::exit::OK)
    }
}
