//! Profiles: load an embedded or user YAML file into a validated, fully resolved `Profile`
//! (`spec` is the written form, `defaults` resolves it, `validate` checks the result).
mod defaults;
pub mod depth;
mod error;
pub mod limits;
pub mod lines;
mod parse_error;
pub mod proxy;
pub mod registries;
pub mod requirements;
pub mod spec;
mod types;
pub mod validate;

pub use error::{Problem, ProfileError};
pub use types::*;

use include_dir::{Dir, include_dir};
use std::path::Path;

static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/profiles");

/// Names of the profiles built into the binary, sorted.
pub fn embedded_names() -> Vec<String> {
    let mut v: Vec<String> = EMBEDDED
        .files()
        .filter_map(|f| f.path().to_str()?.strip_suffix(".yaml").map(str::to_string))
        .collect();
    v.sort();
    v
}

/// The source text of an embedded profile.
pub fn embedded_source(name: &str) -> Option<&'static str> {
    EMBEDDED.get_file(format!("{name}.yaml"))?.contents_utf8()
}

/// Where a profile came from: its display name and its YAML text.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: String,
    pub text: String,
}

impl Source {
    /// `arg` is an embedded profile name or a path to a YAML file.
    pub fn resolve(arg: &str) -> Result<Source, ProfileError> {
        let looks_like_path = arg.contains('/')
            || arg.contains('\\')
            || arg.ends_with(".yaml")
            || arg.ends_with(".yml");
        if !looks_like_path {
            if let Some(text) = embedded_source(arg) {
                return Ok(Source {
                    file: format!("<embedded>/profiles/{arg}.yaml"),
                    text: text.to_string(),
                });
            }
            if !Path::new(arg).exists() {
                return Err(ProfileError::UnknownProfile {
                    name: arg.to_string(),
                    embedded: embedded_names(),
                });
            }
        }
        let text = crate::fsutil::read_input_text(Path::new(arg), crate::fsutil::MAX_INPUT)
            .map_err(|reason| ProfileError::Read {
                file: arg.to_string(),
                reason,
            })?;
        Ok(Source {
            file: arg.to_string(),
            text,
        })
    }
}

/// Options that override the profile file, given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub provider: Option<Hypervisor>,
    /// `--distribution`: replaces the profile's `kubernetes.distribution`.
    pub distribution: Option<crate::distribution::Distribution>,
}

/// Parses, defaults and validates a profile.
pub fn load(
    src: &Source,
    overrides: &Overrides,
    rules: &validate::HostRules,
) -> Result<Profile, ProfileError> {
    let invalid = |problems| ProfileError::Invalid {
        file: src.file.clone(),
        problems,
    };
    if let Some(problem) = depth::check(&src.text) {
        return Err(invalid(vec![problem]));
    }
    let mut written: spec::Profile = serde_yaml_ng::from_str(&src.text)
        .map_err(|e| invalid(vec![parse_error::problem(&e, &src.text)]))?;
    if let Some(provider) = overrides.provider {
        written.provider = provider;
    }
    if let Some(d) = overrides.distribution {
        written.kubernetes.distribution = Some(d);
    }
    let lock = crate::lockfile::of(written.kubernetes.distribution.unwrap_or_default());
    let p = defaults::resolve(written, lock);
    let lines = lines::index(&src.text);
    let problems = validate::validate(&p, rules, &lines);
    if problems.is_empty() {
        Ok(p)
    } else {
        Err(invalid(problems))
    }
}

impl Profile {
    /// The Kubernetes distribution that makes the cluster (`kubernetes.distribution`, or
    /// `--distribution`; RKE by default).
    pub fn distribution(&self) -> crate::distribution::Distribution {
        self.kubernetes.distribution
    }

    /// The lock table of its distribution (`lockfile::of`).
    pub fn lock(&self) -> &'static crate::lockfile::Lock {
        crate::lockfile::of(self.distribution())
    }

    /// This profile with node addresses a provider learned (Hyper-V ignores the written
    /// ones; `provider::addresses`), resolved again from the written form, so that every
    /// default derived from a node address follows: the sslip.io domain and the dashboard
    /// host names under it, and through them the Helm values, the Kubeflow Ingress, the
    /// kubeconfig's server and the summary. Empty `learned`: the profile as it is. Not
    /// validated again: the provider made these addresses, the user did not write them.
    pub fn readdressed(
        &self,
        learned: &std::collections::BTreeMap<String, std::net::Ipv4Addr>,
    ) -> Profile {
        if learned.is_empty() {
            return self.clone();
        }
        let mut w = self.written.clone();
        for n in &mut w.nodes {
            if let Some(ip) = learned.get(&n.name) {
                n.ip = *ip;
            }
        }
        let mut p = defaults::resolve(w, crate::lockfile::get());
        // Readdressing again starts from what the user wrote, not from these addresses.
        p.written = self.written.clone();
        p
    }

    /// The first node with the controlplane role: where rke, kubectl and helm run.
    pub fn first_controlplane(&self) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.roles.contains(&Role::Controlplane))
            .expect("validated profiles have a controlplane node")
    }
}
