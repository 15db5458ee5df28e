//! Container registry settings of a profile: pull-through mirrors per registry, and login
//! credentials per registry that are read at run time (the profile names only where the
//! password is: an environment variable or a file).
//!
//! The model is per registry, like RKE2/containerd's registries.yaml (`mirrors:` and
//! `configs:`), so a later distribution can take it whole. RKE1 runs Docker, whose
//! `registry-mirrors` (daemon.json) apply to Docker Hub only; a mirror for another registry is
//! refused rather than silently ignored.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Docker Hub, as image names and mlk's profile spell it.
pub const DOCKER_HUB: &str = "docker.io";
/// Other names of Docker Hub that users write; moby's ValidateIndexName maps
/// `index.docker.io` to `docker.io`.
const DOCKER_HUB_ALIASES: [&str; 2] = ["index.docker.io", "registry-1.docker.io"];

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Registries {
    /// Registry (`docker.io`) -> its mirrors, tried in order before the registry itself.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mirrors: BTreeMap<String, Mirror>,
    /// Registry (`docker.io`, `registry.example.org:5000`) -> the login for it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credentials: BTreeMap<String, Credential>,
}

impl Registries {
    pub fn is_empty(&self) -> bool {
        self.mirrors.is_empty() && self.credentials.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mirror {
    /// Mirror base URLs, `https://host[:port]` (or `http://` for a plain-HTTP cache).
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Credential {
    pub username: String,
    /// Name of an environment variable of `mlk up` that holds the password or token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// A file (mode 0600) on the host that holds the password or token; `~/` is the home folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
}

/// A registry name as image references write it: a DNS name or IPv4 address, optional port.
pub fn is_registry_name(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    port_ok && host.len() <= 253 && host.split('.').all(label)
}

/// Why `url` cannot be a Docker registry mirror, if it cannot: moby's ValidateMirror
/// (registry/config.go) takes http/https URLs without user info, path, query or fragment.
pub fn mirror_url_problem(url: &str) -> Option<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(format!(
            "`{url}` is not a URL; e.g. https://mirror.example.org"
        ));
    };
    if scheme != "http" && scheme != "https" {
        return Some(format!("`{url}`: the scheme must be https or http"));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('@') {
        return Some(format!(
            "`{url}`: no user or password in a mirror URL (Docker refuses them, and a password must not be in the profile); use registries.credentials"
        ));
    }
    if rest.contains(['/', '?', '#']) {
        return Some(format!(
            "`{url}`: Docker takes no path, query or fragment in a mirror URL; give scheme://host[:port]"
        ));
    }
    if !is_registry_name(rest) {
        return Some(format!("`{url}`: `{rest}` is not a host[:port]"));
    }
    None
}

/// An environment variable name the shell and `std::env::var` agree on.
pub fn is_env_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// (field, message) for every problem in the registry settings.
pub fn problems(r: &Registries) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for (reg, m) in &r.mirrors {
        let f = format!("registries.mirrors.{reg}");
        if DOCKER_HUB_ALIASES.contains(&reg.as_str()) {
            v.push((
                f,
                format!("write Docker Hub as `{DOCKER_HUB}`, not `{reg}`"),
            ));
            continue;
        }
        if reg != DOCKER_HUB {
            v.push((f, format!(
                "`{reg}`: RKE1's runtime is Docker, whose registry-mirrors apply to {DOCKER_HUB} only; images from {reg} would still be pulled from {reg}. Allowed: {DOCKER_HUB}"
            )));
            continue;
        }
        if m.endpoints.is_empty() {
            v.push((
                format!("{f}.endpoints"),
                "at least one mirror URL is required, e.g. https://mirror.example.org".into(),
            ));
        }
        for (i, e) in m.endpoints.iter().enumerate() {
            if let Some(why) = mirror_url_problem(e) {
                v.push((format!("{f}.endpoints[{i}]"), why));
            }
        }
    }
    for (reg, c) in &r.credentials {
        let f = format!("registries.credentials.{reg}");
        if DOCKER_HUB_ALIASES.contains(&reg.as_str()) {
            v.push((
                f,
                format!("write Docker Hub as `{DOCKER_HUB}`, not `{reg}`"),
            ));
            continue;
        }
        if !is_registry_name(reg) {
            v.push((
                f.clone(),
                format!("`{reg}` is not a registry host[:port]; e.g. docker.io or registry.example.org:5000"),
            ));
        }
        if c.username.is_empty() || c.username.contains([':', '\n']) {
            v.push((
                format!("{f}.username"),
                "must be non-empty, without ':' or a line break".into(),
            ));
        }
        match (&c.password_env, &c.password_file) {
            (Some(_), Some(_)) | (None, None) => v.push((
                f.clone(),
                "give exactly one of passwordEnv (an environment variable) or passwordFile (a 0600 file); the password itself never goes in the profile".into(),
            )),
            (Some(e), None) if !is_env_name(e) => v.push((
                format!("{f}.passwordEnv"),
                format!("`{e}` is not an environment variable name; e.g. MLK_REGISTRY_PASSWORD"),
            )),
            (None, Some(p)) if p.trim().is_empty() => {
                v.push((format!("{f}.passwordFile"), "must be a path".into()))
            }
            _ => {}
        }
    }
    v
}
