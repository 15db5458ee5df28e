//! Node addresses learned after the machines exist. Hyper-V ignores the static IPs of the
//! Vagrantfile, so there mlk reads each VM's real address back and renders cluster.yml (and
//! everything else that names a node address) with it. The Vagrantfile keeps the profile's IPs.
use super::Rendered;
use crate::profile::Profile;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

/// Node name -> address to use instead of the profile's `ip`.
pub type Overrides = BTreeMap<String, Ipv4Addr>;

/// The profile with the overridden node addresses.
pub fn apply(p: &Profile, over: &Overrides) -> Profile {
    let mut q = p.clone();
    for n in &mut q.nodes {
        if let Some(ip) = over.get(&n.name) {
            n.ip = *ip;
        }
    }
    q
}

/// Renders every file with the overrides, except the Vagrantfile, rendered from `p` as is.
pub fn render_all_with(p: &Profile, over: &Overrides) -> Result<Rendered> {
    if over.is_empty() {
        return super::render_all(p);
    }
    let mut out = super::render_all(&apply(p, over))?;
    let plain = super::render_all(p)?;
    if let Some(v) = plain.get("Vagrantfile") {
        out.insert("Vagrantfile".into(), v.clone());
    }
    Ok(out)
}

/// Saves the learned addresses in the cluster folder, so a resumed `mlk up` renders with them.
pub fn save(cluster_dir: &Path, over: &Overrides) -> Result<()> {
    let text = serde_json::to_vec_pretty(over)?;
    crate::fsutil::write_atomic(
        &crate::layout::of(cluster_dir).addresses(),
        &text,
        Some(0o600),
    )
}

/// The saved addresses, or none.
pub fn load(cluster_dir: &Path) -> Result<Overrides> {
    let path = crate::layout::of(cluster_dir).addresses();
    match std::fs::read_to_string(&path) {
        Ok(t) => {
            serde_json::from_str(&t).with_context(|| format!("{} is not valid", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Overrides::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Forgets saved addresses (the machines are gone).
pub fn remove(cluster_dir: &Path) -> Result<()> {
    match std::fs::remove_file(crate::layout::of(cluster_dir).addresses()) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_yml_gets_discovered_addresses_vagrantfile_keeps_profile_ips() {
        let (p, _) = crate::commands::load_profile(&crate::cli::ProfileArgs {
            profile: "distributed".into(),
            provider: Some(crate::provider::ProviderKind::Vagrant(
                crate::profile::Hypervisor::Hyperv,
            )),
            distribution: None,
        })
        .unwrap();
        let old = p.nodes[1].ip.to_string();
        let over: Overrides = [("node2".to_string(), Ipv4Addr::new(172, 29, 80, 7))].into();
        let out = render_all_with(&p, &over).unwrap();
        let cy = &out["cluster.yml"];
        assert!(
            cy.contains("address: \"172.29.80.7\"") || cy.contains("address: 172.29.80.7"),
            "{cy}"
        );
        assert!(
            !cy.contains(&format!("address: \"{old}\""))
                && !cy.contains(&format!("address: {old}\n"))
        );
        // The other nodes keep theirs.
        assert!(cy.contains(&p.nodes[0].ip.to_string()));
        assert_eq!(
            out["Vagrantfile"],
            crate::render::render_all(&p).unwrap()["Vagrantfile"]
        );
        assert!(out["Vagrantfile"].contains(&old));
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        save(dir.path(), &over).unwrap();
        assert_eq!(load(dir.path()).unwrap(), over);
        remove(dir.path()).unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
    }
}
