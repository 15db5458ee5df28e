//! Planning a fleet: its clusters' names, every node's address, each cluster's generated
//! profile (and inventory part), the dashboards' URLs, whether the fleet fits the host, and
//! warnings (Docker Hub's pull limit). Touches nothing; `fleet up` saves what it returns.
use super::alloc;
use super::capacity::{self, Host, Need};
use super::member;
use super::names::Member;
use super::record::{self, Cluster, Fleet, FleetDir, NodeAddr};
use crate::cluster::Home;
use crate::exit::{Class, classify};
use crate::profile::{self, Profile};
use crate::provider::ProviderKind;
use anyhow::Result;
use ipnet::Ipv4Net;
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::Path;

/// Docker Hub's pull limit for anonymous pulls, per IPv4 address and hour (docker/docs,
/// content/manuals/docker-hub/usage/_index.md: "Unauthenticated users | 10 per IPv4 address
/// or IPv6 /64 subnet"; docs/contracts.md, "Docker Hub pull limit").
pub const ANONYMOUS_PULLS_PER_HOUR: u32 = 10;

pub struct Request<'a> {
    pub home: &'a Home,
    pub fleet: &'a str,
    pub profile: &'a str,
    pub provider: Option<ProviderKind>,
    pub inventory: Option<&'a Path>,
    pub network: Option<Ipv4Net>,
    /// `--distribution`: replaces every cluster's `kubernetes.distribution`.
    pub distribution: Option<crate::distribution::Distribution>,
    pub members: Vec<Member>,
}

