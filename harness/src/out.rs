//! Output to stdout that survives a reader who left (`tinybench results show | head -1`):
//! `println!` panics on a closed pipe (exit 101). Every verb prints its results through
//! [`outln!`](crate::outln) instead; the first write that fails with `BrokenPipe` ends the
//! output quietly (later lines are dropped) and the verb finishes as it would have — the
//! run is still stored, and the exit status is the verb's own (docs/results.md).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Write one line (the text of `args` and `\n`) to stdout and flush it; nothing once
/// stdout is closed.
pub fn write_line(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written {
        CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("warning: stdout: {e}; no more output is written there");
        }
    }
}

/// Whether stdout has been found closed.
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// `println!` that ends quietly on a closed stdout (see [`crate::out`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::write_line(format_args!($($arg)*))
    };
}
