//! SSH endpoints of nodes, read from the format `vagrant ssh-config` prints.
//!
//! The `ssh` provider reads a user's file in this format; the Vagrant provider parses what
//! `vagrant ssh-config` prints. mlk reads a documented subset of ssh_config(5), exactly as
//! OpenSSH 9.2 reads it, and refuses everything else with the line and what is allowed (no
//! maintained crate reads this subset faithfully: see docs/architecture.md, "Hand-written
//! parts, and why"). The subset, per line:
//! - `Host NAME`: one block per node, one plain alias per block (no patterns, no lists).
//! - Used: `HostName`, `Port` (1-65535), `User`, `IdentityFile` (repeatable, `~/` expanded),
//!   `ProxyCommand` (the rest of the line, verbatim, as OpenSSH keeps it).
//! - Accepted and not used, because mlk has its own way (host keys pinned per cluster, keys
//!   only, no forwarding): the other keywords Vagrant's template prints, [`IGNORED`].
//! - Refused: anything else, in particular `Match`, `Include`, a keyword before the first
//!   `Host`, and a used keyword given twice in a block (OpenSSH would take the first).
//!
//! Tokens follow OpenSSH's readconf.c/misc.c (`strdelim`, `argv_split`): keywords are
//! case-insensitive and end at whitespace or one `=`; arguments may be quoted with `"` or `'`,
//! `\` escapes a quote, a backslash or a space, and a word starting with `#` ends the line.
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

/// Keywords mlk reads.
pub const USED: &[&str] = &["HostName", "Port", "User", "IdentityFile", "ProxyCommand"];

/// Keywords accepted and not used: the rest of what Vagrant 2.4.9's
/// `templates/commands/ssh_config/config.erb` prints. mlk pins host keys per cluster
/// (`UserKnownHostsFile`, `StrictHostKeyChecking`), authenticates with ssh-agent and the
/// `IdentityFile`s only (`PasswordAuthentication`, `IdentitiesOnly`,
/// `PreferredAuthentications`), never forwards (`ForwardAgent`, `ForwardX11`) and logs its own
/// way (`LogLevel`).
pub const IGNORED: &[&str] = &[
    "UserKnownHostsFile",
    "StrictHostKeyChecking",
    "PasswordAuthentication",
    "IdentitiesOnly",
    "PreferredAuthentications",
    "LogLevel",
    "ForwardAgent",
    "ForwardX11",
];

/// Splits a line into its keyword (lower case) and the rest, as OpenSSH's `strdelim` does:
/// the keyword ends at whitespace or `=`; then whitespace and at most one `=` are skipped.
fn keyword(line: &str) -> (String, &str) {
    let end = line.find([' ', '\t', '=']).unwrap_or(line.len());
    let (k, after) = line.split_at(end);
    let ws = [' ', '\t'];
    // One `=` in all: `Port=22`, `Port = 22`, but not `Port==22`.
    let rest = match after.strip_prefix('=') {
        Some(r) => r.trim_start_matches(ws),
        None => {
            let r = after.trim_start_matches(ws);
            r.strip_prefix('=').map_or(r, |r| r.trim_start_matches(ws))
        }
    };
    (k.to_ascii_lowercase(), rest)
}

/// Splits arguments as OpenSSH's `argv_split(s, .., terminate_on_comment = 1)`.
fn arguments(s: &str) -> std::result::Result<Vec<String>, &'static str> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' || chars[i] == '\t' {
            i += 1;
            continue;
        }
        if chars[i] == '#' {
            break;
        }
        let (mut arg, mut quote) = (String::new(), None);
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '\\'
                && (matches!(next, Some('\'' | '"' | '\\'))
                    || (quote.is_none() && next == Some(' ')))
            {
                i += 1;
                arg.push(chars[i]);
            } else if quote.is_none() && (c == ' ' || c == '\t') {
                break;
            } else if quote.is_none() && (c == '"' || c == '\'') {
                quote = Some(c);
            } else if quote == Some(c) {
                quote = None;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        if quote.is_some() {
            return Err("a quote is not closed");
        }
        out.push(arg);
    }
    Ok(out)
}

fn expand_home(v: &str) -> PathBuf {
    match (v.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(v),
    }
}

fn allowed() -> String {
    format!(
        "Host, {} (and, not used by mlk, {})",
        USED.join(", "),
        IGNORED.join(", ")
    )
}

