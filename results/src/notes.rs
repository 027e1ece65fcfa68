//! What differs between two runs besides the measured code: the notes a comparison shows
//! beside its verdict, so a change of compiler or clock is never read as a code change.

use crate::RunResult;

/// One line per difference of environment between `base` and `head`; a note when they
/// are the same run.
pub fn environment(base: &RunResult, head: &RunResult) -> Vec<String> {
    let mut notes = Vec::new();
    let (b, h) = (&base.meta, &head.meta);
    if !b.run_id.is_empty() && b.run_id == h.run_id {
        notes.push(format!(
            "BASE and HEAD are the same run ({}): this compares a run with itself",
            h.run_id
        ));
        return notes;
    }
    if b.git_commit.is_some() && b.git_commit == h.git_commit && b.git_dirty == h.git_dirty {
        notes.push(format!(
            "BASE and HEAD were made at the same commit ({})",
            h.commit_label()
        ));
    }
    let mut differs = |what: &str, bv: Option<String>, hv: Option<String>| {
        if let (Some(bv), Some(hv)) = (bv, hv) {
            if bv != hv {
                notes.push(format!("{what} changed: {bv} → {hv}"));
            }
        }
    };
    differs("toolchain", b.toolchain.clone(), h.toolchain.clone());
    differs(
        "tinybench version",
        Some(base.tinybench_version.clone()),
        Some(head.tinybench_version.clone()),
    );
    differs(
        "target file",
        b.target_sha256.as_deref().map(short),
        h.target_sha256.as_deref().map(short),
    );
    differs("clock", b.clock_hz.map(mhz), h.clock_hz.map(mhz));
    differs(
        "backend",
        Some(base.backend.clone()),
        Some(head.backend.clone()),
    );
    differs("host", b.host.clone(), h.host.clone());
    differs(
        "suite definition",
        Some(base.suite_hash.clone()),
        Some(head.suite_hash.clone()),
    );
    differs(
        "cycle model",
        base.cycle_model.clone(),
        head.cycle_model.clone(),
    );
    if h.git_dirty == Some(true) {
        notes.push("HEAD was made from a working tree with uncommitted changes".into());
    }
    notes
}

fn short(sha: &str) -> String {
    format!("sha256 {}", &sha[..sha.len().min(12)])
}

fn mhz(hz: u64) -> String {
    format!("{} MHz", hz as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_run;

    fn run() -> RunResult {
        parse_run(include_str!("../tests/fixtures/v1-smoke.json")).unwrap()
    }

    #[test]
    fn toolchain_clock_and_target_changes_are_noted() {
        let mut base = run();
        base.meta.run_id = "a".into();
        base.meta.toolchain = Some("rustc 1.90.0".into());
        base.meta.clock_hz = Some(64_000_000);
        base.meta.target_sha256 = Some("aa".repeat(32));
        let mut head = base.clone();
        head.meta.run_id = "b".into();
        head.meta.toolchain = Some("rustc 1.91.0".into());
        head.meta.clock_hz = Some(48_000_000);
        head.meta.target_sha256 = Some("bb".repeat(32));
        let notes = environment(&base, &head);
        assert!(notes.contains(&"toolchain changed: rustc 1.90.0 → rustc 1.91.0".to_string()));
        assert!(notes.contains(&"clock changed: 64 MHz → 48 MHz".to_string()));
        assert!(notes
            .iter()
            .any(|n| n.starts_with("target file changed: sha256 aaaa")));
        assert_eq!(notes.len(), 3, "{notes:?}");
        // Unknown on one side (an older file) is not a change.
        head.meta.toolchain = None;
        assert_eq!(environment(&base, &head).len(), 2);
    }

    #[test]
    fn a_run_against_itself_says_so() {
        let mut r = run();
        r.meta.run_id = "20261124T051500Z-sim".into();
        let notes = environment(&r, &r);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("compares a run with itself"), "{notes:?}");
    }
}
