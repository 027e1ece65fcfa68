//! `tinybench profile`: where the instructions and modeled cycles of one case go.

use super::opts::LimitArgs;
use super::{BuildOpts, ProjectOpts};
use crate::config::suite::{Case, Suite};
use crate::profile;
use crate::run::{Payload, RunPlan};
use anyhow::{anyhow, bail, Context};
use std::path::PathBuf;
use tabled::settings::{object::Columns, Alignment, Style};
use tabled::{builder::Builder, Table};
use tinybench_device::protocol::Event;
use tinybench_device::{FirmwareImage, RunOutcome};

/// Default instruction budget of a profiled run (the per-instruction profiler is slow;
/// a whole suite case fits well within it).
const PROFILE_BUDGET: u64 = 2_000_000_000;

/// Profile one case on an emulated target: per-function exclusive and inclusive
/// instruction counts and modeled cycles of its timed repetitions, the instruction mix,
/// the stack high-water mark, folded stacks and an SVG flamegraph.
#[derive(Debug, clap::Args)]
pub struct ProfileCmd {
    /// Emulated target (profiling needs the emulator, which sees every instruction).
    #[arg(long, default_value = crate::run::DEFAULT_TARGET)]
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
    pub limits: LimitArgs,
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
        let (suite, case) = self.one_case_suite(&project)?;
        // Case names may carry a `/variant` suffix: keep file names flat.
        let file_stem = case.name.replace('/', "-");
        // Every timed region after the overhead calibration is one repetition of the case.
        let skip = suite.overhead_reps as u64;
        let plan = RunPlan::new(
            target.clone(),
            Payload::suite(suite),
            self.build.settings(&project),
        )
        .with_limits(self.limits.limits(PROFILE_BUDGET))
        .with_profile(skip);
        let progress = super::progress::Progress::new();
        let executed =
            tokio::task::spawn_blocking(move || crate::run::execute(&plan, progress)).await??;
        let out = &executed.finished;
        if out.outcome != RunOutcome::Completed {
            bail!("{}: {}", target.name, out.outcome.describe());
        }
        let raw = executed
            .profile
            .as_ref()
            .ok_or_else(|| anyhow!("the emulator returned no profile"))?;
        let image = FirmwareImage::parse(std::fs::read(&executed.elf)?)?;
        let p = profile::symbolize(raw, &image);
        print_summary(&target.name, &case, &p, &image, measured(&out.events));
        crate::outln!("{}", function_table(&p, self.top));
        if self.lines {
            let lines = profile::by_line(raw, &executed.elf).map_err(anyhow::Error::msg)?;
            crate::outln!("{}", line_table(&lines, self.top));
        }
        let title = format!("{} on {} (instructions, emulated)", case.name, target.name);
        self.write_outputs(&file_stem, &p, &title)?;
        Ok(crate::exit::OK)
    }

    /// The suite cut down to the one case asked for.
    fn one_case_suite(&self, project: &crate::project::Project) -> anyhow::Result<(Suite, Case)> {
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
        suite.name = format!("{}-{}", suite.name, case.name.replace('/', "-"));
        suite.cases = vec![case.clone()];
        Ok((suite, case))
    }

    /// `<case>.folded` and `<case>.svg` in `--out`.
    fn write_outputs(&self, stem: &str, p: &profile::Profile, title: &str) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating {}", self.out.display()))?;
        let folded = self.out.join(format!("{stem}.folded"));
        std::fs::write(&folded, p.folded.join("\n") + "\n")
            .with_context(|| format!("writing {}", folded.display()))?;
        let svg = profile::flamegraph_svg(&p.folded, title).map_err(anyhow::Error::msg)?;
        let svg_path = self.out.join(format!("{stem}.svg"));
        std::fs::write(&svg_path, svg)
            .with_context(|| format!("writing {}", svg_path.display()))?;
        eprintln!("wrote {} and {}", folded.display(), svg_path.display());
        Ok(())
    }
}

/// The firmware's own counts of the profiled regions: the profile must add up to them.
fn measured(events: &[Event]) -> u64 {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Sample { count, .. } => Some(*count as u64),
            _ => None,
        })
        .sum()
}

fn print_summary(
    target: &str,
    case: &Case,
    p: &profile::Profile,
    image: &FirmwareImage,
    measured: u64,
) {
    let per = |v: u64| v as f64 / p.regions.max(1) as f64;
    crate::outln!(
        "{target} · case {} ({}, {} MACs) · {} repetitions profiled",
        case.name,
        case.shape_text(),
        case.macs(),
        p.regions
    );
    let heap = if image.symbol("__rust_alloc").is_some() || image.symbol("__rg_alloc").is_some() {
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
}

fn function_table(p: &profile::Profile, top: usize) -> Table {
    let mut b = Builder::default();
    b.push_record([
        "function",
        "self instr",
        "self %",
        "incl instr",
        "self cycles, modeled",
        "incl cycles, modeled",
    ]);
    for f in p.functions.iter().take(top) {
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
    table
}

fn line_table(lines: &[(String, u64, u64)], top: usize) -> Table {
    let mut b = Builder::default();
    b.push_record(["source line", "instructions", "cycles, modeled"]);
    for (l, n, c) in lines.iter().take(top) {
        b.push_record([l.clone(), n.to_string(), c.to_string()]);
    }
    let mut table: Table = b.build();
    table.with(Style::rounded());
    table
}
