//! A `Runner` over the OpenSSH client (`ssh` with a shared ControlMaster connection).
//!
//! A fallback to the ssh2 runner: it needs the `ssh` binary, and it cannot tell an SSH fault
//! from a remote command that itself exits 255 (ssh's own error status).
use super::{ExecOutput, RemoteError, Runner, Tunnel};
use crate::inventory::Endpoint;
use crate::render::quote::shell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct OpensshRunner {
    node: String,
    config: PathBuf,
}

/// ssh's exit status for its own errors (connection, auth, host key).
const SSH_ERROR: i32 = 255;

impl OpensshRunner {
    /// Writes an ssh_config for `ep` into `dir` (host keys pinned in `dir/known_hosts`) and
    /// checks that the node answers.
    pub fn connect(
        ep: &Endpoint,
        dir: &Path,
        timeout: Duration,
    ) -> Result<OpensshRunner, RemoteError> {
        let fatal = |m: String| RemoteError::Fatal {
            node: ep.name.clone(),
            message: m,
        };
        let ctl = dir.join("ssh");
        std::fs::create_dir_all(&ctl)
            .map_err(|e| fatal(format!("creating {}: {e}", ctl.display())))?;
        let mut cfg = format!(
            "Host {}\n  HostName {}\n  Port {}\n  User {}\n  BatchMode yes\n  ConnectTimeout {}\n  ServerAliveInterval 5\n  ServerAliveCountMax 3\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile {}\n  ControlMaster no\n  ControlPath {}/cm-%C\n  LogLevel ERROR\n",
            ep.name,
            ep.host,
            ep.port,
            ep.user,
            timeout.as_secs().max(1),
            dir.join("known_hosts").display(),
            ctl.display()
        );
        for f in &ep.identity_files {
            cfg.push_str(&format!(
                "  IdentityFile \"{}\"\n  IdentitiesOnly yes\n",
                f.display()
            ));
        }
        if let Some(p) = &ep.proxy_command {
            cfg.push_str(&format!("  ProxyCommand {p}\n"));
        }
        let config = ctl.join(format!("config-{}", ep.name));
        crate::fsutil::write_atomic(&config, cfg.as_bytes(), Some(0o600))
            .map_err(|e| fatal(format!("{e:#}")))?;
        let r = OpensshRunner {
            node: ep.name.clone(),
            config,
        };
        r.start_master(&ctl)?;
        let out = r.exec("true", Some(timeout), &mut |_| {})?;
        if out.status != 0 {
            return Err(fatal(format!("`true` exited {}", out.status)));
        }
        Ok(r)
    }

    /// Starts the shared connection in the background. Its stderr goes to a file: a
    /// daemonized master keeps the fds it was given, and a pipe would never reach EOF.
    fn start_master(&self, ctl: &Path) -> Result<(), RemoteError> {
        let alive = Command::new("ssh")
            .arg("-F")
            .arg(&self.config)
            .args(["-O", "check"])
            .arg(&self.node)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if alive {
            return Ok(());
        }
        let log_path = ctl.join(format!("master-{}.log", self.node));
        let log = std::fs::File::create(&log_path).map_err(|e| RemoteError::Fatal {
            node: self.node.clone(),
            message: format!("creating {}: {e}", log_path.display()),
        })?;
        let status = Command::new("ssh")
            .arg("-F")
            .arg(&self.config)
            .args([
                "-o",
                "ControlMaster=yes",
                "-o",
                "ControlPersist=60",
                "-f",
                "-N",
            ])
            .arg(&self.node)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .status()
            .map_err(|e| RemoteError::Fatal {
                node: self.node.clone(),
                message: format!("starting ssh: {e}"),
            })?;
        if status.success() {
            return Ok(());
        }
        let msg = std::fs::read_to_string(&log_path).unwrap_or_default();
        Err(self.fault(&[msg.trim().to_string()]))
    }

