//! Ctrl-C and SIGTERM during a run: record the interrupted stages, then exit 130.
//!
//! The signal handler only sets a flag (all it may safely do); a watcher thread sees the flag
//! and runs the cleanup. Handlers, unlike a blocked signal mask, are not inherited by child
//! processes (ProxyCommand, host stages), so those still die on Ctrl-C as usual.
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

static SIGNALLED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNALLED.store(sig, Ordering::SeqCst);
}

/// Installs handlers for SIGINT and SIGTERM; `cleanup(signal)` runs once on the first one,
/// on a watcher thread, and must end the process.
pub fn install(cleanup: impl FnOnce(i32) + Send + 'static) {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    std::thread::spawn(move || {
        loop {
            let sig = SIGNALLED.load(Ordering::SeqCst);
            if sig != 0 {
                cleanup(sig);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}
