//! What `mlk up` records about a cluster, so that every later command needs only its name:
//! `<cluster>/cluster.json` (provider, where the profile came from, lifecycle times), next to
//! the profile's text (`profile.yaml`) and, for `--provider ssh`, a copy of the inventory
//! (`ssh-config`). Folders made before this file existed are read by inference.
use crate::layout;
use crate::profile::Hypervisor;
use crate::provider::ProviderKind;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub format: u32,
    pub name: String,
    /// `ssh`, `virtualbox`, `hyperv` or `libvirt`.
    pub provider: String,
    /// The `--profile` `mlk up` was given: an embedded name, or a file's absolute path. Its
    /// text as last used is `profile.yaml` next to this file.
    pub profile: String,
    /// `--distribution` as given to `mlk up` (absent: the profile's own setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<String>,
    /// `--inventory` as given to `mlk up` (absolute); its copy is `ssh-config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<String>,
    /// The cluster folder, absolute, as it was when recorded.
    pub dir: String,
    /// RFC 3339, UTC: the first `mlk up` (again after a `down`).
    pub created: String,
    /// Set by `mlk down` (the machines are gone, or forgotten for ssh); cleared by `mlk up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroyed: Option<String>,
    /// Set by `mlk stop`, cleared by `mlk start` and `mlk up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl Record {
    pub fn new(name: &str, provider: ProviderKind, profile: &str, dir: &Path) -> Record {
        Record {
            format: FORMAT,
            name: name.to_string(),
            provider: provider.as_str().to_string(),
            profile: profile.to_string(),
            distribution: None,
            inventory: None,
            dir: dir.display().to_string(),
            created: crate::state::now(),
            destroyed: None,
            stopped: None,
        }
    }

    pub fn provider_kind(&self) -> Option<ProviderKind> {
        ProviderKind::check(&self.provider).ok()
    }

    /// The recorded `--distribution`, if one was given.
    pub fn distribution(&self) -> Option<crate::distribution::Distribution> {
        self.distribution
            .as_deref()
            .and_then(crate::distribution::Distribution::parse)
    }

    pub fn path(dir: &Path) -> PathBuf {
        layout::of(dir).record()
    }

    /// The recorded file, if there is one.
    pub fn load(dir: &Path) -> Result<Option<Record>> {
        let path = Self::path(dir);
        match std::fs::read_to_string(&path) {
            Ok(t) => serde_json::from_str(&t)
                .map(Some)
                .with_context(|| format!("{} is not an mlk cluster record", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// The record, or for a folder from an older mlk what its files tell.
    pub fn load_or_infer(dir: &Path, name: &str) -> Result<Record> {
        Ok(match Self::load(dir)? {
            Some(r) => r,
            None => infer(dir, name),
        })
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        crate::fsutil::write_atomic(&Self::path(dir), text.as_bytes(), Some(0o600))
    }
}

/// What an older folder says: `vagrant-provider` names the hypervisor `up` used; an
/// `ssh-config` without it came from `--provider ssh`; else the saved profile's provider.
fn infer(dir: &Path, name: &str) -> Record {
    let files = layout::of(dir);
    let vagrant = std::fs::read_to_string(files.vagrant_provider())
        .ok()
        .map(|s| s.trim().to_string());
    let profile_text = std::fs::read_to_string(files.profile()).ok();
    let provider = match vagrant {
        Some(h) => h,
        None if files.ssh_config().is_file() => "ssh".into(),
        None => profile_text
            .as_deref()
            .and_then(|t| serde_yaml_ng::from_str::<serde_yaml_ng::Value>(t).ok())
            .and_then(|v| v["provider"].as_str().map(String::from))
            .unwrap_or_else(|| Hypervisor::default().as_str().to_string()),
    };
    let created = std::fs::metadata(dir)
        .and_then(|m| m.created().or_else(|_| m.modified()))
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
        .unwrap_or_else(|_| crate::state::now());
    Record {
        format: FORMAT,
        name: name.to_string(),
        provider,
        profile: files.profile().display().to_string(),
        distribution: None,
        inventory: None,
        dir: dir.display().to_string(),
        created,
        destroyed: None,
        stopped: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_old_folders_are_inferred() {
        let t = tempfile::tempdir().unwrap();
        let mut r = Record::new("mono", ProviderKind::Ssh, "mono", t.path());
        r.inventory = Some("/x/inv".into());
        r.save(t.path()).unwrap();
        assert_eq!(Record::load(t.path()).unwrap(), Some(r));

        let old = tempfile::tempdir().unwrap();
        assert_eq!(Record::load(old.path()).unwrap(), None);
        assert_eq!(
            Record::load_or_infer(old.path(), "x").unwrap().provider,
            "virtualbox"
        );
        std::fs::write(old.path().join("ssh-config"), "Host node1\n").unwrap();
        assert_eq!(
            Record::load_or_infer(old.path(), "x").unwrap().provider,
            "ssh"
        );
        std::fs::write(old.path().join("vagrant-provider"), "libvirt\n").unwrap();
        let r = Record::load_or_infer(old.path(), "x").unwrap();
        assert_eq!(
            r.provider_kind(),
            Some(ProviderKind::Vagrant(Hypervisor::Libvirt))
        );
    }
}
