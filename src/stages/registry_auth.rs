//! Registry logins on the nodes, part of the `secrets` stage. The profile names where each
//! password is (`passwordEnv` or `passwordFile`); it is read here, at run time, built into a
//! Docker `config.json` and copied to every node as root-only 0600 files:
//!
//! - `/root/.docker/config.json`: the Docker CLI (`sudo docker pull`);
//! - `/var/lib/kubelet/config.json`: the kubelet's image-pull keyring, which looks in its root
//!   directory first (kubernetes pkg/credentialprovider/config.go, ReadDockerConfigJSONFile);
//!   RKE bind-mounts /var/lib/kubelet into its kubelet container.
//!
//! Docker Hub's key is `https://index.docker.io/v1/`, the one the Docker CLI writes and
//! reads, and which the kubelet's keyring maps to docker.io images (pkg/credentialprovider/
//! keyring.go, defaultRegistryKey). Docker sends those docker.io credentials to docker.io's
//! mirrors too (one auth config per pull, for the image's registry): so a mirror that wants
//! a login takes the `docker.io` credentials (tests/registry_mirror.rs shows it with the real
//! engine and registry). rke's own system-image pulls use none of these files (rke passes
//! credentials only from cluster.yml's `private_registries`, where a password would be
//! rendered); they go through the mirror anonymously.
//!
//! No password is ever logged, rendered or stored on the host; compare by digest only.
use super::HostCtx;
use crate::layout::node;
use crate::profile::{Profile, registries::DOCKER_HUB};
use anyhow::{Context, Result, bail};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where the file lands on each node, readable by root only.
pub const TARGETS: [&str; 2] = ["/root/.docker/config.json", "/var/lib/kubelet/config.json"];
/// Docker Hub's key in config.json (docker/cli's registry.IndexServer).
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

fn staging() -> String {
    node::secret("registry-auth.json")
}

/// `~/x` -> the home folder's x.
fn expand(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        None => PathBuf::from(path),
    }
}

/// Refuses a password file others may read (Unix modes; on Windows the file's ACL is not
/// inspected: `platform::files` says why).
fn private(path: &std::path::Path) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let Some(mode) = crate::platform::files::mode(&meta) else {
        return Ok(());
    };
    if mode & 0o077 != 0 {
        bail!(
            "{} has mode {:o}; a password file must be readable by its owner only (chmod 600)",
            path.display(),
            mode & 0o777
        );
    }
    Ok(())
}

/// The Docker config.json for the profile's credentials, each password read from its source
/// (`env` looks up environment variables); None when the profile has no credentials.
/// Errors name the profile field and the source, never the password.
pub fn config_json(p: &Profile, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Vec<u8>>> {
    if p.registries.credentials.is_empty() {
        return Ok(None);
    }
    let mut auths = BTreeMap::new();
    for (reg, user, password) in logins(p, env)? {
        let key = if reg == DOCKER_HUB {
            DOCKER_HUB_KEY
        } else {
            reg.as_str()
        };
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        auths.insert(key.to_string(), serde_json::json!({ "auth": auth }));
    }
    let doc = serde_json::json!({ "auths": auths });
    let mut text = serde_json::to_vec_pretty(&doc)?;
    text.push(b'\n');
    Ok(Some(text))
}

/// The profile's logins as (registry, username, password), each password read from its
/// source (`env` looks up environment variables). Errors name the profile field and the
/// source, never the password. RKE2's registries.yaml takes them as they are.
pub fn logins(
    p: &Profile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for (reg, c) in &p.registries.credentials {
        let field = format!("registries.credentials.{reg}");
        let password = match (&c.password_env, &c.password_file) {
            (Some(var), _) => env(var).filter(|v| !v.is_empty()).with_context(|| {
                format!("{field}.passwordEnv: the environment variable {var} is not set or empty; mlk reads the password from it at run time")
            })?,
            (None, Some(file)) => {
                let path = expand(file);
                private(&path).with_context(|| format!("{field}.passwordFile"))?;
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("{field}.passwordFile: reading {}", path.display()))?;
                text.trim_end_matches(['\n', '\r']).to_string()
            }
            (None, None) => bail!("{field}: no password source (validation should have caught this)"),
        };
        if password.is_empty() {
            bail!("{field}: the password is empty");
        }
        out.push((reg.clone(), c.username.clone(), password));
    }
    Ok(out)
}

fn from_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

/// `mode owner digest` of each target as `sudo` sees it on a node.
fn node_digests(r: &dyn crate::remote::Runner) -> Result<Vec<String>> {
    let cmd = format!(
        "sudo sh -c 'for f in {}; do if [ -f \"$f\" ]; then printf \"%s \" \"$(stat -c \"%a %U\" \"$f\")\"; sha256sum < \"$f\"; else echo missing; fi; done'",
        TARGETS.join(" ")
    );
    let mut lines = Vec::new();
    let res = r
        .exec(&cmd, None, &mut |l| lines.push(l.to_string()))
        .map_err(anyhow::Error::from)?;
    if res.status != 0 {
        bail!(
            "{}: reading the registry logins failed ({})",
            r.node(),
            res.status
        );
    }
    Ok(lines)
}

/// Whether every node holds the profile's logins (true when it has none).
pub fn check(ctx: &HostCtx) -> Result<bool> {
    let Some(json) = config_json(ctx.profile, &from_env)? else {
        return Ok(true);
    };
    let want = format!("600 root {}", hex::encode(Sha256::digest(&json)));
    for r in ctx.runners.values() {
        let have = node_digests(r.as_ref())?;
        if have.len() != TARGETS.len() || !have.iter().all(|l| l.starts_with(&want)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Puts the logins on every node (nothing when the profile has none).
pub fn run(ctx: &HostCtx) -> Result<()> {
    let Some(json) = config_json(ctx.profile, &from_env)? else {
        return Ok(());
    };
    let regs: Vec<&str> = ctx
        .profile
        .registries
        .credentials
        .keys()
        .map(String::as_str)
        .collect();
    for r in ctx.runners.values() {
        let r = r.as_ref();
        let mut noop = |_: &str| {};
        let mk = format!("mkdir -p {d} && chmod 700 {d}", d = node::secrets_dir());
        let res = r.exec(&mk, None, &mut noop).map_err(anyhow::Error::from)?;
        if res.status != 0 {
            bail!("{}: `{mk}` failed with status {}", r.node(), res.status);
        }
        r.upload(&json, &staging(), 0o600)
            .map_err(anyhow::Error::from)?;
        let install: Vec<String> = TARGETS
            .iter()
            .map(|t| format!("sudo install -D -m 0600 -o root -g root {} {t}", staging()))
            .collect();
        let cmd = format!("{} && rm -f {}", install.join(" && "), staging());
        let mut out = Vec::new();
        let res = r
            .exec(&cmd, None, &mut |l| out.push(l.to_string()))
            .map_err(anyhow::Error::from)?;
        if res.status != 0 {
            let _ = r.exec(&format!("rm -f {}", staging()), None, &mut noop);
            bail!(
                "{}: installing the registry logins failed ({}): {}",
                r.node(),
                res.status,
                out.join(" ")
            );
        }
        (ctx.log)(&format!(
            "registry logins for {} on {} ({}, root 0600)",
            regs.join(", "),
            r.node(),
            TARGETS.join(", ")
        ));
    }
    Ok(())
}
