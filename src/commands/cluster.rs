//! Opening an existing cluster for `status`, `ssh` and `down`: its profile, folder and provider.
use crate::cli::{Global, ProfileArgs};
use crate::profile::{Profile, Provider as Hypervisor};
use crate::provider::Provider;
use crate::provider::ssh::SshProvider;
use crate::provider::vagrant::VagrantProvider;
use crate::state;
use anyhow::Result;
use std::path::PathBuf;
use std::time::Duration;

pub struct Opened {
    pub profile: Profile,
    pub dir: PathBuf,
    pub provider: Box<dyn Provider>,
}

/// The profile the command line names, with the hypervisor `mlk up` recorded for the
/// cluster unless `--provider` overrides it, and that cluster's provider: Vagrant, or the
/// `ssh` provider when the cluster has `<cluster>/ssh-config` but no Vagrant record.
pub fn open(g: &Global, args: &ProfileArgs) -> Result<Opened> {
    let (named, _) = super::load_profile(args)?;
    let dir = state::cluster_dir(g.dir.as_deref(), &named.name);
    state::folder::secure(&dir);
    let profile = match (args.provider, recorded(&dir)) {
        (None, Some(h)) if h != named.provider => {
            let a = ProfileArgs {
                provider: Some(h),
                ..args.clone()
            };
            super::load_profile(&a)?.0
        }
        _ => named,
    };
    let inventory = dir.join(crate::provider::vagrant::SSH_CONFIG_FILE);
    let provider: Box<dyn Provider> =
        if args.provider.is_none() && recorded(&dir).is_none() && inventory.is_file() {
            // Not made by Vagrant: hosts that already existed (`mlk up --provider ssh`).
            Box::new(SshProvider::from_inventory(&inventory, &profile)?)
        } else {
            let connect = super::connect::connector(&dir, Duration::from_secs(15));
            Box::new(VagrantProvider::new(&profile, &dir, connect)?)
        };
    Ok(Opened {
        profile,
        dir,
        provider,
    })
}

/// The hypervisor `mlk up` used for the cluster in `dir` (see `VagrantProvider::up`).
pub fn recorded(dir: &std::path::Path) -> Option<Hypervisor> {
    let text = std::fs::read_to_string(dir.join(crate::provider::vagrant::PROVIDER_FILE)).ok()?;
    Hypervisor::ALL
        .into_iter()
        .find(|h| h.as_str() == text.trim())
}
