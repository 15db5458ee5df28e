//! An opened cluster's machines: its saved profile with the hypervisor `up` recorded, the
//! provider that reaches (or made) them, and an SSH connection to its first controlplane node.
//! For the commands after `up` that touch the machines (status, ssh, stop, start, down, open,
//! rancher).
use super::Opened;
use crate::exit::{Class, classify};
use crate::profile::Profile;
use crate::provider::{Provider, ProviderKind};
use crate::remote::Runner;
use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;

pub struct Machines {
    pub c: Opened,
    pub profile: Profile,
    pub kind: ProviderKind,
}

impl Opened {
    /// The cluster's machines: its saved profile (with the recorded hypervisor) and provider
    /// kind. `over` (`--provider`) is only for folders whose record lacks one; it must agree
    /// otherwise.
    pub fn machines(self, over: Option<ProviderKind>) -> Result<Machines> {
        let recorded = super::Record::load(self.dir())?.and_then(|r| r.provider_kind());
        let kind = match (over, recorded) {
            (Some(o), Some(r)) if o != r => {
                return Err(classify(
                    Class::Usage,
                    format!(
                        "--provider {}: cluster {} was brought up with provider {}",
                        o.as_str(),
                        self.name(),
                        r.as_str()
                    ),
                ));
            }
            (Some(o), _) => o,
            (None, Some(r)) => r,
            (None, None) => self.record.provider_kind().unwrap_or(ProviderKind::Ssh),
        };
        let mut record = self.record.clone();
        record.provider = kind.as_str().to_string();
        let (profile, _) = super::summary::saved_profile(self.dir(), &record)?;
        Ok(Machines {
            c: self,
            profile,
            kind,
        })
    }

    /// Why the machines cannot be used now (destroyed, stopped), with the command that helps:
    /// a usage error (exit 2).
    pub fn not_running(&self) -> Option<anyhow::Error> {
        let name = self.name();
        if let Some(when) = &self.record.destroyed {
            return Some(classify(
                Class::Usage,
                format!(
                    "cluster {name} was destroyed by `mlk down` ({when}); `mlk up -c {name}` brings it back"
                ),
            ));
        }
        self.record.stopped.as_ref().map(|when| {
            classify(
                Class::Usage,
                format!(
                    "cluster {name} is stopped (`mlk stop`, {when}); `mlk start -c {name}` starts it"
                ),
            )
        })
    }
}

impl Machines {
    /// A usage error (exit 2) for a cluster whose machines are destroyed or halted.
    pub fn require_machines(&self) -> Result<()> {
        self.c.not_running().map_or(Ok(()), Err)
    }

    /// The provider that reaches (or made) the machines. Vagrant's needs the `vagrant`
    /// program (exit 3 without it); ssh's reads the inventory copy `mlk up` kept, and its
    /// `status` logs in to every host.
    pub fn provider(&self) -> Result<Box<dyn Provider>> {
        let files = crate::layout::of(self.c.dir());
        let timeout = match self.kind {
            ProviderKind::Ssh => Duration::from_secs(10),
            ProviderKind::Vagrant(_) => Duration::from_secs(15),
        };
        crate::provider::open(
            self.kind,
            &self.profile,
            self.c.dir(),
            &files.ssh_config(),
            crate::remote::connector(files.known_hosts(), timeout),
        )
    }

    /// An SSH connection to the first controlplane node (host keys pinned in the cluster's
    /// known_hosts), for the commands that ask the cluster something.
    pub fn first_controlplane(&self) -> Result<Arc<dyn Runner>> {
        let cp = self.profile.first_controlplane().name.clone();
        let eps = self.provider()?.endpoints()?;
        let ep = eps.iter().find(|e| e.name == cp).ok_or_else(|| {
            classify(
                Class::Provider,
                format!("no SSH endpoint for node {cp} (is the cluster up? `mlk status`)"),
            )
        })?;
        let known_hosts = crate::layout::of(self.c.dir()).known_hosts();
        crate::remote::connector(known_hosts, Duration::from_secs(10))(ep)
            .map_err(|e| crate::exit::tag(Class::Remote, format!("connecting to {cp}"), e))
    }
}
