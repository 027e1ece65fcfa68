//! The seam implemented with probe-rs 0.32: listing probes, attaching, flashing through
//! its flash loader, core control and memory access on core 0.
//!
//! This file is the only one that touches probe-rs's session types. It compiles in CI
//! but has not run against a board here (no probe is attached to these machines).

use crate::select::{ProbeSpec, ProbeSummary};
use crate::session::{BoardSession, Connector, CoreState, FlashStatus, Reg, SessionError};
use probe_rs::flashing::{
    DownloadOptions, ElfLoader, ElfOptions, FlashProgress, ProgressEvent, ProgressOperation,
};
use probe_rs::probe::list::{Accessibility, Lister};
use probe_rs::probe::{DebugProbeError, DebugProbeSelector, ProbeCreationError};
use probe_rs::{CoreStatus, MemoryInterface, Permissions, Session};
use std::time::Duration;
use tinybench_device::rtt::TargetMemory;

/// Every probe attached, with whether this user may open it.
pub fn list_probes() -> Vec<ProbeSummary> {
    Lister::new()
        .list_all_with_access()
        .into_iter()
        .map(|item| ProbeSummary {
            identifier: item.info.identifier.clone(),
            vendor_id: item.info.vendor_id,
            product_id: item.info.product_id,
            serial: item.info.serial_number.clone(),
            accessible: item.accessibility == Accessibility::Accessible,
        })
        .collect()
}

/// Attaches to `chip` through the probe `selector` names.
#[derive(Debug, Clone)]
pub struct ProbeRsConnector {
    selector: DebugProbeSelector,
    chip: String,
    label: String,
}

impl ProbeRsConnector {
    /// A connector for `probe` and the probe-rs chip name `chip`.
    pub fn new(probe: &ProbeSummary, chip: &str) -> Self {
        let spec = ProbeSpec {
            vendor_id: Some(probe.vendor_id),
            product_id: Some(probe.product_id),
            serial: probe.serial.clone(),
        };
        Self {
            selector: DebugProbeSelector {
                vendor_id: probe.vendor_id,
                product_id: probe.product_id,
                interface: None,
                serial_number: spec.serial,
            },
            chip: chip.to_string(),
            label: format!("{probe} → {chip}"),
        }
    }
}

/// A probe that is no longer there is not worth another attach attempt.
fn is_gone(e: &DebugProbeError) -> bool {
    matches!(
        e,
        DebugProbeError::ProbeCouldNotBeCreated(ProbeCreationError::NotFound)
    )
}

fn session_err(e: probe_rs::Error) -> SessionError {
    let lost = matches!(&e, probe_rs::Error::Probe(p) if is_gone(p));
    SessionError {
        detail: format!("{e}"),
        lost,
    }
}

impl Connector for ProbeRsConnector {
    fn attach(&mut self, attempt: u32) -> Result<Box<dyn BoardSession>, SessionError> {
        let probe = Lister::new()
            .open(self.selector.clone())
            .map_err(|e| SessionError {
                lost: is_gone(&e),
                detail: format!("opening the probe: {e}"),
            })?;
        let session = if attempt <= 1 {
            probe.attach(self.chip.as_str(), Permissions::default())
        } else {
            // Reset-and-retry: a core in deep sleep or with SWD pins remapped answers
            // only while held in reset.
            probe.attach_under_reset(self.chip.as_str(), Permissions::default())
        }
        .map_err(session_err)?;
        Ok(Box::new(ProbeRsSession { session }))
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

/// An attached probe-rs session; everything goes to core 0.
pub struct ProbeRsSession {
    session: Session,
}

impl ProbeRsSession {
    fn core(&mut self) -> Result<probe_rs::Core<'_>, SessionError> {
        self.session.core(0).map_err(session_err)
    }
}

impl TargetMemory for ProbeRsSession {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), String> {
        let mut core = self.core().map_err(|e| e.detail)?;
        core.read(addr, buf).map_err(|e| e.to_string())
    }

    fn write_u32(&mut self, addr: u64, value: u32) -> Result<(), String> {
        let mut core = self.core().map_err(|e| e.detail)?;
        core.write_word_32(addr, value).map_err(|e| e.to_string())
    }
}

fn phase(op: ProgressOperation) -> &'static str {
    match op {
        ProgressOperation::Fill => "read back",
        ProgressOperation::Erase => "erase",
        ProgressOperation::Program => "program",
        ProgressOperation::Verify => "verify",
    }
}

impl BoardSession for ProbeRsSession {
    fn flash(
        &mut self,
        elf: &[u8],
        progress: &mut dyn FnMut(FlashStatus),
    ) -> Result<(), SessionError> {
        let mut loader = self.session.target().flash_loader();
        loader
            .load_image(
                &mut self.session,
                &mut std::io::Cursor::new(elf),
                ElfLoader(ElfOptions::default()),
                None,
            )
            .map_err(|e| SessionError::new(format!("reading the ELF for flashing: {e}")))?;
        let mut options = DownloadOptions::default();
        options.verify = true;
        options.progress = FlashProgress::new(|event| match event {
            ProgressEvent::AddProgressBar { .. } => {}
            ProgressEvent::Started(op) => progress(FlashStatus::Phase {
                name: phase(op),
                total: None,
            }),
            ProgressEvent::Progress { size, .. } => progress(FlashStatus::Progress { bytes: size }),
            _ => {}
        });
        loader
            .commit(&mut self.session, options)
            .map_err(|e| SessionError::new(format!("{e}")))?;
        progress(FlashStatus::Done);
        Ok(())
    }

    fn reset_and_run(&mut self) -> Result<(), SessionError> {
        // `Core::reset` lets the core run from the reset vector afterwards.
        self.core()?.reset().map_err(session_err)
    }

    fn state(&mut self) -> Result<CoreState, SessionError> {
        Ok(match self.core()?.status().map_err(session_err)? {
            CoreStatus::Halted(_) => CoreState::Halted,
            CoreStatus::LockedUp => CoreState::LockedUp,
            CoreStatus::Running | CoreStatus::Sleeping | CoreStatus::Unknown => CoreState::Running,
        })
    }

    fn halt(&mut self) -> Result<(), SessionError> {
        self.core()?
            .halt(Duration::from_millis(500))
            .map(|_| ())
            .map_err(session_err)
    }

    fn read_reg(&mut self, reg: Reg) -> Result<u32, SessionError> {
        let mut core = self.core()?;
        let regs = core.registers();
        let id = match reg {
            Reg::Pc => regs.pc(),
            Reg::Lr => Some(core.return_address()),
            Reg::Msp => regs.msp(),
            Reg::Psp => regs.psp(),
            Reg::Xpsr => regs.psr(),
        }
        .ok_or_else(|| SessionError::new(format!("this core has no {reg:?} register")))?
        .id();
        core.read_core_reg::<u32>(id).map_err(session_err)
    }
}
