//! Talking to a PPK2 over its USB serial port (`serialport` without default features:
//! no libudev; ports are found by scanning sysfs). The byte-level work is in
//! [`crate::ppk2`]; this file only opens the port, sends commands and collects bytes on
//! a thread while the firmware runs.
//!
//! Never run against a real PPK2: written from the protocol descriptions and tested
//! with an in-memory port (`metadata_exchange_on_a_fake_port`).

use crate::ppk2::{Calibration, Command, MetadataError, Mode, Parser, Ppk2Sample};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Nordic's USB vendor id and the PPK2's product id.
pub const USB_ID: (u16, u16) = (0x1915, 0xc00a);

/// Why the PPK2 could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Ppk2Error {
    /// No port given and none found with the PPK2's USB id.
    #[error("no PPK2 attached (looked for USB {:04x}:{:04x} serial ports); connect one or name its port, e.g. --energy ppk2:/dev/ttyACM0", USB_ID.0, USB_ID.1)]
    NotFound,
    /// Several PPK2s: which one is ambiguous.
    #[error("{0} PPK2s attached ({1}); name one, e.g. --energy ppk2:{2}")]
    Ambiguous(usize, String, String),
    /// The port could not be opened or listed.
    #[error("PPK2 serial port {port}: {source}")]
    Port {
        /// Port path.
        port: String,
        /// Cause.
        source: serialport::Error,
    },
    /// Reading or writing failed.
    #[error("PPK2 I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The metadata text never completed.
    #[error("PPK2 sent no complete metadata within {0:?}")]
    MetadataTimeout(Duration),
    /// The metadata text was unusable.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// The source voltage is outside what the PPK2 can supply.
    #[error("PPK2 source voltage {0} mV is outside 800–5000 mV")]
    Voltage(u16),
}

/// The port to use: `port` if given, else the only serial port with the PPK2's USB id.
pub fn find_port(port: Option<&str>) -> Result<String, Ppk2Error> {
    if let Some(p) = port {
        return Ok(p.to_string());
    }
    // serialport scans /sys/class/tty on Linux without libudev and panics when it is
    // missing (some containers): no sysfs, no USB serial ports to find.
    if cfg!(target_os = "linux") && !std::path::Path::new("/sys/class/tty").is_dir() {
        return Err(Ppk2Error::NotFound);
    }
    let ports = serialport::available_ports().map_err(|source| Ppk2Error::Port {
        port: "(listing ports)".into(),
        source,
    })?;
    let found: Vec<String> = ports
        .into_iter()
        .filter(|p| {
            matches!(&p.port_type, serialport::SerialPortType::UsbPort(u)
                if (u.vid, u.pid) == USB_ID)
        })
        .map(|p| p.port_name)
        .collect();
    match found.len() {
        0 => Err(Ppk2Error::NotFound),
        1 => Ok(found[0].clone()),
        n => Err(Ppk2Error::Ambiguous(n, found.join(", "), found[0].clone())),
    }
}

/// Send the metadata request and read until the text ends with `END`.
pub fn read_metadata<P: Read + Write>(port: &mut P, limit: Duration) -> Result<String, Ppk2Error> {
    port.write_all(&Command::GetMetadata.bytes())?;
    let start = Instant::now();
    let mut text = Vec::new();
    let mut buf = [0u8; 256];
    while start.elapsed() < limit {
        match port.read(&mut buf) {
            Ok(0) => std::thread::sleep(Duration::from_millis(5)),
            Ok(n) => {
                text.extend_from_slice(&buf[..n]);
                let s = String::from_utf8_lossy(&text);
                if s.lines().any(|l| l.trim() == "END") {
                    return Ok(s.into_owned());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Ppk2Error::MetadataTimeout(limit))
}

/// What a capture recorded.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Decoded samples.
    pub samples: Vec<Ppk2Sample>,
    /// Parser state at the end (lost samples, invalid words).
    pub parser: Parser,
    /// The calibration used.
    pub calibration: Calibration,
}

/// A running capture: a thread reading the stream into the parser. Dropped without
/// [`Capture::finish`] (the run failed), it still tells the thread to stop.
pub struct Capture {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<Recording, Ppk2Error>>>,
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Capture {
    /// Open `port`, read the calibration, set source-meter mode at `vdd_mv` with the
    /// DUT powered, and start streaming.
    pub fn start(port: &str, vdd_mv: u16) -> Result<Capture, Ppk2Error> {
        if !crate::ppk2::VDD_MV.contains(&vdd_mv) {
            return Err(Ppk2Error::Voltage(vdd_mv));
        }
        let mut p = serialport::new(port, 9600)
            .timeout(Duration::from_millis(50))
            .open()
            .map_err(|source| Ppk2Error::Port {
                port: port.to_string(),
                source,
            })?;
        let meta = read_metadata(&mut p, Duration::from_secs(3))?;
        let calibration = Calibration::parse(&meta)?;
        for c in [
            Command::SetMode(Mode::Source),
            Command::SetVoltage(vdd_mv),
            Command::DutPower(true),
            Command::Start,
        ] {
            p.write_all(&c.bytes())?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut parser = Parser::new(calibration.clone(), vdd_mv);
            let mut samples = Vec::new();
            let mut buf = vec![0u8; 16 * 1024];
            while !flag.load(Ordering::Relaxed) {
                match p.read(&mut buf) {
                    Ok(n) => parser.feed(&buf[..n], &mut samples),
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(e) => return Err(e.into()),
                }
            }
            p.write_all(&Command::Stop.bytes())?;
            Ok(Recording {
                samples,
                parser,
                calibration,
            })
        });
        Ok(Capture {
            stop,
            thread: Some(thread),
        })
    }

    /// Stop streaming and return what was recorded.
    pub fn finish(mut self) -> Result<Recording, Ppk2Error> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            _ => Err(std::io::Error::other("PPK2 reader thread panicked").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory port: what was written, and replies served in pieces.
    struct FakePort {
        written: Vec<u8>,
        replies: Vec<Vec<u8>>,
    }

    impl Read for FakePort {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.replies.is_empty() {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
            let r = self.replies.remove(0);
            buf[..r.len()].copy_from_slice(&r);
            Ok(r.len())
        }
    }

    impl Write for FakePort {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.written.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn metadata_exchange_on_a_fake_port() {
        let mut p = FakePort {
            written: vec![],
            replies: vec![
                b"Calibrated: 0\nR0: 10".to_vec(),
                b"00\nEN".to_vec(),
                b"D\n".to_vec(),
            ],
        };
        let text = read_metadata(&mut p, Duration::from_secs(1)).unwrap();
        assert_eq!(p.written, vec![0x19]);
        assert!(
            text.contains("R0: 1000") && text.ends_with("END\n"),
            "{text}"
        );
        let mut silent = FakePort {
            written: vec![],
            replies: vec![b"R0: 1".to_vec()],
        };
        assert!(matches!(
            read_metadata(&mut silent, Duration::from_millis(30)),
            Err(Ppk2Error::MetadataTimeout(_))
        ));
    }

    #[test]
    fn a_named_port_that_does_not_exist_fails_with_its_name() {
        let e = Capture::start("/dev/tinybench-no-such-ppk2", 3000)
            .err()
            .unwrap();
        assert!(e.to_string().contains("/dev/tinybench-no-such-ppk2"), "{e}");
        assert!(matches!(
            Capture::start("/dev/x", 100),
            Err(Ppk2Error::Voltage(100))
        ));
    }
}
