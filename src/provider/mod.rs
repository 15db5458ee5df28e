//! The provider seam: where the nodes come from (Vagrant VMs, or SSH hosts that already exist).
pub mod addresses;
pub mod ssh;
pub mod vagrant;

use crate::exit::{Class, classify};
use crate::inventory::Endpoint;
use crate::profile::{Hypervisor, Profile};
use crate::remote::Connector;
use anyhow::Result;
use serde::Serialize;
use std::path::Path;

/// Where a cluster's machines come from: the one type for it (`mlk up --provider`, the
/// cluster record, the doctor's checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Hosts that already exist, listed in an inventory (`--provider ssh`).
    Ssh,
    /// VMs made by Vagrant with this hypervisor.
    Vagrant(Hypervisor),
}

impl ProviderKind {
    pub const ALLOWED: &str = "ssh, virtualbox, hyperv, libvirt";

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Ssh => "ssh",
            ProviderKind::Vagrant(h) => h.as_str(),
        }
    }

    /// Parses a `--provider` value (exit 2 on anything else).
    pub fn parse(s: &str) -> Result<ProviderKind> {
        Self::check(s).map_err(|m| classify(Class::Usage, m))
    }

    /// The same, with a plain message for clap's value parser.
    pub fn check(s: &str) -> Result<ProviderKind, String> {
        if s == "ssh" {
            return Ok(ProviderKind::Ssh);
        }
        Hypervisor::parse(s)
            .map(ProviderKind::Vagrant)
            .ok_or_else(|| format!("unknown provider `{s}`; allowed: {}", Self::ALLOWED))
    }

    /// The hypervisor to render the Vagrantfile for; None for ssh (the profile's stays).
    pub fn hypervisor(self) -> Option<Hypervisor> {
        match self {
            ProviderKind::Ssh => None,
            ProviderKind::Vagrant(h) => Some(h),
        }
    }
}

/// The provider of a cluster whose machines come from `kind`. Vagrant's needs the `vagrant`
/// program (exit 3 without it) and reaches the nodes with `connect`; ssh's maps the hosts of
/// `inventory` to the profile's nodes, and its `status` logs in with `connect`.
pub fn open(
    kind: ProviderKind,
    p: &Profile,
    cluster_dir: &Path,
    inventory: &Path,
    connect: Box<Connector>,
) -> Result<Box<dyn Provider>> {
    Ok(match kind {
        ProviderKind::Ssh => {
            Box::new(ssh::SshProvider::from_inventory(inventory, p)?.with_probe(connect))
        }
        ProviderKind::Vagrant(_) => {
            Box::new(vagrant::VagrantProvider::new(p, cluster_dir, connect)?)
        }
    })
}

/// State of one machine as the provider sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MachineStatus {
    pub name: String,
    /// Provider's own word: running, poweroff, not_created, reachable...
    pub state: String,
    pub running: bool,
}

/// What `up` found: how to reach each node, and the addresses learned from the machines
/// (Hyper-V's, which ignore the profile's; empty elsewhere).
#[derive(Debug, Clone, Default)]
pub struct Up {
    pub endpoints: Vec<Endpoint>,
    pub learned: addresses::Addresses,
}

pub trait Provider: Send + Sync {
    /// Short name for messages: vagrant/libvirt, ssh...
    fn name(&self) -> String;
    /// What must exist before `up` and may take long enough to be its own visible step
    /// (Vagrant: downloading the box). `note` lines are shown to the user, `log` lines go to
    /// the log and the progress line. Idempotent; nothing to do by default.
    fn prepare(&self, note: &mut dyn FnMut(&str), log: &mut dyn FnMut(&str)) -> Result<()> {
        let _ = (note, log);
        Ok(())
    }
    /// Creates or starts every machine; idempotent. Returns how to reach each node, and the
    /// addresses it learned (kept in the cluster folder for later commands too).
    fn up(&self, log: &mut dyn FnMut(&str)) -> Result<Up>;
    /// How to reach each node, without changing anything.
    fn endpoints(&self) -> Result<Vec<Endpoint>>;
    fn status(&self) -> Result<Vec<MachineStatus>>;
    /// Removes every machine; idempotent.
    fn destroy(&self, log: &mut dyn FnMut(&str)) -> Result<()>;
    /// Shuts every machine down, keeping it (`mlk stop`); `up` starts it again.
    fn halt(&self, log: &mut dyn FnMut(&str)) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_kind_parses_ssh_and_hypervisors_only() {
        assert_eq!(ProviderKind::parse("ssh").unwrap(), ProviderKind::Ssh);
        assert_eq!(
            ProviderKind::parse("hyperv").unwrap(),
            ProviderKind::Vagrant(Hypervisor::Hyperv)
        );
        let e = ProviderKind::parse("vmware").unwrap_err();
        assert_eq!(crate::exit::class_of(&e), Class::Usage);
        assert!(format!("{e}").contains("ssh, virtualbox, hyperv, libvirt"));
    }
}
