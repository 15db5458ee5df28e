//! The host's POSIX shell, for what mlk runs on this machine through one: custom stages with
//! `target: host` (bash, docs/stages.md) and a node's ProxyCommand (sh, as OpenSSH runs it).
//! Unix hosts always have both. Windows has neither unless Git for Windows (or MSYS2, Cygwin)
//! is installed; then mlk refuses those with what to install. Built-in stages need no shell.
use std::path::{Path, PathBuf};

/// Which shell a caller needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// `/bin/sh` on Unix: ProxyCommands.
    Sh,
    /// `bash` from PATH: host stages' snippets.
    Bash,
}

impl Shell {
    fn name(self) -> &'static str {
        match self {
            Shell::Sh => "sh",
            Shell::Bash => "bash",
        }
    }
}

/// Why no shell could be used: says what to install.
pub fn missing_message(shell: Shell, what: &str) -> String {
    format!(
        "{what} needs a POSIX shell (`{}`), and none was found on PATH or in Git for Windows' folder; \
         install Git for Windows (it brings bash.exe and sh.exe; https://git-scm.com/download/win) \
         or run mlk inside WSL, then try again",
        shell.name()
    )
}

/// The program to start for `shell`, or why there is none (see [`missing_message`]).
pub fn find(shell: Shell, what: &str) -> Result<PathBuf, String> {
    if cfg!(unix) {
        // Unix: sh is at /bin/sh by POSIX convention; bash is found on PATH when spawned.
        return Ok(PathBuf::from(match shell {
            Shell::Sh => "/bin/sh",
            Shell::Bash => "bash",
        }));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    for var in ["ProgramFiles", "ProgramW6432", "LOCALAPPDATA"] {
        if let Some(base) = std::env::var_os(var) {
            let base = PathBuf::from(base);
            // Git for Windows' default install folders (per machine, or per user under Programs).
            dirs.push(base.join("Git").join("bin"));
            dirs.push(base.join("Programs").join("Git").join("bin"));
        }
    }
    search(&dirs, shell.name(), ".exe").ok_or_else(|| missing_message(shell, what))
}

/// The first `dir/name<ext>` that is a file, in order.
pub fn search(dirs: &[PathBuf], name: &str, ext: &str) -> Option<PathBuf> {
    dirs.iter()
        .map(|d| d.join(format!("{name}{ext}")))
        .find(|p| Path::new(p).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_takes_the_first_folder_that_has_the_program() {
        let t = tempfile::tempdir().unwrap();
        let (a, b, c) = (t.path().join("a"), t.path().join("b b"), t.path().join("c"));
        for d in [&a, &b, &c] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(b.join("bash.exe"), "").unwrap();
        std::fs::write(c.join("bash.exe"), "").unwrap();
        std::fs::create_dir(a.join("bash.exe")).unwrap(); // a folder is not the program
        let dirs = [a.clone(), b.clone(), c];
        assert_eq!(search(&dirs, "bash", ".exe"), Some(b.join("bash.exe")));
        assert_eq!(search(&dirs, "sh", ".exe"), None);
        assert_eq!(search(&[], "sh", ""), None);
    }

    #[test]
    fn the_refusal_says_what_to_install() {
        let m = missing_message(Shell::Bash, "stage `seed` (target: host)");
        assert!(
            m.starts_with("stage `seed` (target: host) needs a POSIX shell (`bash`)"),
            "{m}"
        );
        assert!(m.contains("Git for Windows") && m.contains("WSL"), "{m}");
    }

    #[cfg(unix)]
    #[test]
    fn unix_hosts_always_have_both_shells() {
        assert_eq!(find(Shell::Sh, "x").unwrap(), PathBuf::from("/bin/sh"));
        assert_eq!(find(Shell::Bash, "x").unwrap(), PathBuf::from("bash"));
        assert!(Path::new("/bin/sh").is_file());
    }
}
