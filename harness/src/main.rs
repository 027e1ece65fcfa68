//! The `tinybench` command line. Only dispatch lives here; each verb is a file in `cmd/`.
#![forbid(unsafe_code)]

use clap::{CommandFactory, FromArgMatches, Subcommand};
use std::process::ExitCode;
#[cfg(feature = "emulator")]
use tinybench::cmd::profile::ProfileCmd;
use tinybench::cmd::{
    baseline::BaselineCmd, build::BuildCmd, ci::CiCmd, compare::CompareCmd,
    compare_host::CompareHostCmd, completions::CompletionsCmd, completions::ManCmd,
    doctor::DoctorCmd, global::GlobalOpts, list::ListCmd, merge::MergeCmd, new::NewCmd,
    probes::ProbesCmd, report::ReportCmd, results::ResultsCmd, run::RunCmd,
};

/// Benchmark and profile int8 TinyML kernels on microcontrollers and emulated cores.
///
/// Every number says what it is: "instructions, emulated", "cycles, hardware" or
/// "cycles, modeled".
#[derive(clap::Parser)]
#[command(name = "tinybench", version, about, long_about = None, arg_required_else_help = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalOpts,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(RunCmd),
    New(NewCmd),
    Build(BuildCmd),
    List(ListCmd),
    Doctor(DoctorCmd),
    #[cfg(feature = "emulator")]
    Profile(ProfileCmd),
    Probes(ProbesCmd),
    Results(ResultsCmd),
    Compare(CompareCmd),
    Report(ReportCmd),
    Merge(MergeCmd),
    Ci(CiCmd),
    Baseline(BaselineCmd),
    CompareHost(CompareHostCmd),
    Completions(CompletionsCmd),
    Man(ManCmd),
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let color = tinybench::cmd::global::color_from_args(&args);
    let matches = Cli::command().color(color.clap()).get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli.global.install();
    let result = match cli.command {
        Command::Run(c) => c.run().await,
        Command::New(c) => c.run().await,
        Command::Build(c) => c.run().await,
        Command::List(c) => c.run().await,
        Command::Doctor(c) => c.run().await,
        #[cfg(feature = "emulator")]
        Command::Profile(c) => c.run().await,
        Command::Probes(c) => c.run().await,
        Command::Results(c) => c.run().await,
        Command::Compare(c) => c.run().await,
        Command::Report(c) => c.run().await,
        Command::Merge(c) => c.run().await,
        Command::Ci(c) => c.run().await,
        Command::Baseline(c) => c.run().await,
        Command::CompareHost(c) => c.run().await,
        Command::Completions(c) => c.run(Cli::command()),
        Command::Man(c) => c.run(Cli::command()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{} {e:#}", tinybench::ui::paint("error:", "31"));
            ExitCode::from(tinybench::exit::ERROR)
        }
    }
}