/// One cluster as planned.
pub struct Planned {
    pub profile: Profile,
    pub profile_text: String,
    /// Its part of the inventory (ssh).
    pub inventory: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DashboardUrl {
    pub name: String,
    pub url: String,
    pub user: String,
}

pub struct Plan {
    pub fleet: Fleet,
    pub base_text: String,
    pub kind: ProviderKind,
    pub members: Vec<Planned>,
    pub warnings: Vec<String>,
    pub host: Host,
    pub need: Need,
    /// Every cluster's distribution (the flag's, else the profile's).
    pub distribution: crate::distribution::Distribution,
}

fn usage(m: String) -> anyhow::Error {
    classify(Class::Usage, m)
}

/// The default range: VirtualBox's allowed host-only range on this host (its first, from
/// /etc/vbox/networks.conf or VirtualBox's default 192.168.56.0/21).
pub fn default_network() -> Ipv4Net {
    crate::commands::host_rules()
        .vbox_ranges
        .and_then(|r| r.first().copied())
        .unwrap_or_else(|| {
            profile::validate::VBOX_DEFAULT_RANGE
                .parse()
                .expect("constant")
        })
}

/// Dashboards of a (member) profile with their URLs: what the roster and `fleet plan` show.
pub fn dashboards(p: &Profile) -> Vec<DashboardUrl> {
    p.components
        .addons()
        .flat_map(|a| a.dashboards())
        .map(|d| DashboardUrl {
            name: d.name.to_string(),
            url: format!(
                "{}://{}",
                d.scheme,
                p.ingress.host(d.addon).unwrap_or_default()
            ),
            user: d.user.to_string(),
        })
        .collect()
}

/// Clusters of the home that are not this fleet's, and every other fleet's clusters: names
/// this fleet may not take, and addresses it may not use.
fn others(home: &Home, fleet: &str, mine: &[String]) -> (Vec<String>, BTreeSet<Ipv4Addr>) {
    let mut names = Vec::new();
    let mut taken = BTreeSet::new();
    for f in record::list(home).iter().filter(|f| *f != fleet) {
        if let Ok(Some(r)) = record::load(&FleetDir::of(home, f)) {
            for c in &r.clusters {
                names.push(format!("{} (fleet {f})", c.name()));
                taken.extend(c.nodes.iter().map(|n| n.ip));
            }
        }
    }
    for c in crate::doctor::facts::other_clusters(&home.root, "") {
        if !mine.contains(&c.name) {
            taken.extend(c.ips);
        }
    }
    for f in home.clusters() {
        if !mine.contains(&f.name) {
            names.push(f.name);
        }
    }
    (names, taken)
}

pub fn plan(r: &Request) -> Result<Plan> {
    let src = profile::Source::resolve(r.profile)?;
    let hv = r.provider.and_then(ProviderKind::hypervisor);
    let rules = crate::commands::host_rules();
    let base = profile::load(
        &src,
        &profile::Overrides {
            provider: hv,
            distribution: r.distribution,
        },
        &rules,
    )?;
    let kind = r.provider.unwrap_or(ProviderKind::Vagrant(base.provider));
    let names: Vec<String> = r.members.iter().map(|m| m.cluster.clone()).collect();
    let existing = record::load(&FleetDir::of(r.home, r.fleet))?;
    let mine: Vec<String> = existing.as_ref().map(Fleet::names).unwrap_or_default();
    let (other_names, taken) = others(r.home, r.fleet, &mine);
    let clash: Vec<&String> = other_names
        .iter()
        .filter(|o| {
            names
                .iter()
                .any(|n| o.split(' ').next() == Some(n.as_str()))
        })
        .collect();
    if !clash.is_empty() {
        return Err(usage(format!(
            "cluster name(s) already in use in {}: {}; choose other names (--prefix, --names) or remove them (`mlk down -c NAME --purge`)",
            r.home.root.display(),
            clash
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let node_names: Vec<String> = base.nodes.iter().map(|n| n.name.clone()).collect();
    let (addresses, inventories, network) = match kind {
        ProviderKind::Ssh => {
            let inv = r.inventory.ok_or_else(|| {
                usage("--provider ssh needs --inventory FILE with a `Host <cluster>-<node>` block per node (e.g. lab-01-node1)".into())
            })?;
            let file = inv.display().to_string();
            let text = crate::fsutil::read_input_text(inv, crate::fsutil::MAX_INPUT)
                .map_err(|why| usage(format!("cannot read the inventory {file}: {why}")))?;
            let parts = member::split_inventory(&text, &file, &names, &node_names)?;
            let mut seen: Vec<(Ipv4Addr, String)> = Vec::new();
            for (c, (_, ips)) in names.iter().zip(&parts) {
                for (n, ip) in node_names.iter().zip(ips) {
                    if let Some((_, first)) = seen.iter().find(|(a, _)| a == ip) {
                        return Err(usage(format!(
                            "inventory {file}: {c}-{n} and {first} have the same HostName {ip}; every node needs its own host"
                        )));
                    }
                    seen.push((*ip, format!("{c}-{n}")));
                }
            }
            let (invs, ips): (Vec<String>, Vec<Vec<Ipv4Addr>>) = parts.into_iter().unzip();
            (ips, invs.into_iter().map(Some).collect::<Vec<_>>(), None)
        }
        ProviderKind::Vagrant(_) => {
            let network = r.network.unwrap_or_else(default_network);
            if kind == ProviderKind::Vagrant(profile::Hypervisor::Virtualbox)
                && let Some(ranges) = &rules.vbox_ranges
                && !ranges.iter().any(|g| g.contains(&network))
            {
                let allowed: Vec<String> = ranges.iter().map(ToString::to_string).collect();
                return Err(usage(format!(
                    "--network {network} is outside the host-only ranges VirtualBox allows ({}, {}); \
                     choose a range inside them, or allow it with a line `* {network}` in /etc/vbox/networks.conf",
                    allowed.join(", "),
                    rules.vbox_source
                )));
            }
            // A rerun keeps what was recorded, so a cluster never moves.
            let recorded: Option<Vec<Vec<Ipv4Addr>>> = existing
                .as_ref()
                .filter(|f| {
                    f.names() == names && f.network.as_deref() == Some(&network.to_string())
                })
                .map(|f| {
                    f.clusters
                        .iter()
                        .map(|c| c.nodes.iter().map(|n| n.ip).collect())
                        .collect()
                });
            let ips = match recorded {
                Some(v) => v,
                None => alloc::allocate(network, node_names.len(), names.len(), &taken)
                    .map_err(|e| usage(e.to_string()))?,
            };
            let n = ips.len();
            (ips, vec![None; n], Some(network))
        }
    };
    let mut members = Vec::new();
    let mut clusters = Vec::new();
    let mut problems = Vec::new();
    for ((m, ips), inv) in r.members.iter().zip(&addresses).zip(inventories) {
        let text = member::profile_text(&src.text, &src.file, &m.cluster, ips)?;
        let msrc = profile::Source {
            file: format!(
                "the profile generated for cluster {} from {}",
                m.cluster, src.file
            ),
            text: text.clone(),
        };
        match profile::load(
            &msrc,
            &profile::Overrides {
                provider: hv,
                distribution: r.distribution,
            },
            &rules,
        ) {
            Ok(p) => members.push(Planned {
                profile: p,
                profile_text: text,
                inventory: inv,
            }),
            // Every cluster differs only in name and addresses: the first one's problems say it.
            Err(e) if problems.is_empty() => problems.push(format!("{e}")),
            Err(_) => {}
        }
        clusters.push(Cluster {
            member: m.clone(),
            nodes: node_names
                .iter()
                .zip(ips)
                .map(|(n, ip)| NodeAddr {
                    node: n.clone(),
                    ip: *ip,
                })
                .collect(),
        });
    }
    if !problems.is_empty() {
        return Err(usage(problems.join("\n")));
    }
    let host = capacity::measure();
    let need = Need::of(&base);
    let mut warnings = Vec::new();
    if matches!(kind, ProviderKind::Vagrant(_)) {
        match capacity::fit(need, names.len(), &host) {
            Ok(w) => warnings.extend(w),
            Err(e) => return Err(classify(Class::Preflight, e)),
        }
    }
    if let Some(w) = docker_hub_warning(&base, names.len()) {
        warnings.push(w);
    }
    let mut fleet = Fleet::new(r.fleet, &profile_label(r.profile), kind.as_str(), clusters);
    if let Some(old) = &existing {
        fleet.created = old.created.clone();
        fleet.selection = old.selection.clone();
    }
    fleet.network = network.map(|n| n.to_string());
    fleet.distribution = r.distribution.map(|d| d.as_str().to_string());
    fleet.inventory = r
        .inventory
        .and_then(|p| std::path::absolute(p).ok())
        .map(|p| p.display().to_string());
    Ok(Plan {
        fleet,
        base_text: src.text,
        kind,
        members,
        warnings,
        host,
        need,
        distribution: base.distribution(),
    })
}

/// The warning when every node pulls from Docker Hub with neither a mirror nor a login.
pub fn docker_hub_warning(p: &Profile, clusters: usize) -> Option<String> {
    let hub = crate::profile::registries::DOCKER_HUB;
    let r = &p.registries;
    if r.mirrors.contains_key(hub) || r.credentials.contains_key(hub) {
        return None;
    }
    Some(format!(
        "Docker Hub: the profile names no mirror and no login for {hub}, so {} node(s) pull anonymously; \
         Docker Hub allows {ANONYMOUS_PULLS_PER_HOUR} anonymous pulls an hour per address (the VMs of one host share its address), \
         far below what {clusters} cluster(s) pull (every node pulls RKE's system images and the add-ons' images). \
         Set registries.mirrors.docker.io (a pull-through cache) or registries.credentials.docker.io in the profile (docs/nodes.md)",
        clusters * p.nodes.len()
    ))
}

/// An embedded name stays a name; a file is kept by its absolute path.
fn profile_label(arg: &str) -> String {
    if profile::embedded_names().iter().any(|n| n == arg) {
        arg.to_string()
    } else {
        std::path::absolute(arg).map_or_else(|_| arg.to_string(), |p| p.display().to_string())
    }
}
