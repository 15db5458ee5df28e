//! The HTTP(S) proxy a profile's nodes must use to reach the internet (campus and company
//! networks), and the no-proxy list: what the user gives plus every address that must never
//! go through a proxy (the nodes, the cluster's pod and service networks, in-cluster names,
//! loopback and the dashboards' host names).
use super::types::Profile;
use serde::{Deserialize, Serialize};

/// RKE's default pod network (`services.kube-controller.cluster_cidr`) and service network
/// (`service_cluster_ip_range`): rancher/rke cluster/defaults.go (DefaultClusterCIDR,
/// DefaultServiceClusterIPRange); mlk's cluster.yml sets neither.
pub const CLUSTER_CIDR: &str = "10.42.0.0/16";
pub const SERVICE_CIDR: &str = "10.43.0.0/16";

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Proxy {
    /// Proxy for http:// URLs, e.g. http://proxy.example.org:3128.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
    /// Proxy for https:// URLs (usually the same http:// proxy, which tunnels with CONNECT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https: Option<String>,
    /// Hosts, domains (`.example.org`), IPs and CIDRs reached directly, besides mlk's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_proxy: Vec<String>,
}

/// Why `url` cannot be a proxy URL, if it cannot.
pub fn url_problem(url: &str) -> Option<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(format!(
            "`{url}` is not a URL; e.g. http://proxy.example.org:3128"
        ));
    };
    if scheme != "http" && scheme != "https" {
        return Some(format!(
            "`{url}`: the scheme must be http or https (apt and Docker take no socks proxy)"
        ));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('@') {
        return Some(format!(
            "`{url}`: no user or password in the proxy URL: it would be written in plain text into rendered files and onto every node; use a proxy that admits the lab by address"
        ));
    }
    if rest.contains(['/', '?', '#']) || !super::registries::is_registry_name(rest) {
        return Some(format!("`{url}`: give scheme://host[:port] only"));
    }
    None
}

/// A no-proxy entry curl, Go and Docker all read the same way: a host or `.domain` suffix, an
/// IPv4 address or CIDR, or `*`. No commas or spaces (the lists are comma-joined).
pub fn no_proxy_entry_ok(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    if s.parse::<ipnet::Ipv4Net>().is_ok() || s.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    let host = s.strip_prefix('.').unwrap_or(s);
    !host.is_empty() && super::registries::is_registry_name(host)
}

/// (field, message) for every problem in the proxy settings.
pub fn problems(p: &Proxy) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if p.http.is_none() && p.https.is_none() {
        v.push((
            "proxy".into(),
            "give http, https or both (e.g. http: http://proxy.example.org:3128), or remove proxy"
                .into(),
        ));
    }
    for (k, u) in [("http", &p.http), ("https", &p.https)] {
        if let Some(why) = u.as_deref().and_then(url_problem) {
            v.push((format!("proxy.{k}"), why));
        }
    }
    for (i, e) in p.no_proxy.iter().enumerate() {
        if !no_proxy_entry_ok(e) {
            v.push((
                format!("proxy.noProxy[{i}]"),
                format!("`{e}` is not a host, .domain, IPv4 address or CIDR"),
            ));
        }
    }
    v
}

/// Everything that must be reached directly: loopback, every node, the pod and service
/// networks, in-cluster names, the dashboards' host names, then the profile's own entries.
pub fn no_proxy(p: &Profile) -> Vec<String> {
    let mut v: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
    v.extend(p.nodes.iter().map(|n| n.ip.to_string()));
    v.extend(p.nodes.iter().map(|n| n.name.clone()));
    v.push(CLUSTER_CIDR.into());
    v.push(SERVICE_CIDR.into());
    v.push(".svc".into());
    v.push(".cluster.local".into());
    let i = &p.ingress;
    for h in [&i.domain, &i.rancher, &i.chronograf, &i.kubeflow]
        .into_iter()
        .filter(|h| !h.is_empty())
    {
        v.push(h.clone());
    }
    if let Some(px) = &p.proxy {
        v.extend(px.no_proxy.iter().cloned());
    }
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|e| seen.insert(e.clone()));
    v
}
