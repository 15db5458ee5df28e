//! Handing the terminal to another program (`mlk ssh` runs the system OpenSSH client, which
//! Windows 10+ ships as `ssh.exe`): on Unix it replaces mlk (exec), elsewhere mlk waits for it
//! and exits with its status.
use std::process::Command;

/// Runs `cmd` in mlk's place; returns only when it could not be started.
pub fn replace_with(cmd: &mut Command) -> std::io::Error {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.exec()
    }
    #[cfg(not(unix))]
    match cmd.status() {
        Ok(st) => std::process::exit(st.code().unwrap_or(255)),
        Err(e) => e,
    }
}
