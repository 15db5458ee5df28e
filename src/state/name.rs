//! Cluster names: one folder name under the mlk home, never a path. Every command that takes
//! a cluster name (`--cluster`, `CLUSTER/RUN`, a profile's `name`) checks it here first.

use anyhow::Result;

/// Longest cluster name (it also becomes a kube context `mlk-<name>` and VM name prefixes).
pub const MAX_LEN: usize = 40;

/// 1-40 lowercase letters, digits and `-`, not starting or ending with `-`: no `/`, no `.`,
/// so no absolute path, `..` or hidden folder can pass for a name.
pub fn is_cluster_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// `Ok` for a cluster name; else a usage error (exit 2) saying what a name is.
pub fn check_cluster_name(s: &str) -> Result<()> {
    crate::cluster::ClusterName::parse(s).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_not_paths() {
        for ok in ["mono", "lab-2", "a"] {
            assert!(check_cluster_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(MAX_LEN + 1);
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "/tmp/x",
            "a/b",
            "A",
            "-a",
            "a-",
            "a.b",
            long.as_str(),
        ] {
            let e = check_cluster_name(bad).unwrap_err();
            assert_eq!(
                crate::exit::class_of(&e),
                crate::exit::Class::Usage,
                "{bad}"
            );
        }
    }
}
