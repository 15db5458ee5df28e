//! Node addresses learned after the machines exist. Hyper-V ignores the static IPs of the
//! Vagrantfile, so there the provider reads each VM's real address back (`Provider::up`
//! returns them), and everything rendered that names a node address (cluster.yml first) is
//! rendered with them (`render::render`); the Vagrantfile keeps the profile's IPs. They are
//! kept in the cluster folder for later commands (a resumed `mlk up` renders with them).
use crate::profile::Profile;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

/// Node name -> address to use instead of the profile's `ip` (empty: the profile's are right).
pub type Addresses = BTreeMap<String, Ipv4Addr>;

/// The profile with the learned node addresses, and every default derived from them
/// ([`Profile::readdressed`]).
pub fn apply(p: &Profile, learned: &Addresses) -> Profile {
    p.readdressed(learned)
}

/// Saves the learned addresses in the cluster folder, so a resumed `mlk up` renders with them.
pub fn save(cluster_dir: &Path, over: &Addresses) -> Result<()> {
    let text = serde_json::to_vec_pretty(over)?;
    crate::fsutil::write_atomic(
        &crate::layout::of(cluster_dir).addresses(),
        &text,
        Some(0o600),
    )
}

/// The saved addresses, or none.
pub fn load(cluster_dir: &Path) -> Result<Addresses> {
    let path = crate::layout::of(cluster_dir).addresses();
    match std::fs::read_to_string(&path) {
        Ok(t) => {
            serde_json::from_str(&t).with_context(|| format!("{} is not valid", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Addresses::new()),
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
    fn learned_addresses_replace_the_profile_ips_and_are_kept_in_the_folder() {
        let (p, _) = crate::commands::load_profile(&crate::cli::ProfileArgs {
            profile: "distributed".into(),
            provider: None,
            distribution: None,
        })
        .unwrap();
        let over: Addresses = [("node2".to_string(), Ipv4Addr::new(172, 29, 80, 7))].into();
        let q = apply(&p, &over);
        assert_eq!(q.nodes[1].ip, Ipv4Addr::new(172, 29, 80, 7));
        assert_eq!(q.nodes[0].ip, p.nodes[0].ip, "the other nodes keep theirs");
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        save(dir.path(), &over).unwrap();
        assert_eq!(load(dir.path()).unwrap(), over);
        remove(dir.path()).unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
    }
}
