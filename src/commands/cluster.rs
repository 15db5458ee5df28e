//! Opening an existing cluster for the commands after `up`: the cluster `--cluster` names (or
//! the only one), its saved profile, and its provider as `mlk up` recorded it.
use crate::cli::{ClusterArg, Global};
use crate::cluster::{self, Opened};
use crate::exit::{Class, classify};
use crate::profile::Profile;
use crate::provider::Provider;
use crate::provider::ProviderKind;
use crate::provider::ssh::SshProvider;
use crate::provider::vagrant::VagrantProvider;
use anyhow::Result;
use std::time::Duration;

pub struct Machines {
    pub c: Opened,
    pub profile: Profile,
    pub kind: ProviderKind,
}

/// The cluster, its saved profile (with the recorded hypervisor) and its provider kind.
/// `--provider` (`over`) is only for folders whose record lacks one; it must agree otherwise.
pub fn open(g: &Global, arg: &ClusterArg, over: Option<ProviderKind>) -> Result<Machines> {
    let home = g.home()?;
    let c = cluster::open(&home, arg.name()?)?;
    let recorded = cluster::Record::load(c.dir())?.and_then(|r| r.provider_kind());
    let kind = match (over, recorded) {
        (Some(o), Some(r)) if o != r => {
            return Err(classify(
                Class::Usage,
                format!(
                    "--provider {}: cluster {} was brought up with provider {}",
                    o.as_str(),
                    c.name(),
                    r.as_str()
                ),
            ));
        }
        (Some(o), _) => o,
        (None, Some(r)) => r,
        (None, None) => c.record.provider_kind().unwrap_or(ProviderKind::Ssh),
    };
    let mut record = c.record.clone();
    record.provider = kind.as_str().to_string();
    let (profile, _) = cluster::summary::saved_profile(c.dir(), &record)?;
    Ok(Machines { c, profile, kind })
}

impl Machines {
    /// A usage error (exit 2) for a cluster whose machines are destroyed or halted.
    pub fn require_machines(&self) -> Result<()> {
        not_running(&self.c).map_or(Ok(()), Err)
    }

    /// The provider that reaches (or made) the machines. Vagrant's needs the `vagrant`
    /// program (exit 3 without it); ssh's reads the inventory copy `mlk up` kept.
    pub fn provider(&self) -> Result<Box<dyn Provider>> {
        let dir = self.c.dir();
        Ok(match self.kind {
            ProviderKind::Ssh => {
                let inv = crate::layout::of(dir).ssh_config();
                let probe = super::connect::connector(dir, Duration::from_secs(10));
                Box::new(SshProvider::from_inventory(&inv, &self.profile)?.with_probe(probe))
            }
            ProviderKind::Vagrant(_) => {
                let connect = super::connect::connector(dir, Duration::from_secs(15));
                Box::new(VagrantProvider::new(&self.profile, dir, connect)?)
            }
        })
    }
}

/// Why the machines of `c` cannot be used now (destroyed, stopped), with the command that helps.
pub fn not_running(c: &Opened) -> Option<anyhow::Error> {
    let name = c.name();
    if let Some(when) = &c.record.destroyed {
        return Some(classify(
            Class::Usage,
            format!(
                "cluster {name} was destroyed by `mlk down` ({when}); `mlk up -c {name}` brings it back"
            ),
        ));
    }
    c.record.stopped.as_ref().map(|when| {
        classify(
            Class::Usage,
            format!(
                "cluster {name} is stopped (`mlk stop`, {when}); `mlk start -c {name}` starts it"
            ),
        )
    })
}
