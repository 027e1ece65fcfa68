//! Which probe drives which target: `--probe VID:PID[:SERIAL]`, a runner config that maps
//! probes to targets, or the only probe attached. Pure logic over a probe list, so it is
//! tested without USB.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One attached probe, as listed (probe-rs's `DebugProbeInfo` minus its driver handle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSummary {
    /// Probe name, e.g. `J-Link`.
    pub identifier: String,
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// Serial number, when the probe has one.
    pub serial: Option<String>,
    /// Whether this process may open it (Linux: udev permissions).
    pub accessible: bool,
}

impl ProbeSummary {
    /// The probe-rs selector that picks exactly this probe.
    pub fn selector(&self) -> String {
        let mut s = format!("{:04x}:{:04x}", self.vendor_id, self.product_id);
        if let Some(serial) = &self.serial {
            s.push(':');
            s.push_str(serial);
        }
        s
    }
}

impl std::fmt::Display for ProbeSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.identifier, self.selector())
    }
}

/// A probe selector in probe-rs syntax: `VID:PID[:SERIAL]`, hex ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    /// USB vendor id; `None` matches any (runner-config `serial = …` entries).
    pub vendor_id: Option<u16>,
    /// USB product id; `None` matches any.
    pub product_id: Option<u16>,
    /// Serial number; `None` matches any.
    pub serial: Option<String>,
}

impl ProbeSpec {
    /// Match by serial number only.
    pub fn serial(serial: &str) -> Self {
        Self {
            vendor_id: None,
            product_id: None,
            serial: Some(serial.to_string()),
        }
    }

    /// Whether `p` is the probe this spec names.
    pub fn matches(&self, p: &ProbeSummary) -> bool {
        self.vendor_id.is_none_or(|v| v == p.vendor_id)
            && self.product_id.is_none_or(|v| v == p.product_id)
            && self
                .serial
                .as_ref()
                .is_none_or(|s| p.serial.as_deref() == Some(s.as_str()))
    }
}

impl std::str::FromStr for ProbeSpec {
    type Err = SelectError;
    /// Parsed by probe-rs itself, so the syntax is exactly probe-rs's.
    fn from_str(s: &str) -> Result<Self, SelectError> {
        let sel: probe_rs::probe::DebugProbeSelector =
            s.parse().map_err(|e| SelectError::BadSelector {
                given: s.to_string(),
                detail: format!("{e}"),
            })?;
        Ok(Self {
            vendor_id: Some(sel.vendor_id),
            product_id: Some(sel.product_id),
            serial: sel.serial_number.filter(|s| !s.is_empty()),
        })
    }
}

impl std::fmt::Display for ProbeSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.vendor_id, self.product_id) {
            (Some(v), Some(p)) => write!(f, "{v:04x}:{p:04x}")?,
            _ => write!(f, "serial")?,
        }
        if let Some(s) = &self.serial {
            write!(f, ":{s}")?;
        }
        Ok(())
    }
}

/// Why no probe could be chosen for a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// Not `VID:PID[:SERIAL]`.
    #[error("`{given}` is not a probe selector (VID:PID[:SERIAL], hex ids, e.g. 1366:1015:000683012345): {detail}")]
    BadSelector {
        /// What was given.
        given: String,
        /// probe-rs's words.
        detail: String,
    },
    /// No probe attached at all.
    #[error(
        "no debug probe found for target {target} (probe-rs chip {chip}): connect the board's probe \
         and check it with `tinybench probes`; with several probes, pick one with \
         `--probe VID:PID[:SERIAL]` or map its serial to {target} in a runner config (`--runner-config`, docs/boards.md)"
    )]
    NoProbe {
        /// Target name.
        target: String,
        /// probe-rs chip name.
        chip: String,
    },
    /// The requested probe is not attached.
    #[error(
        "probe {spec} ({how}) for target {target} (probe-rs chip {chip}) is not attached; attached: {attached}"
    )]
    NotAttached {
        /// The selector.
        spec: String,
        /// Where it came from.
        how: String,
        /// Target name.
        target: String,
        /// Chip.
        chip: String,
        /// What is attached, in words.
        attached: String,
    },
    /// Several probes fit.
    #[error(
        "{count} probes could drive target {target} ({candidates}): pick one with `--probe VID:PID:SERIAL` \
         or map serials to targets in a runner config (`--runner-config`, docs/boards.md)"
    )]
    Ambiguous {
        /// Target name.
        target: String,
        /// How many.
        count: usize,
        /// Them, in words.
        candidates: String,
    },
    /// Found, but this user may not open it.
    #[error(
        "probe {probe} for target {target} is attached but this user may not open it: install the probe-rs \
         udev rules (docs/boards.md) and replug it"
    )]
    PermissionDenied {
        /// The probe.
        probe: String,
        /// Target name.
        target: String,
    },
    /// The runner config file is unreadable or invalid.
    #[error("runner config {path}: {detail}")]
    RunnerConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong (with line and column from the TOML parser).
        detail: String,
    },
}