/// Parses every `Host` block. `source` names the file in errors.
pub fn parse(text: &str, source: &str) -> Result<Vec<Endpoint>> {
    let mut out: Vec<Endpoint> = Vec::new();
    // Line of each Host alias: OpenSSH uses the first block that matches, so a second block
    // for the same alias would make `mlk up` and `ssh` reach different machines.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    // Line of each used keyword in the current block: OpenSSH takes the first, so a second
    // one is a mistake that mlk names instead of silently choosing.
    let mut given: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_matches([' ', '\t', '\r', '\u{c}']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, rest) = keyword(line);
        let at = |what: String| anyhow::anyhow!("{source}:{n}: {what}");
        if rest.is_empty() {
            bail!(at(format!("`{}` has no value", shown(line))));
        }
        let args = arguments(rest).map_err(|e| at(format!("`{}`: {e}", shown(line))))?;
        let one = || -> Result<String> {
            match args.as_slice() {
                [v] => Ok(v.clone()),
                [] => Err(at(format!("`{}` has no value", shown(&key)))),
                _ => Err(at(format!(
                    "`{}` takes one value, not {} (quote a value that has spaces)",
                    shown(line),
                    args.len()
                ))),
            }
        };
        match key.as_str() {
            "host" => {
                if args.len() > 1 {
                    bail!(at(format!(
                        "`{}` names several hosts; an inventory has one block per node, named after it",
                        shown(line)
                    )));
                }
                let value = one()?;
                if let Some(c) = value.chars().find(|c| matches!(c, '*' | '?' | '!' | ',')) {
                    bail!(at(format!(
                        "Host `{}`: patterns (`{c}`) are not supported; an inventory has one block per node, named after it",
                        shown(&value)
                    )));
                }
                if let Some(first) = seen.insert(value.to_ascii_lowercase(), n) {
                    bail!(at(format!(
                        "Host `{}` is given twice (first at line {first}); each host needs exactly one block",
                        shown(&value)
                    )));
                }
                given.clear();
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
            "match" | "include" => bail!(at(format!(
                "`{}` is not supported in an inventory; write one plain `Host NAME` block per node with: {}",
                if key == "match" { "Match" } else { "Include" },
                allowed()
            ))),
            _ => {}
        }
        let Some(e) = out.last_mut() else {
            bail!(at(format!(
                "`{}` before the first Host line (settings for every host are not supported)",
                shown(&key)
            )));
        };
        let used = USED.iter().find(|k| k.eq_ignore_ascii_case(&key));
        if let Some(kw) = used
            && *kw != "IdentityFile"
            && let Some(first) = given.insert(key.clone(), n)
        {
            bail!(at(format!(
                "{kw} is given twice in Host `{}` (first at line {first}); OpenSSH would use the first, give it once",
                shown(&e.name)
            )));
        }
        match key.as_str() {
            "hostname" | "user" => {
                let value = one()?;
                if value.contains('%') {
                    bail!(at(format!(
                        "`{}`: %-tokens are not supported here",
                        shown(line)
                    )));
                }
                if key == "hostname" {
                    e.host = value;
                } else {
                    e.user = value;
                }
            }
            "port" => {
                let value = one()?;
                e.port = value.parse().ok().filter(|p| *p != 0).ok_or_else(|| {
                    at(format!(
                        "Port `{}` is not a port number (1-65535)",
                        shown(&value)
                    ))
                })?
            }
            "identityfile" => {
                let value = one()?;
                if value.contains('%') || (value.starts_with('~') && !value.starts_with("~/")) {
                    bail!(at(format!(
                        "IdentityFile `{}`: %-tokens and ~user are not supported; give the path",
                        shown(&value)
                    )));
                }
                e.identity_files.push(expand_home(&value));
            }
            // OpenSSH keeps the rest of the line as it is (readconf.c, `parse_command`): quotes
            // and `#` are the shell's business.
            "proxycommand" => {
                let cmd = rest.trim_start_matches([' ', '\t', '=']);
                e.proxy_command = (!cmd.eq_ignore_ascii_case("none")).then(|| cmd.to_string())
            }
            k if IGNORED.iter().any(|i| i.eq_ignore_ascii_case(k)) => {}
            _ => bail!(at(format!(
                "`{}` is not supported in an inventory; allowed: {}",
                shown(line.split([' ', '\t', '=']).next().unwrap_or(line)),
                allowed()
            ))),
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

    #[test]
    fn splits_arguments_as_openssh() {
        let a = |s: &str| arguments(s).unwrap();
        assert_eq!(a(r#""/a b/key""#), ["/a b/key"]);
        assert_eq!(a(r"/a\ b/key # comment"), ["/a b/key"]);
        assert_eq!(a(r#"x"y z"w 'q' a#b"#), ["xy zw", "q", "a#b"]);
        assert_eq!(a(r"C:\Users\me\key"), [r"C:\Users\me\key"]);
        assert!(arguments(r#""open"#).is_err());
        assert_eq!(keyword("Port=22"), ("port".into(), "22"));
        assert_eq!(keyword("port = 22"), ("port".into(), "22"));
        assert_eq!(keyword("Port==22"), ("port".into(), "=22"));
        assert_eq!(
            keyword("HostName\t10.0.0.1"),
            ("hostname".into(), "10.0.0.1")
        );
    }
}
