//! SSH endpoints of nodes, read from the format `vagrant ssh-config` prints.
//!
//! The `ssh` provider reads a user's file in this format; the Vagrant provider parses what
//! `vagrant ssh-config` prints. Keywords are case-insensitive, as in ssh_config(5).
use crate::exit::{Class, classify};
use crate::text::shown;
use anyhow::{Result, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How to reach one node over SSH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// The `Host` alias: the node name.
    pub name: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub identity_files: Vec<PathBuf>,
    /// Spawned with `%h`/`%p`/`%r` substituted; its stdio becomes the SSH transport.
    pub proxy_command: Option<String>,
}

impl Endpoint {
    /// ProxyCommand with ssh's tokens expanded for this endpoint.
    pub fn expanded_proxy_command(&self) -> Option<String> {
        self.proxy_command.as_ref().map(|c| {
            c.replace("%h", &self.host)
                .replace("%p", &self.port.to_string())
                .replace("%r", &self.user)
                .replace("%%", "%")
        })
    }
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

fn expand_home(v: &str) -> PathBuf {
    match (v.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(v),
    }
}

/// Parses every `Host` block. `source` names the file in errors.
pub fn parse(text: &str, source: &str) -> Result<Vec<Endpoint>> {
    let mut out: Vec<Endpoint> = Vec::new();
    // Line of each Host alias: OpenSSH uses the first block that matches, so a second block
    // for the same alias would make `mlk up` and `ssh` reach different machines.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once(|c: char| c.is_whitespace() || c == '=') {
            Some((k, v)) => (
                k.to_ascii_lowercase(),
                unquote(v.trim_start_matches(|c: char| c.is_whitespace() || c == '=')),
            ),
            None => bail!("{source}:{}: `{}` has no value", i + 1, shown(line)),
        };
        if key == "host" {
            if let Some(first) = seen.insert(value.to_ascii_lowercase(), i + 1) {
                bail!(
                    "{source}:{}: Host `{}` is given twice (first at line {first}); each host needs exactly one block",
                    i + 1,
                    shown(&value)
                );
            }
            out.push(Endpoint {
                name: value.clone(),
                host: value,
                port: 22,
                user: whoami(),
                identity_files: vec![],
                proxy_command: None,
            });
            continue;
        }
        let Some(e) = out.last_mut() else {
            bail!(
                "{source}:{}: `{}` before the first Host line",
                i + 1,
                shown(&key)
            );
        };
        match key.as_str() {
            "hostname" => e.host = value,
            "port" => {
                e.port = value.parse().ok().filter(|p| *p != 0).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{source}:{}: Port `{}` is not a port number (1-65535)",
                        i + 1,
                        shown(&value)
                    )
                })?
            }
            "user" => e.user = value,
            "identityfile" => e.identity_files.push(expand_home(&value)),
            "proxycommand" => {
                e.proxy_command = (!value.eq_ignore_ascii_case("none")).then_some(value)
            }
            // Options Vagrant prints that mlk handles its own way (host keys are pinned per cluster).
            _ => {}
        }
    }
    Ok(out)
}

/// Reads and parses the inventory file `path` (a user's file, or the copy in a cluster
/// folder): a regular file of at most 1 MiB, whose identity files, where they exist, are
/// regular files too (libssh2 would wait forever on a FIFO). Errors are usage errors (exit 2).
pub fn read(path: &Path) -> Result<Vec<Endpoint>> {
    let source = path.display().to_string();
    let usage = |m: String| classify(Class::Usage, m);
    let text = crate::fsutil::read_input_text(path, crate::fsutil::MAX_INPUT)
        .map_err(|reason| usage(format!("cannot read the node inventory {source}: {reason}")))?;
    let eps = parse(&text, &source).map_err(|e| crate::exit::retag(Class::Usage, e))?;
    for e in &eps {
        for key in &e.identity_files {
            if let Some(problem) = identity_file_problem(key) {
                return Err(usage(format!(
                    "inventory {source}: Host {}: IdentityFile {}: {problem}",
                    shown(&e.name),
                    shown(&key.display().to_string())
                )));
            }
        }
    }
    Ok(eps)
}

/// Why `key` cannot be a private key file, when it exists but is no regular file or is huge.
/// A missing file is not a problem here (OpenSSH skips it too).
pub fn identity_file_problem(key: &Path) -> Option<String> {
    let meta = std::fs::metadata(key).ok()?;
    if !meta.is_file() {
        return Some("not a regular file".into());
    }
    // The largest OpenSSH private keys (RSA 16384) are about 13 KB.
    (meta.len() > 1024 * 1024).then(|| format!("{} bytes is no private key", meta.len()))
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vagrant_ssh_config() {
        let text = "Host node1\n  HostName 127.0.0.1\n  User vagrant\n  Port 2222\n  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  IdentityFile /x/.vagrant/machines/node1/libvirt/private_key\n  IdentitiesOnly yes\n  LogLevel FATAL\n\nHost node2\n  HostName 192.168.56.11\n  User vagrant\n  ProxyCommand ip netns exec mlk-lab nc %h %p\n";
        let v = parse(text, "t").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].port, 2222);
        assert_eq!(
            v[0].identity_files,
            vec![PathBuf::from(
                "/x/.vagrant/machines/node1/libvirt/private_key"
            )]
        );
        assert_eq!(v[1].port, 22);
        assert_eq!(
            v[1].expanded_proxy_command().unwrap(),
            "ip netns exec mlk-lab nc 192.168.56.11 22"
        );
        assert!(parse("Port 22\n", "t").is_err());
        assert!(
            parse("Host a\n Port x\n", "t")
                .unwrap_err()
                .to_string()
                .contains("t:2")
        );
    }
}
