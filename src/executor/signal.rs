//! Ctrl-C and termination signals during a run: record the interrupted stages, then exit 130.
//!
//! The `ctrlc` crate does the per-OS part: SIGINT, SIGTERM and SIGHUP on Unix; Ctrl-C,
//! Ctrl-Break and closing the console on Windows. Its handler runs on a thread of its own (not
//! in signal context), so the cleanup may do real work. Handlers, unlike a blocked signal
//! mask, are not inherited by child processes (ProxyCommand, host stages), so those still die
//! on Ctrl-C as usual.
use std::sync::Mutex;

/// Installs the handler; `cleanup()` runs once, on the first signal, and must end the
/// process. A second install in the same process is refused by `ctrlc` and ignored here (the
/// first cleanup stays).
pub fn install(cleanup: impl FnOnce() + Send + 'static) {
    let once = Mutex::new(Some(cleanup));
    let _ = ctrlc::set_handler(move || {
        let f = once.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(f) = f {
            f();
        }
    });
}
