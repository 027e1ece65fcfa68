//! `tinybench completions <shell>` and `tinybench man`: shell completions (clap_complete)
//! and man pages (clap_mangen), generated from the command line definition itself.

use std::io::Write;
use std::path::PathBuf;

/// Print a completion script for a shell.
///
/// bash: `tinybench completions bash > ~/.local/share/bash-completion/completions/tinybench`;
/// zsh: into a directory of `$fpath` as `_tinybench`; fish:
/// `~/.config/fish/completions/tinybench.fish`.
#[derive(Debug, clap::Args)]
pub struct CompletionsCmd {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl CompletionsCmd {
    /// Run the verb on `cmd`, the whole command line definition.
    pub fn run(self, mut cmd: clap::Command) -> anyhow::Result<u8> {
        let name = cmd.get_name().to_string();
        let mut out = Vec::new();
        clap_complete::generate(self.shell, &mut cmd, name, &mut out);
        std::io::stdout().write_all(&out)?;
        Ok(crate::exit::OK)
    }
}

/// Print the man page (roff), or write one page per subcommand into a directory.
///
/// `tinybench man | man -l -` reads it; `tinybench man --dir ~/.local/share/man/man1`
/// installs `tinybench.1` and `tinybench-<verb>.1` pages.
#[derive(Debug, clap::Args)]
pub struct ManCmd {
    /// Write `tinybench.1` and a page per subcommand here instead of printing one page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl ManCmd {
    /// Run the verb on `cmd`, the whole command line definition.
    pub fn run(self, cmd: clap::Command) -> anyhow::Result<u8> {
        match self.dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                clap_mangen::generate_to(cmd, &dir)?;
                crate::ui::note(format!("wrote man pages to {}", dir.display()));
            }
            None => {
                let mut out = Vec::new();
                clap_mangen::Man::new(cmd).render(&mut out)?;
                std::io::stdout().write_all(&out)?;
            }
        }
        Ok(crate::exit::OK)
    }
}
