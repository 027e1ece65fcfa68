//! Where a run came from: the measured project's git commit (and whether its tree was
//! dirty), the firmware toolchain and the host. Filled into `RunResult::meta` before a run
//! is stored. Anything unknown stays `None`; nothing here fails a run.

use std::path::Path;
use std::process::Command;
use tinybench_results::RunMeta;

/// `git rev-parse HEAD` and dirty flag of the repository holding `dir`, if it is one.
pub fn git_state(dir: &Path) -> (Option<String>, Option<bool>) {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "--verify", "HEAD"]) else {
        return (None, None);
    };
    // Untracked files do not change what was built from tracked sources.
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty());
    (Some(commit), dirty)
}

/// Resolve a git ref (branch, tag, `HEAD~3`, sha) of the project to a full commit.
pub fn git_resolve(dir: &Path, reference: &str) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{reference}^{{commit}}"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Everything known about where a run was made (the run id is set by the store), kept
/// with what the runner recorded (the clock). `project_dir` is the user's project: its
/// commit is what was measured, not tinybench's own.
pub fn fill(meta: &mut RunMeta, project_dir: &Path, toolchain: Option<String>) {
    let (git_commit, git_dirty) = git_state(project_dir);
    *meta = RunMeta {
        run_id: String::new(),
        git_commit,
        git_dirty,
        toolchain,
        host: gethostname::gethostname().into_string().ok(),
        clock_hz: meta.clock_hz,
    };
}
