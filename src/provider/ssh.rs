//! Provider `ssh`: machines that already exist, listed in a `vagrant ssh-config`-style file.
//!
//! mlk creates and destroys nothing here; `up` only maps the file's hosts to the profile's nodes,
//! `status` checks that each host answers over SSH, and `down` forgets the hosts.
use super::{MachineStatus, Provider, Up};
use crate::exit::{Class, classify};
use crate::inventory::{self, Endpoint};
use crate::profile::Profile;
use crate::remote::Connector;
use anyhow::Result;
use std::path::Path;

pub struct SshProvider {
    endpoints: Vec<Endpoint>,
    /// How `status` reaches a host to see that it answers; without one, hosts are `listed`.
    probe: Option<Box<Connector>>,
}

impl SshProvider {
    /// Reads `file` and maps its `Host` entries to the profile's nodes by name. Nodes without
    /// an entry, and entries that are no node, are errors naming them.
    pub fn from_inventory(file: &Path, profile: &Profile) -> Result<SshProvider> {
        let source = file.display().to_string();
        let eps = inventory::read(file)?;
        let nodes: Vec<&str> = profile.nodes.iter().map(|n| n.name.as_str()).collect();
        let missing: Vec<&str> = nodes
            .iter()
            .copied()
            .filter(|n| !eps.iter().any(|e| e.name == *n))
            .collect();
        let extra: Vec<&str> = eps
            .iter()
            .map(|e| e.name.as_str())
            .filter(|h| !nodes.contains(h))
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!(
                "no Host entry for profile node(s) {}",
                missing.join(", ")
            ));
        }
        if !extra.is_empty() {
            problems.push(format!(
                "Host entries {} are not nodes of profile `{}` (nodes: {})",
                extra.join(", "),
                profile.name,
                nodes.join(", ")
            ));
        }
        if !problems.is_empty() {
            return Err(classify(
                Class::Usage,
                format!(
                    "inventory {source}: {}; each profile node needs exactly one `Host <node-name>` block",
                    problems.join("; ")
                ),
            ));
        }
        Ok(SshProvider {
            endpoints: eps,
            probe: None,
        })
    }

    /// `status` logs in to every host (at once) with `connect` and runs `true`.
    pub fn with_probe(mut self, connect: Box<Connector>) -> SshProvider {
        self.probe = Some(connect);
        self
    }
}

/// `reachable`, or `unreachable: why` (the error's first line).
fn probe(connect: &Connector, ep: &Endpoint) -> MachineStatus {
    let r = connect(ep).and_then(|r| {
        r.exec(
            "true",
            Some(std::time::Duration::from_secs(10)),
            &mut |_| {},
        )
        .map(|_| ())
    });
    let (state, running) = match r {
        Ok(()) => ("reachable".to_string(), true),
        Err(e) => {
            let e = e.to_string();
            let first = e.lines().next().unwrap_or("").to_string();
            (format!("unreachable: {first}"), false)
        }
    };
    MachineStatus {
        name: ep.name.clone(),
        state,
        running,
    }
}

impl Provider for SshProvider {
    fn name(&self) -> String {
        "ssh".into()
    }

    fn up(&self, log: &mut dyn FnMut(&str)) -> Result<Up> {
        for e in &self.endpoints {
            log(&format!(
                "{}: {}@{}:{}{}",
                e.name,
                e.user,
                e.host,
                e.port,
                if e.proxy_command.is_some() {
                    " (via ProxyCommand)"
                } else {
                    ""
                }
            ));
        }
        Ok(Up {
            endpoints: self.endpoints.clone(),
            learned: Default::default(),
        })
    }

    fn endpoints(&self) -> Result<Vec<Endpoint>> {
        Ok(self.endpoints.clone())
    }

    fn status(&self) -> Result<Vec<MachineStatus>> {
        let Some(connect) = &self.probe else {
            return Ok(self
                .endpoints
                .iter()
                .map(|e| MachineStatus {
                    name: e.name.clone(),
                    state: "listed".into(),
                    running: true,
                })
                .collect());
        };
        Ok(std::thread::scope(|s| {
            let hs: Vec<_> = self
                .endpoints
                .iter()
                .map(|ep| s.spawn(move || probe(connect.as_ref(), ep)))
                .collect();
            hs.into_iter()
                .zip(&self.endpoints)
                .map(|(h, ep)| {
                    h.join().unwrap_or_else(|_| MachineStatus {
                        name: ep.name.clone(),
                        state: "unreachable: probe panicked".into(),
                        running: false,
                    })
                })
                .collect()
        }))
    }

    fn halt(&self, _log: &mut dyn FnMut(&str)) -> Result<()> {
        Err(classify(
            Class::Usage,
            "provider ssh: mlk did not create these hosts and does not power them off; stop them yourself",
        ))
    }

    fn destroy(&self, log: &mut dyn FnMut(&str)) -> Result<()> {
        log(
            "provider ssh: forgetting the hosts; mlk did not create them and leaves them running as they are",
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_must_match_the_profile_nodes() {
        let (p, _) = crate::commands::load_profile(&crate::cli::ProfileArgs {
            profile: "distributed".into(),
            provider: None,
            distribution: None,
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("inv");
        std::fs::write(
            &f,
            "Host node1\n HostName 10.0.0.1\nHost nodeX\n HostName 10.0.0.2\n",
        )
        .unwrap();
        let err = format!("{:#}", SshProvider::from_inventory(&f, &p).err().unwrap());
        assert!(
            err.contains("no Host entry for profile node(s) node2, node3"),
            "{err}"
        );
        assert!(err.contains("Host entries nodeX are not nodes"), "{err}");
        let names: Vec<String> = p
            .nodes
            .iter()
            .map(|n| format!("Host {}\n", n.name))
            .collect();
        std::fs::write(&f, names.concat()).unwrap();
        let prov = SshProvider::from_inventory(&f, &p).unwrap();
        assert_eq!(prov.up(&mut |_| {}).unwrap().endpoints.len(), p.nodes.len());
    }
}
