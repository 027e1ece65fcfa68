//! Where a run came from: the measured project's git commit (and whether its tree was
//! dirty), the firmware toolchain and the host. Filled into `RunResult::meta` before a run
//! is stored. Anything unknown stays `None`; nothing here fails a run.

use crate::config::target::Target;
use std::path::Path;
use std::process::Command;
use tinybench_device::protocol::Event;
use tinybench_device::FirmwareImage;
use tinybench_results::{MemoryFootprint, RunMeta};

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

/// Everything known about where a run was made (the run id is set by the store).
pub fn collect(project_root: &Path, toolchain: Option<String>) -> RunMeta {
    let (git_commit, git_dirty) = git_state(project_root);
    RunMeta {
        git_commit,
        git_dirty,
        toolchain,
        host: gethostname::gethostname().into_string().ok(),
        ..RunMeta::default()
    }
}

/// Fill `meta` before the run is stored: provenance, the target's clock and file hash;
/// what the run already knows (the firmware footprint) is kept.
pub fn fill(meta: &mut RunMeta, project_root: &Path, toolchain: Option<String>, target: &Target) {
    let memory = meta.memory.take();
    *meta = RunMeta {
        clock_hz: Some(target.clock_hz),
        target_sha256: Some(target.sha256.clone()),
        memory,
        ..collect(project_root, toolchain)
    };
}

/// Flash and RAM of the firmware from its ELF, the stack from the firmware's painted
/// high-water mark (`TB stack`), and the target's sizes. `None` when the ELF's sections
/// cannot be read (the run itself does not depend on it).
pub fn memory(image: &FirmwareImage, target: &Target, events: &[Event]) -> Option<MemoryFootprint> {
    let f = crate::firmware::patch::footprint(image).ok()?;
    let stack_used = events.iter().find_map(|e| match *e {
        Event::Stack { used, .. } => Some(u64::from(used)),
        _ => None,
    });
    Some(MemoryFootprint {
        text: f.text,
        rodata: f.rodata,
        data: f.data,
        bss: f.bss,
        stack_used,
        flash_size: target.flash.size,
        ram_size: target.ram.size,
    })
}
