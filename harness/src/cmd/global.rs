//! The options every verb takes (cargo's and probe-rs's conventions): `-v/-q`, `--color`,
//! `--message-format`, `--wide`. Flattened into the top-level command in `main.rs`.

use crate::report::layout::Layout;
use crate::ui::{ColorWhen, MessageFormat, Ui};

/// Global options.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalOpts {
    /// More detail on stderr (where project files and builds are).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress bars or notes on stderr; warnings and errors still print.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Color on stderr and in help: `auto` (a terminal, and `NO_COLOR` unset), `always`,
    /// `never`.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        value_name = "WHEN",
        global = true
    )]
    pub color: ColorWhen,
    /// `human`, or `json`: one JSON object per line on stdout (run start, every case,
    /// run end) instead of tables, for tools.
    #[arg(
        long,
        value_enum,
        default_value = "human",
        value_name = "FMT",
        global = true
    )]
    pub message_format: MessageFormat,
    /// Show every table column, without fitting the terminal's width (`COLUMNS`, else the
    /// terminal's) and without folding columns that say the same on every row.
    #[arg(long, global = true)]
    pub wide: bool,
}

impl GlobalOpts {
    /// Make the options the process's settings.
    pub fn install(&self) {
        Ui {
            verbosity: if self.quiet {
                -1
            } else {
                self.verbose.min(i8::MAX as u8) as i8
            },
            color: self.color.enabled(crate::ui::stderr_is_terminal()),
            message_format: self.message_format,
        }
        .install();
        Layout::detect(self.wide).install();
    }
}

/// `--color` as given on the command line, before clap parses it (clap's own help and
/// errors need the choice before parsing is done).
pub fn color_from_args(args: &[std::ffi::OsString]) -> ColorWhen {
    let mut it = args.iter().filter_map(|a| a.to_str());
    let mut choice = ColorWhen::Auto;
    while let Some(a) = it.next() {
        let value = match a.strip_prefix("--color") {
            Some("") => it.next(),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        choice = match value {
            Some("always") => ColorWhen::Always,
            Some("never") => ColorWhen::Never,
            Some("auto") => ColorWhen::Auto,
            _ => choice,
        };
    }
    choice
}

/// Warnings for `run` options that do nothing for this target and suite (cargo warns
/// about unused manifest keys the same way): a probe for an emulated target, model
/// options for a kernel suite.
pub fn ineffective_run_options(
    run: &super::opts::RunArgs,
    m: &super::opts::ModelOpts,
    suite: &str,
    target: &crate::config::target::Target,
    model_run: bool,
) -> Vec<String> {
    use crate::config::target::Connection;
    let mut out = Vec::new();
    if run.probe.probe.is_some() && target.connection == Connection::Emulator {
        out.push(format!(
            "--probe (or TINYBENCH_PROBE) has no effect: {} is emulated",
            target.name
        ));
    }
    if !model_run {
        let given = [
            ("--reps", m.reps != 3),
            ("--warmup", m.warmup != 1),
            ("--seed", m.seed != 1),
            ("--inputs-per-build", m.inputs_per_build.is_some()),
        ];
        for (flag, _) in given.iter().filter(|(_, g)| *g) {
            out.push(format!(
                "{flag} has no effect on kernel suite {}: it is for --model and model suites",
                suite
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_color_choice_is_read_in_both_spellings() {
        let args = |s: &[&str]| {
            s.iter()
                .map(|a| a.into())
                .collect::<Vec<std::ffi::OsString>>()
        };
        assert_eq!(
            color_from_args(&args(&["tb", "--color", "never"])),
            ColorWhen::Never
        );
        assert_eq!(
            color_from_args(&args(&["tb", "run", "--color=always"])),
            ColorWhen::Always
        );
        assert_eq!(color_from_args(&args(&["tb", "run"])), ColorWhen::Auto);
    }

    #[derive(clap::Parser)]
    struct Wrap {
        #[command(flatten)]
        run: crate::cmd::run::RunCmd,
    }

    #[test]
    fn options_with_no_effect_are_named() {
        use clap::Parser;
        let emulated =
            crate::config::target::tests::parse(crate::config::target::tests::GOOD).unwrap();
        let w = Wrap::try_parse_from(["tb", "--probe", "1366:1015", "--reps", "5"]).unwrap();
        let warnings =
            ineffective_run_options(&w.run.args, &w.run.model, &w.run.suite, &emulated, false);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("--probe") && warnings[1].contains("--reps"));
        // On a model run --reps counts; a plain run warns about nothing.
        assert_eq!(
            ineffective_run_options(&w.run.args, &w.run.model, &w.run.suite, &emulated, true).len(),
            1
        );
        let plain = Wrap::try_parse_from(["tb"]).unwrap();
        assert!(ineffective_run_options(
            &plain.run.args,
            &plain.run.model,
            &plain.run.suite,
            &emulated,
            false
        )
        .is_empty());
    }
}
