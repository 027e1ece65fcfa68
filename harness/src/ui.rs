//! Process-wide output settings from the global options (`-v/-q`, `--color`,
//! `--message-format`), set once in `main` before any verb runs. Library code reads them
//! to decide what to print on stderr; stdout stays the verb's output.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// How the messages for tools are printed (`--message-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum MessageFormat {
    /// Tables and text for people.
    #[default]
    Human,
    /// One JSON object per line on stdout (run start, each case, run end), for tools.
    Json,
}

/// When to color (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// When stderr is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ui {
    /// −1 with `-q`, 0 by default, +1 per `-v`.
    pub verbosity: i8,
    /// Color on stderr.
    pub color: bool,
    /// `--message-format`.
    pub message_format: MessageFormat,
}

static UI: OnceLock<Ui> = OnceLock::new();

impl ColorWhen {
    /// Whether to color a stream that is (or is not) a terminal.
    pub fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    /// The same choice for clap's help and errors.
    pub fn clap(self) -> clap::ColorChoice {
        match self {
            ColorWhen::Auto => clap::ColorChoice::Auto,
            ColorWhen::Always => clap::ColorChoice::Always,
            ColorWhen::Never => clap::ColorChoice::Never,
        }
    }
}

impl Ui {
    /// Set the process's settings (once).
    pub fn install(self) {
        let _ = UI.set(self);
    }

    /// The settings (defaults when `main` set none, as in tests).
    pub fn get() -> Ui {
        UI.get().copied().unwrap_or_default()
    }
}

/// Whether stderr is a terminal that `--color auto` would color.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// `-q`: progress bars and notes are off.
pub fn quiet() -> bool {
    Ui::get().verbosity < 0
}

/// `-v` (or more).
pub fn verbose() -> bool {
    Ui::get().verbosity > 0
}

/// `--message-format json`.
pub fn json_messages() -> bool {
    Ui::get().message_format == MessageFormat::Json
}

/// A note on stderr (a cache hit, where a run was saved), unless `-q`.
pub fn note(msg: impl std::fmt::Display) {
    if !quiet() {
        eprintln!("{msg}");
    }
}

/// A detail on stderr, with `-v` only.
pub fn detail(msg: impl std::fmt::Display) {
    if verbose() {
        eprintln!("{msg}");
    }
}

/// A warning on stderr (shown even with `-q`), `warning:` in yellow when coloring.
pub fn warn(msg: impl std::fmt::Display) {
    eprintln!("{} {msg}", paint("warning:", "33"));
}

/// `text` in the ANSI color `code` when stderr is colored.
pub fn paint(text: &str, code: &str) -> String {
    if Ui::get().color {
        format!("\x1b[1;{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Hide `bar` when progress is unwanted (`-q`, or JSON messages for a tool).
pub fn progress(bar: &indicatif::ProgressBar) {
    if quiet() || json_messages() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
}
