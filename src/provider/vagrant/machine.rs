//! Parser of Vagrant's `--machine-readable` output: `timestamp,target,type,data...` lines.
//!
//! Vagrant (lib/vagrant/ui.rb, `MachineReadable#machine`) writes each data field with `,`
//! replaced by `%!(VAGRANT_COMMA)`, newlines by `\n` and carriage returns by `\r`, then joins
//! the fields with `,`. So splitting on `,` is exact, and each field is unescaped afterwards.
use crate::provider::MachineStatus;

/// One machine-readable line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub timestamp: u64,
    /// Machine name, or empty for the environment.
    pub target: String,
    /// `state`, `provider-name`, `ui`, `error-exit`, `metadata`, `ssh-config`...
    pub kind: String,
    /// The remaining fields, unescaped.
    pub data: Vec<String>,
}

/// Undoes Vagrant's escaping of one field.
pub fn unescape(field: &str) -> String {
    field
        .replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("%!(VAGRANT_COMMA)", ",")
}

/// Parses one line; `None` for lines that are not machine-readable (Ruby warnings, plugin
/// noise on stderr that ended up in the stream, blank lines).
pub fn parse_line(raw: &str) -> Option<Line> {
    let raw = raw.trim_end_matches(['\r', '\n']);
    let mut it = raw.split(',');
    let timestamp = it.next()?.parse().ok()?;
    let target = unescape(it.next()?);
    let kind = it.next()?.to_string();
    if kind.is_empty() {
        return None;
    }
    Some(Line {
        timestamp,
        target,
        kind,
        data: it.map(unescape).collect(),
    })
}

/// Parses every machine-readable line of `text`.
pub fn parse(text: &str) -> Vec<Line> {
    text.lines().filter_map(parse_line).collect()
}

/// The error Vagrant exited with: its Ruby class (e.g. `Vagrant::Errors::NoDefaultProvider`)
/// and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorExit {
    pub class: String,
    pub message: String,
}

pub fn error_exit(lines: &[Line]) -> Option<ErrorExit> {
    lines
        .iter()
        .rev()
        .find(|l| l.kind == "error-exit")
        .map(|l| ErrorExit {
            class: l.data.first().cloned().unwrap_or_default(),
            message: l.data.get(1..).map(|d| d.join(",")).unwrap_or_default(),
        })
}

/// The human text of a `ui` line (`ui,info,<text>`): `(level, text)`.
pub fn ui_text(l: &Line) -> Option<(&str, String)> {
    if l.kind != "ui" {
        return None;
    }
    let level = l.data.first()?.as_str();
    Some((level, l.data.get(1..)?.join(",")))
}

/// Each machine's state from `vagrant status --machine-readable`, in the order printed.
pub fn machine_states(lines: &[Line]) -> Vec<MachineStatus> {
    let mut out: Vec<MachineStatus> = Vec::new();
    for l in lines
        .iter()
        .filter(|l| l.kind == "state" && !l.target.is_empty())
    {
        let Some(state) = l.data.first() else {
            continue;
        };
        let st = MachineStatus {
            name: l.target.clone(),
            state: state.clone(),
            running: state == "running",
        };
        match out.iter_mut().find(|m| m.name == st.name) {
            Some(m) => *m = st,
            None => out.push(st),
        }
    }
    out
}

/// The provider each machine is (or would be) created with, from `provider-name` lines.
pub fn provider_names(lines: &[Line]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter(|l| l.kind == "provider-name" && !l.target.is_empty())
        .filter_map(|l| Some((l.target.clone(), l.data.first()?.clone())))
        .collect()
}

/// One box of `vagrant box list --machine-readable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledBox {
    pub name: String,
    pub provider: String,
    pub version: String,
}

/// The boxes `vagrant box list --machine-readable` names: per box a `box-name`, a
/// `box-provider` and a `box-version` line, in that order (plugins/commands/box/command/list.rb).
pub fn boxes(lines: &[Line]) -> Vec<InstalledBox> {
    let mut out: Vec<InstalledBox> = Vec::new();
    for l in lines {
        let Some(v) = l.data.first().cloned() else {
            continue;
        };
        match l.kind.as_str() {
            "box-name" => out.push(InstalledBox {
                name: v,
                provider: String::new(),
                version: String::new(),
            }),
            "box-provider" => {
                if let Some(b) = out.last_mut() {
                    b.provider = v;
                }
            }
            "box-version" => {
                if let Some(b) = out.last_mut() {
                    b.version = v;
                }
            }
            _ => {}
        }
    }
    out
}

