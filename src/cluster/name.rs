//! Cluster names as users type them (`--cluster NAME`, `CLUSTER/RUN`): names, never paths.
use crate::exit::{Class, classify};
use std::fmt;

/// A valid cluster name: what a profile's `name` allows (1-40 of `a-z 0-9 -`, not starting
/// or ending with `-`). So `..`, `a/b` and absolute paths can never name a folder outside
/// the mlk home.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClusterName(String);

impl ClusterName {
    /// The one check every cluster name given on the command line goes through (exit 2).
    pub fn parse(s: &str) -> anyhow::Result<ClusterName> {
        Self::check(s).map_err(|why| classify(Class::Usage, why))
    }

    /// The same check with a plain message, for clap's value parser (which exits 2).
    pub fn check(s: &str) -> Result<ClusterName, String> {
        // One rule for every place a cluster is named (`state::is_cluster_name`).
        if crate::state::is_cluster_name(s) {
            return Ok(ClusterName(s.to_string()));
        }
        Err(format!(
            "`{}` is not a cluster name: use 1-{} lowercase letters, digits and `-`, not starting or ending with `-` (a cluster is named, not given by path; `mlk list` shows the names)",
            crate::text::shown(s),
            crate::state::name::MAX_LEN
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_names_never_paths() {
        for ok in ["mono", "distributed", "e2e-mono", "a", &"x".repeat(40)] {
            assert_eq!(ClusterName::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "..",
            "../x",
            "/etc",
            "a/b",
            "Mono",
            "-a",
            "a-",
            "a_b",
            "a.b",
            &"x".repeat(41),
        ] {
            let e = ClusterName::parse(bad).unwrap_err();
            assert_eq!(crate::exit::class_of(&e), Class::Usage, "{bad}");
            assert!(format!("{e}").contains(&format!("`{bad}`")), "{e}");
        }
        assert!(
            ClusterName::check("../x")
                .unwrap_err()
                .contains("not given by path")
        );
    }
}
