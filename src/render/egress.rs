//! What the nodes need to reach registries and the internet, prepared for the templates:
//! Docker's daemon.json (registry mirrors), the proxy as apt, systemd (dockerd) and the shell
//! (curl, helm, git) each want it, and Rancher's proxy values. Only file contents computed
//! here reach the templates, so every format is built (and quoted) in one place.
//! No credential is ever part of this: passwords go to the nodes by `stages::registry_auth`.
use crate::profile::{Profile, proxy, registries::DOCKER_HUB};
use serde::Serialize;

#[derive(Serialize, Default)]
pub struct DockerCtx {
    /// /etc/docker/daemon.json as mlk writes it; empty: mlk leaves the file alone.
    pub daemon_json: String,
    /// The mirrors as `docker info` reports them (`{{json .RegistryConfig.Mirrors}}`): moby's
    /// ValidateMirror (registry/config.go) stores each with one trailing '/'.
    pub mirrors_json: String,
    pub has_mirrors: bool,
}

#[derive(Serialize, Default)]
pub struct ProxyCtx {
    pub enabled: bool,
    /// `http_proxy=...` and friends, lower and upper case, for `export` and `sudo env`.
    pub env: Vec<String>,
    /// /etc/apt/apt.conf.d/90mlk-proxy.
    pub apt_conf: String,
    /// The systemd drop-in for docker.service (dockerd reads the proxy from its environment).
    pub docker_dropin: String,
    /// What `docker info --format '{{.HTTPProxy}}|{{.HTTPSProxy}}|{{.NoProxy}}'` prints then.
    pub docker_info: String,
    /// Rancher's chart has one `proxy` for both schemes.
    pub rancher: String,
    /// Comma-joined no-proxy list (profile entries and mlk's own).
    pub no_proxy: String,
}

fn mirrors(p: &Profile) -> Vec<String> {
    p.registries
        .mirrors
        .get(DOCKER_HUB)
        .map(|m| {
            m.endpoints
                .iter()
                .map(|e| format!("{}/", e.trim_end_matches('/')))
                .collect()
        })
        .unwrap_or_default()
}

pub fn docker(p: &Profile) -> DockerCtx {
    let m = mirrors(p);
    if m.is_empty() {
        return DockerCtx::default();
    }
    let doc = serde_json::json!({ "registry-mirrors": m });
    DockerCtx {
        daemon_json: format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).expect("JSON of strings")
        ),
        mirrors_json: serde_json::to_string(&m).expect("JSON of strings"),
        has_mirrors: true,
    }
}

/// The proxy for http:// and https:// URLs: `https` falls back to `http` (an HTTP proxy
/// tunnels TLS with CONNECT, and forgetting `https` is the usual mistake).
fn urls(px: &proxy::Proxy) -> (Option<String>, Option<String>) {
    let http = px.http.clone();
    let https = px.https.clone().or_else(|| http.clone());
    (http, https)
}

pub fn proxy(p: &Profile) -> ProxyCtx {
    let Some(px) = &p.proxy else {
        return ProxyCtx::default();
    };
    let (http, https) = urls(px);
    let no_proxy = proxy::no_proxy(p).join(",");
    let mut env = Vec::new();
    let mut apt = String::from("// Written by mlk os-prep: the profile's proxy.\n");
    let mut unit = Vec::new();
    for (scheme, url) in [("http", &http), ("https", &https)] {
        if let Some(u) = url {
            env.push(format!("{scheme}_proxy={u}"));
            env.push(format!("{}_PROXY={u}", scheme.to_uppercase()));
            apt.push_str(&format!("Acquire::{scheme}::Proxy \"{u}\";\n"));
            unit.push(format!("\"{}_PROXY={u}\"", scheme.to_uppercase()));
        }
    }
    env.push(format!("no_proxy={no_proxy}"));
    env.push(format!("NO_PROXY={no_proxy}"));
    unit.push(format!("\"NO_PROXY={no_proxy}\""));
    ProxyCtx {
        enabled: true,
        env,
        apt_conf: apt,
        docker_dropin: format!(
            "# Written by mlk (docker stage): the profile's proxy for dockerd's pulls.\n[Service]\nEnvironment={}\n",
            unit.join(" ")
        ),
        docker_info: format!(
            "{}|{}|{no_proxy}",
            http.clone().unwrap_or_default(),
            https.clone().unwrap_or_default()
        ),
        rancher: https.or(http).unwrap_or_default(),
        no_proxy,
    }
}