/// The probe chosen for a target and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// The probe.
    pub probe: ProbeSummary,
    /// `--probe`, `runner config <path>` or `the only probe attached`.
    pub how: String,
}

/// One board of a runner config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardEntry {
    /// Target name (a file in `targets/`).
    pub target: String,
    /// The probe wired to it.
    pub probe: ProbeSpec,
    /// Wall-clock limit of one run on this board, in seconds (`timeout`).
    pub timeout: Option<u64>,
    /// Shell command that power-cycles this board (`power_cycle`, e.g. a `uhubctl` call);
    /// overrides the file's default.
    pub power_cycle: Option<String>,
}

/// A runner config: which probe on this machine drives which target (`ci/runner.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunnerConfig {
    /// The file it came from.
    pub path: PathBuf,
    /// Boards, in file order.
    pub boards: Vec<BoardEntry>,
    /// Attach attempts per board, when set.
    pub attach_attempts: Option<u32>,
    /// How often `tinybench ci` retries a board after an infrastructure failure (`[retry]
    /// infra_retries`).
    pub infra_retries: Option<u32>,
    /// Seconds to wait before a retry (`[retry] delay`).
    pub retry_delay: Option<u64>,
    /// Default power-cycle command for every board (`power_cycle`).
    pub power_cycle: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRunner {
    attach_attempts: Option<u32>,
    power_cycle: Option<String>,
    retry: Option<RawRetry>,
    #[serde(default)]
    board: Vec<RawBoard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoard {
    target: String,
    probe: Option<String>,
    serial: Option<String>,
    timeout: Option<u64>,
    power_cycle: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    infra_retries: Option<u32>,
    delay: Option<u64>,
}

/// A power-cycle command must say something.
fn command(at: &str, c: Option<String>) -> Result<Option<String>, String> {
    match c {
        Some(c) if c.trim().is_empty() => Err(format!("{at}power_cycle is empty")),
        c => Ok(c),
    }
}

impl RunnerConfig {
    /// Read and validate a runner config file.
    pub fn load(path: &Path) -> Result<Self, SelectError> {
        let text = std::fs::read_to_string(path).map_err(|e| SelectError::RunnerConfig {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        Self::parse(path, &text)
    }

    /// Validate the text of a runner config.
    pub fn parse(path: &Path, text: &str) -> Result<Self, SelectError> {
        let err = |detail: String| SelectError::RunnerConfig {
            path: path.to_path_buf(),
            detail,
        };
        let raw: RawRunner = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if raw.attach_attempts == Some(0) {
            return Err(err("attach_attempts must be at least 1".into()));
        }
        let mut boards: Vec<BoardEntry> = Vec::new();
        for (i, b) in raw.board.into_iter().enumerate() {
            let at = format!("board[{i}] (target {})", b.target);
            let probe = match (b.probe, b.serial) {
                (Some(p), None) => p
                    .parse()
                    .map_err(|e: SelectError| err(format!("{at}.probe: {e}")))?,
                (None, Some(s)) if !s.is_empty() => ProbeSpec::serial(&s),
                (None, Some(_)) => return Err(err(format!("{at}.serial is empty"))),
                _ => {
                    return Err(err(format!(
                    "{at}: give exactly one of `probe = \"VID:PID[:SERIAL]\"` or `serial = \"…\"`"
                )))
                }
            };
            if boards.iter().any(|o| o.target == b.target) {
                return Err(err(format!("{at}: target listed twice")));
            }
            if b.timeout == Some(0) {
                return Err(err(format!("{at}.timeout must be at least 1 (seconds)")));
            }
            let power_cycle = command(&format!("{at}."), b.power_cycle).map_err(err)?;
            boards.push(BoardEntry {
                target: b.target,
                probe,
                timeout: b.timeout,
                power_cycle,
            });
        }
        let retry = raw.retry.unwrap_or(RawRetry {
            infra_retries: None,
            delay: None,
        });
        Ok(Self {
            path: path.to_path_buf(),
            boards,
            attach_attempts: raw.attach_attempts,
            infra_retries: retry.infra_retries,
            retry_delay: retry.delay,
            power_cycle: command("", raw.power_cycle).map_err(err)?,
        })
    }

    /// The entry for `target`.
    pub fn board(&self, target: &str) -> Option<&BoardEntry> {
        self.boards.iter().find(|b| b.target == target)
    }

    /// The power-cycle command for `target`: its own, else the file's default.
    pub fn power_cycle_for(&self, target: &str) -> Option<&str> {
        self.board(target)
            .and_then(|b| b.power_cycle.as_deref())
            .or(self.power_cycle.as_deref())
    }

    /// Targets whose probe is attached now, in file order (for `--all-attached`).
    pub fn attached_targets(&self, probes: &[ProbeSummary]) -> Vec<String> {
        self.boards
            .iter()
            .filter(|b| probes.iter().any(|p| b.probe.matches(p)))
            .map(|b| b.target.clone())
            .collect()
    }
}

fn list(probes: &[&ProbeSummary]) -> String {
    if probes.is_empty() {
        return "none".into();
    }
    probes
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Choose the probe for `target`: `explicit` (`--probe`) first, then the runner
/// config's entry for the target, then the only attached probe (unless a runner config
/// assigns it to another target).
pub fn select(
    probes: &[ProbeSummary],
    target: &str,
    chip: &str,
    explicit: Option<&ProbeSpec>,
    runner: Option<&RunnerConfig>,
) -> Result<Selected, SelectError> {
    let from_config = runner.and_then(|r| r.board(target).map(|b| (r, b)));
    let (candidates, how): (Vec<&ProbeSummary>, String) = match (explicit, from_config) {
        (Some(spec), _) => (
            probes.iter().filter(|p| spec.matches(p)).collect(),
            "--probe".into(),
        ),
        (None, Some((r, b))) => (
            probes.iter().filter(|p| b.probe.matches(p)).collect(),
            format!("runner config {}", r.path.display()),
        ),
        (None, None) => {
            // Probes a runner config gives to other targets are not ours to take.
            let free: Vec<&ProbeSummary> = probes
                .iter()
                .filter(|p| runner.is_none_or(|r| !r.boards.iter().any(|b| b.probe.matches(p))))
                .collect();
            (free, "the only probe attached".into())
        }
    };
    let spec = explicit
        .cloned()
        .or_else(|| from_config.map(|(_, b)| b.probe.clone()));
    match (candidates.as_slice(), spec) {
        ([], Some(spec)) => Err(SelectError::NotAttached {
            spec: spec.to_string(),
            how,
            target: target.into(),
            chip: chip.into(),
            attached: list(&probes.iter().collect::<Vec<_>>()),
        }),
        ([], None) => Err(SelectError::NoProbe {
            target: target.into(),
            chip: chip.into(),
        }),
        ([one], _) if !one.accessible => Err(SelectError::PermissionDenied {
            probe: one.to_string(),
            target: target.into(),
        }),
        ([one], _) => Ok(Selected {
            probe: (*one).clone(),
            how,
        }),
        (many, _) => Err(SelectError::Ambiguous {
            target: target.into(),
            count: many.len(),
            candidates: list(many),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(vid: u16, pid: u16, serial: &str) -> ProbeSummary {
        ProbeSummary {
            identifier: "Probe".into(),
            vendor_id: vid,
            product_id: pid,
            serial: Some(serial.into()),
            accessible: true,
        }
    }

    const RUNNER: &str = r#"
attach_attempts = 4
[[board]]
target = "nrf52840"
probe = "1366:1015:000683"
[[board]]
target = "rp2040"
serial = "E661"
"#;

    fn runner() -> RunnerConfig {
        RunnerConfig::parse(Path::new("runner.toml"), RUNNER).unwrap()
    }

    #[test]
    fn selector_syntax_is_probe_rs_and_bad_input_is_an_error() {
        let s: ProbeSpec = "1366:1015:000683".parse().unwrap();
        assert_eq!(
            (s.vendor_id, s.product_id, s.serial.as_deref()),
            (Some(0x1366), Some(0x1015), Some("000683"))
        );
        assert!(s.matches(&probe(0x1366, 0x1015, "000683")));
        assert!(!s.matches(&probe(0x1366, 0x1015, "999")));
        let err = "jlink".parse::<ProbeSpec>().unwrap_err();
        assert!(err.to_string().contains("VID:PID"), "{err}");
    }

    #[test]
    fn no_probe_names_target_chip_and_how_to_select() {
        let err = select(&[], "nrf52840", "nRF52840_xxAA", None, None).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("nrf52840") && msg.contains("nRF52840_xxAA"),
            "{msg}"
        );
        assert!(
            msg.contains("--probe") && msg.contains("runner config"),
            "{msg}"
        );
    }

    #[test]
    fn the_only_probe_is_taken_unless_another_target_owns_it() {
        let p = vec![probe(0x2e8a, 0x000c, "E661")];
        let got = select(&p, "nrf52840", "nRF52840_xxAA", None, None).unwrap();
        assert_eq!(got.probe.selector(), "2e8a:000c:E661");
        // With the runner config, E661 belongs to rp2040.
        let r = runner();
        assert!(matches!(
            select(&p, "nrf52840", "nRF52840_xxAA", None, Some(&r)),
            Err(SelectError::NotAttached { .. })
        ));
        assert_eq!(
            select(&p, "rp2040", "RP2040", None, Some(&r))
                .unwrap()
                .probe,
            p[0]
        );
    }

    #[test]
    fn several_probes_need_a_choice_and_explicit_wins() {
        let p = vec![
            probe(0x1366, 0x1015, "000683"),
            probe(0x2e8a, 0x000c, "E661"),
        ];
        assert!(matches!(
            select(&p, "x", "chip", None, None),
            Err(SelectError::Ambiguous { count: 2, .. })
        ));
        let spec: ProbeSpec = "2e8a:000c".parse().unwrap();
        let got = select(&p, "nrf52840", "c", Some(&spec), Some(&runner())).unwrap();
        assert_eq!(
            (got.probe.selector().as_str(), got.how.as_str()),
            ("2e8a:000c:E661", "--probe")
        );
        assert_eq!(runner().attached_targets(&p), vec!["nrf52840", "rp2040"]);
        assert_eq!(runner().attached_targets(&p[1..]), vec!["rp2040"]);
    }

    #[test]
    fn permission_problem_points_at_udev() {
        let mut p = probe(0x1366, 0x1015, "000683");
        p.accessible = false;
        let err = select(&[p], "nrf52840", "c", None, None).unwrap_err();
        assert!(err.to_string().contains("udev"), "{err}");
    }

    #[test]
    fn runner_config_errors_name_the_entry() {
        let bad = "[[board]]\ntarget = \"a\"\n";
        let err = RunnerConfig::parse(Path::new("r.toml"), bad).unwrap_err();
        assert!(err.to_string().contains("board[0] (target a)"), "{err}");
        let bad = "[[board]]\ntarget = \"a\"\nprobe = \"zz\"\n";
        let err = RunnerConfig::parse(Path::new("r.toml"), bad).unwrap_err();
        assert!(
            err.to_string().contains("board[0] (target a).probe"),
            "{err}"
        );
        let err = RunnerConfig::parse(Path::new("r.toml"), "boards = 1").unwrap_err();
        assert!(err.to_string().contains("r.toml"), "{err}");
        assert_eq!(runner().attach_attempts, Some(4));
        let bad = "[[board]]\ntarget = \"a\"\nserial = \"1\"\ntimeout = 0\n";
        let err = RunnerConfig::parse(Path::new("r.toml"), bad).unwrap_err();
        assert!(
            err.to_string().contains("board[0] (target a).timeout"),
            "{err}"
        );
        let err = RunnerConfig::parse(Path::new("r.toml"), "[retry]\nattempts = 2\n").unwrap_err();
        assert!(err.to_string().contains("attempts"), "{err}");
    }

    #[test]
    fn retry_policy_timeouts_and_power_cycle_hooks_parse() {
        let text = r#"
power_cycle = "uhubctl -l 1-1 -a cycle"
[retry]
infra_retries = 2
delay = 10
[[board]]
target = "nrf52840"
serial = "000683"
timeout = 600
power_cycle = "uhubctl -l 1-1 -p 2 -a cycle"
[[board]]
target = "rp2040"
serial = "E661"
"#;
        let r = RunnerConfig::parse(Path::new("r.toml"), text).unwrap();
        assert_eq!((r.infra_retries, r.retry_delay), (Some(2), Some(10)));
        assert_eq!(r.board("nrf52840").unwrap().timeout, Some(600));
        assert_eq!(
            r.power_cycle_for("nrf52840"),
            Some("uhubctl -l 1-1 -p 2 -a cycle")
        );
        assert_eq!(r.power_cycle_for("rp2040"), Some("uhubctl -l 1-1 -a cycle"));
        let err = RunnerConfig::parse(Path::new("r.toml"), "power_cycle = \" \"\n").unwrap_err();
        assert!(err.to_string().contains("power_cycle is empty"), "{err}");
    }
}
