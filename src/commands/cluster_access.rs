//! How `report` and `run-workload` find a cluster folder and reach its first controlplane node.
//!
//! The nodes come from an ssh-config file (the format `vagrant ssh-config` prints):
//! `--inventory FILE`, else `<cluster>/ssh-config`. Host keys are pinned in `<cluster>/known_hosts`.
use crate::exit::{Class, classify};
use crate::remote::{ConnectOptions, Runner, SshRunner};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The cluster folders under the root (`--dir`, default `./.mlk`), sorted.
pub fn clusters(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| crate::state::is_cluster_name(n))
        .collect();
    v.sort();
    v
}

pub fn root(dir: Option<&Path>) -> PathBuf {
    dir.map_or_else(|| PathBuf::from(".mlk"), Path::to_path_buf)
}

/// The cluster named by `--cluster`, or the only cluster folder there is.
pub fn resolve(root: &Path, name: Option<&str>) -> Result<(String, PathBuf)> {
    if let Some(n) = name {
        crate::state::check_cluster_name(n)?;
    }
    let have = clusters(root);
    let listed = || {
        if have.is_empty() {
            "none".to_string()
        } else {
            have.join(", ")
        }
    };
    match name {
        Some(n) if have.iter().any(|h| h == n) => Ok((n.to_string(), root.join(n))),
        Some(n) => Err(classify(
            Class::Usage,
            format!(
                "--cluster {n}: no cluster folder {} (clusters in {}: {})",
                root.join(n).display(),
                root.display(),
                listed()
            ),
        )),
        None if have.len() == 1 => Ok((have[0].clone(), root.join(&have[0]))),
        None => Err(classify(
            Class::Usage,
            format!(
                "which cluster? pass --cluster NAME (clusters in {}: {})",
                root.display(),
                listed()
            ),
        )),
    }
}

/// Connects to `node` (or the inventory's first host when `None`) of the cluster in `dir`.
pub fn connect(
    dir: &Path,
    inventory: Option<&Path>,
    node: Option<&str>,
) -> Result<Arc<dyn Runner>> {
    let file = inventory.map_or_else(|| dir.join("ssh-config"), Path::to_path_buf);
    let eps = crate::inventory::read(&file).map_err(|e| {
        classify(
            Class::Usage,
            format!("{e:#}; pass --inventory FILE (the format `vagrant ssh-config` prints)"),
        )
    })?;
    let ep = match node {
        Some(n) => eps.iter().find(|e| e.name == n).ok_or_else(|| {
            let names: Vec<&str> = eps.iter().map(|e| e.name.as_str()).collect();
            classify(
                Class::Usage,
                format!(
                    "inventory {}: no Host {n} (hosts: {})",
                    file.display(),
                    names.join(", ")
                ),
            )
        })?,
        None => eps.first().ok_or_else(|| {
            classify(
                Class::Usage,
                format!("inventory {}: no Host entries", file.display()),
            )
        })?,
    };
    let opts = ConnectOptions::new(dir.join("known_hosts"));
    let r = SshRunner::connect(ep, &opts)
        .map_err(|e| classify(Class::Remote, format!("connecting to {}: {e}", ep.name)))?;
    Ok(Arc::new(r))
}
