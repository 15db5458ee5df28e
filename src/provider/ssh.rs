//! Provider `ssh`: machines that already exist, listed in a `vagrant ssh-config`-style file.
//!
//! mlk creates and destroys nothing here; `up` only maps the file's hosts to the profile's nodes.
use super::{MachineStatus, Provider};
use crate::exit::{Class, classify};
use crate::inventory::{self, Endpoint};
use crate::profile::Profile;
use anyhow::Result;
use std::path::Path;

pub struct SshProvider {
    endpoints: Vec<Endpoint>,
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
        Ok(SshProvider { endpoints: eps })
    }
}

impl Provider for SshProvider {
    fn name(&self) -> String {
        "ssh".into()
    }

    fn up(&self, log: &mut dyn FnMut(&str)) -> Result<Vec<Endpoint>> {
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
        Ok(self.endpoints.clone())
    }

    fn endpoints(&self) -> Result<Vec<Endpoint>> {
        Ok(self.endpoints.clone())
    }

    fn status(&self) -> Result<Vec<MachineStatus>> {
        Ok(self
            .endpoints
            .iter()
            .map(|e| MachineStatus {
                name: e.name.clone(),
                state: "listed".into(),
                running: true,
            })
            .collect())
    }

    fn destroy(&self, log: &mut dyn FnMut(&str)) -> Result<()> {
        log("provider ssh: the machines are not mlk's; nothing to destroy");
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
        assert_eq!(prov.up(&mut |_| {}).unwrap().len(), p.nodes.len());
    }
}