/// The ssh_config text of `vagrant ssh-config --machine-readable` (one `ssh-config` line per
/// machine, each a whole `Host` block), ready for `inventory::parse`.
pub fn ssh_config_text(lines: &[Line]) -> String {
    lines
        .iter()
        .filter(|l| l.kind == "ssh-config")
        .map(|l| format!("{}\n", l.data.join(",")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = format!(
            "{}/tests/fixtures/vagrant/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn unescapes_commas_and_newlines() {
        let l = parse_line("1795418264,,ui,info,a%!(VAGRANT_COMMA) b\\nc,d").unwrap();
        assert_eq!(l.timestamp, 1795418264);
        assert_eq!(l.target, "");
        assert_eq!(l.data, vec!["info", "a, b\nc", "d"]);
        assert_eq!(ui_text(&l).unwrap(), ("info", "a, b\nc,d".to_string()));
        assert!(parse_line("==> node1: Creating image").is_none());
        assert!(parse_line("").is_none());
    }

    #[test]
    fn states_of_a_never_created_libvirt_cluster() {
        // Captured from Debian's vagrant 2.3.4 + vagrant-libvirt 0.11.2 on the rendered
        // `distributed` Vagrantfile.
        let lines = parse(&fixture("status-libvirt-not-created.txt"));
        let st = machine_states(&lines);
        let names: Vec<&str> = st.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["node1", "node2", "node3"]);
        assert!(st.iter().all(|m| m.state == "not_created" && !m.running));
        assert_eq!(
            provider_names(&lines)[2],
            ("node3".into(), "libvirt".into())
        );
        assert!(error_exit(&lines).is_none());
        let human = lines.iter().rev().find_map(ui_text).unwrap().1;
        assert!(human.contains("For more information about a specific\nVM, run"));
    }

    #[test]
    fn states_of_running_machines() {
        // Captured from a real `vagrant up --provider libvirt` (TCG) of one node.
        let st = machine_states(&parse(&fixture("status-libvirt-running.txt")));
        assert_eq!(st.len(), 1);
        assert_eq!(st[0].state, "running");
        assert!(st[0].running);
    }

    #[test]
    fn ssh_config_of_a_running_libvirt_vm() {
        // Captured from the same real run; raw config text is also on stdout (not a
        // machine-readable line) and must be ignored.
        let lines = parse(&fixture("ssh-config-libvirt-running.txt"));
        let eps = crate::inventory::parse(&ssh_config_text(&lines), "t").unwrap();
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].name, "node1");
        assert!(eps[0].host.starts_with("192.168.121."), "{}", eps[0].host);
        assert_eq!((eps[0].port, eps[0].user.as_str()), (22, "vagrant"));
        assert!(eps[0].identity_files[0].ends_with(".vagrant/machines/node1/libvirt/private_key"));
        assert!(eps[0].proxy_command.is_none());
    }

    #[test]
    fn error_exit_class_and_message() {
        let e = error_exit(&parse(&fixture("status-no-provider.txt"))).unwrap();
        assert_eq!(e.class, "Vagrant::Errors::NoDefaultProvider");
        assert!(e.message.starts_with("No usable default provider"));
        assert!(
            e.message
                .contains("Examples are VirtualBox, VMware, Hyper-V.")
        );
        let e = error_exit(&parse(&fixture("status-virtualbox-missing.txt"))).unwrap();
        assert_eq!(e.class, "Vagrant::Errors::ProviderNotUsable");
        assert!(e.message.contains("Vagrant could not detect VirtualBox!"));
        let e = error_exit(&parse(&fixture("up-hyperv-on-linux.txt"))).unwrap();
        assert!(
            e.message
                .contains("The Hyper-V provider only works on Windows.")
        );
        let e = error_exit(&parse(&fixture("ssh-config-not-created.txt"))).unwrap();
        assert_eq!(e.class, "Vagrant::Errors::SSHNotReady");
    }
}
