//! What `mlk version` and `mlk --version` print: mlk's version, the git commit it was built
//! from (build.rs) and the component versions of the embedded lock table.
use crate::lockfile;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// `git rev-parse --short HEAD` at build time, or `unknown` outside a git checkout.
pub const COMMIT: &str = env!("MLK_GIT_COMMIT");

/// `0.1.0 (commit 1a2b3c4)`.
pub fn short() -> String {
    format!("{VERSION} (commit {COMMIT})")
}

/// The component versions the lock table pins, one `name version` pair per line.
pub fn components() -> Vec<(String, String)> {
    let l = lockfile::get();
    let mut v = vec![("kubernetes".to_string(), l.kubernetes.clone())];
    v.extend(
        l.binaries
            .iter()
            .map(|(n, b)| (n.clone(), b.version.clone())),
    );
    v.extend(l.charts.iter().map(|(n, c)| (n.clone(), c.version.clone())));
    v.push(("kubeflow-manifests".into(), l.kubeflow.version.clone()));
    v.push(("docker".into(), l.docker.version.clone()));
    v
}

/// `short()` and then the components, aligned.
pub fn long() -> String {
    let comps = components();
    let w = comps.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut s = short();
    s.push_str("\ncomponents (versions.lock.yaml):");
    for (n, v) in comps {
        s.push_str(&format!("\n  {n:<w$}  {v}"));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_version_names_every_pinned_component() {
        let l = super::long();
        let lock = crate::lockfile::get();
        assert!(l.starts_with(super::VERSION), "{l}");
        assert!(l.contains(&lock.kubernetes));
        for (name, b) in &lock.binaries {
            assert!(l.contains(name) && l.contains(&b.version), "{name}: {l}");
        }
        for (name, c) in &lock.charts {
            assert!(l.contains(name) && l.contains(&c.version), "{name}: {l}");
        }
    }
}
