//! The host as a [`Runner`]: commands run with bash on this machine, files are this machine's.
//! The executor runs host stages' commands through it, as it runs node stages' through SSH.
//!
//! [`LocalRunner::rooted`] keeps files under a folder (a node path `/opt/mlk/x` is
//! `<root>/opt/mlk/x`); commands still run on this machine as they are. That is the
//! in-process runner tests stand in for nodes with (no root, no sshd): it moves files and
//! runs snippets for real, but it is not a node.
use super::{ExecOutput, RemoteError, Runner, TAIL_LINES, Tunnel};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct LocalRunner {
    node: String,
    /// Where node paths live; None: the host's own file system.
    root: Option<PathBuf>,
}

impl LocalRunner {
    /// This machine, named `node` in messages and logs (the executor's host is `host`).
    pub fn new(node: &str) -> LocalRunner {
        LocalRunner {
            node: node.to_string(),
            root: None,
        }
    }

    /// This machine with the files of a node kept under `root` (the in-process runner).
    pub fn rooted(node: &str, root: &Path) -> LocalRunner {
        LocalRunner {
            node: node.to_string(),
            root: Some(root.to_path_buf()),
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        match &self.root {
            Some(r) => r.join(p.trim_start_matches('/')),
            None => PathBuf::from(p),
        }
    }

    fn fatal(&self, message: String) -> RemoteError {
        RemoteError::Fatal {
            node: self.node.clone(),
            message,
        }
    }
}

impl Runner for LocalRunner {
    fn node(&self) -> &str {
        &self.node
    }

    /// `cmd` with bash, stderr merged into stdout so lines keep their order; a timeout
    /// is coreutils' `timeout` around it (status 124: [`RemoteError::Timeout`]).
    fn exec(
        &self,
        cmd: &str,
        timeout: Option<Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<ExecOutput, RemoteError> {
        let script = format!("exec 2>&1\n{cmd}");
        // Where there is no bash (Windows without Git for Windows), say what to install.
        let bash =
            crate::platform::shell::find(crate::platform::shell::Shell::Bash, "a host command")
                .map_err(|m| self.fatal(m))?;
        let mut c = match timeout {
            Some(t) => {
                let mut c = Command::new("timeout");
                c.arg(t.as_secs().max(1).to_string()).arg(&bash);
                c
            }
            None => Command::new(&bash),
        };
        if let Some(r) = &self.root {
            c.current_dir(r);
        }
        let mut child = c
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| self.fatal(format!("starting bash: {e}")))?;
        let mut tail = VecDeque::new();
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                on_line(&line);
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
        let status = child
            .wait()
            .map_err(|e| self.fatal(format!("waiting for bash: {e}")))?
            .code()
            .unwrap_or(-1);
        let tail: Vec<String> = tail.into_iter().collect();
        if let (Some(t), 124) = (timeout, status) {
            return Err(RemoteError::Timeout {
                node: self.node.clone(),
                message: format!(
                    "the command ran longer than {} s and was killed",
                    t.as_secs()
                ),
                tail,
            });
        }
        Ok(ExecOutput { status, tail })
    }

    fn upload(&self, data: &[u8], path: &str, mode: i32) -> Result<(), RemoteError> {
        let p = self.path(path);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)
                .map_err(|e| self.fatal(format!("creating {}: {e}", d.display())))?;
        }
        crate::fsutil::write_atomic(&p, data, Some(mode as u32))
            .map_err(|e| self.fatal(format!("writing {}: {e:#}", p.display())))
    }

    fn download(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        let p = self.path(path);
        std::fs::read(&p).map_err(|e| self.fatal(format!("reading {}: {e}", p.display())))
    }

    fn tunnel(&self, host: &str, port: u16) -> Result<Box<dyn Tunnel>, RemoteError> {
        let s = std::net::TcpStream::connect((host, port))
            .map_err(|e| self.fatal(format!("connecting to {host}:{port}: {e}")))?;
        Ok(Box::new(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_bash_keeps_order_and_moves_files_under_its_root() {
        let d = tempfile::tempdir().unwrap();
        let r = LocalRunner::rooted("n1", d.path());
        let mut lines = vec![];
        let out = r
            .exec("echo a; echo b >&2; exit 3", None, &mut |l| {
                lines.push(l.to_string())
            })
            .unwrap();
        assert_eq!(
            (out.status, lines.clone()),
            (3, vec!["a".into(), "b".into()])
        );
        assert_eq!(out.tail, lines);
        r.upload(b"x", "/opt/mlk/f", 0o600).unwrap();
        assert_eq!(std::fs::read(d.path().join("opt/mlk/f")).unwrap(), b"x");
        assert_eq!(r.download("/opt/mlk/f").unwrap(), b"x");
        let err = r
            .exec("sleep 5", Some(Duration::from_secs(1)), &mut |_| {})
            .unwrap_err();
        assert!(matches!(err, RemoteError::Timeout { .. }), "{err}");
    }
}