    fn ssh(&self) -> Command {
        let mut c = Command::new("ssh");
        c.arg("-F").arg(&self.config).arg(&self.node).arg("--");
        c
    }

    fn fault(&self, tail: &[String]) -> RemoteError {
        let msg = tail.last().cloned().unwrap_or_else(|| "ssh failed".into());
        if msg.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
            || msg.contains("Host key verification failed")
        {
            RemoteError::HostKeyMismatch {
                node: self.node.clone(),
                message: msg,
            }
        } else {
            RemoteError::Transient {
                node: self.node.clone(),
                message: msg,
            }
        }
    }
}

impl Runner for OpensshRunner {
    fn node(&self) -> &str {
        &self.node
    }

    fn exec(
        &self,
        cmd: &str,
        timeout: Option<Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<ExecOutput, RemoteError> {
        let body = match timeout {
            Some(t) => format!("timeout {} bash -c {}", t.as_secs().max(1), shell(cmd)),
            None => cmd.to_string(),
        };
        let mut child = self
            .ssh()
            .arg(format!("exec 2>&1\n{body}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| RemoteError::Fatal {
                node: self.node.clone(),
                message: format!("starting ssh: {e}"),
            })?;
        let mut err = child.stderr.take();
        let errs = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(e) = err.as_mut() {
                let _ = e.read_to_string(&mut s);
            }
            s
        });
        let mut tail = VecDeque::new();
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                on_line(&line);
                if tail.len() == 20 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
        let status = child
            .wait()
            .map(|s| s.code().unwrap_or(SSH_ERROR))
            .unwrap_or(SSH_ERROR);
        let errs = errs.join().unwrap_or_default();
        let mut tail: Vec<String> = tail.into_iter().collect();
        tail.extend(errs.lines().map(str::to_string));
        if status == SSH_ERROR && !errs.trim().is_empty() {
            return Err(self.fault(&tail));
        }
        Ok(ExecOutput { status, tail })
    }

    fn upload(&self, data: &[u8], path: &str, mode: i32) -> Result<(), RemoteError> {
        let tmp = format!("{path}.mlk-tmp");
        let cmd = format!(
            "mkdir -p \"$(dirname {p})\" && cat > {t} && chmod {mode:o} {t} && mv -f {t} {p}",
            p = shell(path),
            t = shell(&tmp)
        );
        let mut child = self
            .ssh()
            .arg(cmd)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| RemoteError::Fatal {
                node: self.node.clone(),
                message: format!("starting ssh: {e}"),
            })?;
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(data);
        }
        let out = child
            .wait_with_output()
            .map_err(|e| RemoteError::Transient {
                node: self.node.clone(),
                message: e.to_string(),
            })?;
        match out.status.code() {
            Some(0) => Ok(()),
            Some(SSH_ERROR) => {
                Err(self.fault(&[String::from_utf8_lossy(&out.stderr).into_owned()]))
            }
            _ => Err(RemoteError::Fatal {
                node: self.node.clone(),
                message: format!(
                    "writing {path}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            }),
        }
    }

    fn download(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        let out = self
            .ssh()
            .arg(format!("cat {}", shell(path)))
            .output()
            .map_err(|e| RemoteError::Fatal {
                node: self.node.clone(),
                message: format!("starting ssh: {e}"),
            })?;
        match out.status.code() {
            Some(0) => Ok(out.stdout),
            Some(SSH_ERROR) => {
                Err(self.fault(&[String::from_utf8_lossy(&out.stderr).into_owned()]))
            }
            _ => Err(RemoteError::Fatal {
                node: self.node.clone(),
                message: format!(
                    "reading {path}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            }),
        }
    }

    fn tunnel(&self, host: &str, port: u16) -> Result<Box<dyn Tunnel>, RemoteError> {
        Err(RemoteError::Fatal {
            node: self.node.clone(),
            message: format!("tunnels to {host}:{port} need the ssh2 runner"),
        })
    }
}
