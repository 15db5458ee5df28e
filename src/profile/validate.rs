//! Semantic checks on a parsed, defaulted profile. Each problem names the field and what is allowed.
use super::error::Problem;
use super::requirements;
use super::types::{API_VERSION, Hypervisor, KIND, Profile, Role};
use crate::addon::Addon;
use ipnet::Ipv4Net;
use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;

/// Host facts the checks depend on, gathered by the caller so validation stays pure.
#[derive(Debug, Clone)]
pub struct HostRules {
    /// Host-only ranges VirtualBox accepts; None where VirtualBox does not check (Windows).
    pub vbox_ranges: Option<Vec<Ipv4Net>>,
    /// Where those ranges came from, for the message.
    pub vbox_source: String,
}

pub const VBOX_DEFAULT_RANGE: &str = "192.168.56.0/21";
/// VirtualBox's NAT network: every VM's first NIC is 10.0.2.15 in it, so a node IP there clashes.
pub const VBOX_NAT_NET: &str = "10.0.2.0/24";
/// vagrant-libvirt's default management network: a node IP here clashes with it.
pub const LIBVIRT_MGMT_NET: &str = "192.168.121.0/24";

struct Checker<'a> {
    problems: Vec<Problem>,
    lines: &'a HashMap<String, usize>,
}

impl Checker<'_> {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        let line = super::lines::find(self.lines, &field);
        self.problems.push(Problem {
            field,
            line,
            message: message.into(),
        });
    }
}

/// DNS-1123 label: what Kubernetes, RKE's hostname_override and Vagrant all accept.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Runs every check; an empty result means the profile is valid.
pub fn validate(p: &Profile, rules: &HostRules, lines: &HashMap<String, usize>) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
        lines,
    };
    if p.api_version != API_VERSION {
        c.add(
            "apiVersion",
            format!(
                "`{}` is not supported; allowed: {API_VERSION}",
                p.api_version
            ),
        );
    }
    if p.kind != KIND {
        c.add(
            "kind",
            format!("`{}` is not supported; allowed: {KIND}", p.kind),
        );
    }
    if !crate::state::is_cluster_name(&p.name) {
        c.add("name", format!("`{}` is not allowed: use 1-40 lowercase letters, digits and '-', not starting or ending with '-'", crate::text::shown(&p.name)));
    }
    if p.vm_box.name.trim().is_empty() {
        c.add("box.name", "must not be empty; e.g. bento/ubuntu-24.04");
    }
    if p.provider == Hypervisor::Hyperv
        && p.vm_box.hyperv.is_none()
        && p.vm_box.name.starts_with("bento/")
    {
        c.add("box.hyperv", format!("{} has no Hyper-V build; set box.hyperv to a box that has one, e.g. generic/ubuntu2204 with box.hypervVersion 4.3.12", p.vm_box.name));
    }
    if let Some(h) = &p.vm_box.hyperv
        && *h != p.vm_box.name
        && p.vm_box.hyperv_version.is_none()
    {
        c.add(
            "box.hypervVersion",
            format!("required with box.hyperv ({h}): pin the Hyper-V box's version, e.g. 4.3.12 for generic/ubuntu2204 (`vagrant box list` shows installed ones)"),
        );
    }
    if p.provider == Hypervisor::Hyperv {
        check_hyperv(&mut c, p);
    }
    check_nodes(&mut c, p, rules);
    check_kubernetes(&mut c, p);
    check_components(&mut c, p);
    check_resources(&mut c, p);
    check_ingress(&mut c, p);
    check_stages(&mut c, p);
    let egress = super::registries::problems(&p.registries)
        .into_iter()
        .chain(p.proxy.iter().flat_map(super::proxy::problems));
    for (field, message) in egress.chain(super::limits::check(p)) {
        c.add(field, message);
    }
    c.problems
}

fn check_nodes(c: &mut Checker, p: &Profile, rules: &HostRules) {
    if p.nodes.is_empty() {
        c.add("nodes", "at least one node is required");
        return;
    }
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut ips: HashMap<Ipv4Addr, usize> = HashMap::new();
    let first_net = Ipv4Net::new(p.nodes[0].ip, 24).map(|n| n.trunc()).ok();
    for (i, n) in p.nodes.iter().enumerate() {
        let f = |k: &str| format!("nodes[{i}].{k}");
        if !is_dns_label(&n.name) {
            c.add(f("name"), format!("`{}` is not a valid host name: use lowercase letters, digits and '-' (DNS-1123 label, at most 63 characters)", n.name));
        }
        if let Some(j) = names.insert(&n.name, i) {
            c.add(
                f("name"),
                format!(
                    "duplicate node name `{}` (also nodes[{j}].name); node names must be unique",
                    n.name
                ),
            );
        }
        if let Some(j) = ips.insert(n.ip, i) {
            c.add(
                f("ip"),
                format!(
                    "duplicate IP {} (also nodes[{j}].ip); every node needs its own address",
                    n.ip
                ),
            );
        }
        check_ip(c, p.provider, &f("ip"), n.ip, rules);
        if let (Some(net), Ok(mine)) = (first_net, Ipv4Net::new(n.ip, 24))
            && mine.trunc() != net
            && p.provider != Hypervisor::Hyperv
        {
            c.add(f("ip"), format!("{} is not in {net}, the host-only network of nodes[0]; all nodes must share one /24", n.ip));
        }
        if n.maxmemory < n.memory {
            c.add(
                f("maxmemory"),
                format!(
                    "{} MiB is below memory ({} MiB); allowed: at least memory",
                    n.maxmemory, n.memory
                ),
            );
        }
        if n.roles.is_empty() {
            c.add(
                f("roles"),
                "at least one role is required; allowed: controlplane, etcd, worker",
            );
        }
        let set: BTreeSet<Role> = n.roles.iter().copied().collect();
        if set.len() != n.roles.len() {
            c.add(f("roles"), "a role is listed twice");
        }
    }
    for (role, why) in [
        (Role::Etcd, "RKE needs at least one etcd node"),
        (
            Role::Controlplane,
            "RKE needs at least one controlplane node",
        ),
        (Role::Worker, "pods need at least one worker node"),
    ] {
        if !p.nodes.iter().any(|n| n.roles.contains(&role)) {
            c.add(
                "nodes",
                format!("no node has the {} role: {why}", role.as_str()),
            );
        }
    }
    let etcd = p
        .nodes
        .iter()
        .filter(|n| n.roles.contains(&Role::Etcd))
        .count();
    if etcd > 1 && etcd % 2 == 0 {
        c.add("nodes", format!("{etcd} etcd nodes: an even etcd count tolerates no more failures than one fewer; use 1 or 3"));
    }
}

/// Hyper-V asks questions that fail without a terminal (`UIExpectsTTY`): the switch, unless
/// one is named, and SMB credentials for a synced folder.
fn check_hyperv(c: &mut Checker, p: &Profile) {
    if p.hyperv.switch.trim().is_empty() {
        c.add(
            "hyperv.switch",
            "must name a Hyper-V virtual switch (`Get-VMSwitch` lists them); default \"Default Switch\"",
        );
    }
    if p.synced_folder {
        c.add(
            "syncedFolder",
            "not allowed with provider hyperv: Vagrant shares folders with Hyper-V over SMB and asks for a Windows user name and password, which mlk cannot answer; allowed: false (mlk uploads what the nodes need)",
        );
    }
}

fn check_ip(c: &mut Checker, provider: Hypervisor, field: &str, ip: Ipv4Addr, rules: &HostRules) {
    let last = ip.octets()[3];
    if ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_link_local()
    {
        c.add(
            field,
            format!("{ip} cannot be a node address; use a private address such as 192.168.56.10"),
        );
        return;
    }
    if last == 0 || last == 255 {
        c.add(
            field,
            format!("{ip} is a network or broadcast address of its /24; use .2-.254"),
        );
    }
    if last == 1 && provider != Hypervisor::Hyperv {
        c.add(
            field,
            format!(
                "{ip}: the .1 address of the host-only network belongs to the host; use .2-.254"
            ),
        );
    }
    match provider {
        Hypervisor::Virtualbox => {
            let nat: Ipv4Net = VBOX_NAT_NET.parse().expect("constant");
            if nat.contains(&ip) {
                c.add(field, format!("{ip} is in {VBOX_NAT_NET}, the NAT network VirtualBox gives every VM on its first NIC; use another /24, e.g. 192.168.56.0/24"));
            }
            if let Some(ranges) = &rules.vbox_ranges
                && !ranges.iter().any(|r| r.contains(&ip))
            {
                let mut allowed: Vec<String> = ranges.iter().map(ToString::to_string).collect();
                if allowed.is_empty() {
                    allowed.push("none: the file has no `*` line".into());
                }
                c.add(field, format!(
                        "{ip} is outside the ranges VirtualBox 6.1.28+ allows for host-only networks ({}, from {}); \
                         use an address in them, or allow more in /etc/vbox/networks.conf, e.g. a line `* {}/24`",
                        allowed.join(", "), rules.vbox_source, Ipv4Net::new(ip, 24).map(|n| n.trunc().addr()).unwrap_or(ip)));
            }
        }
        Hypervisor::Libvirt => {
            let mgmt: Ipv4Net = LIBVIRT_MGMT_NET.parse().expect("constant");
            if mgmt.contains(&ip) {
                c.add(field, format!("{ip} is in {LIBVIRT_MGMT_NET}, vagrant-libvirt's management network; use another /24, e.g. 192.168.56.0/24"));
            }
        }
        // Hyper-V ignores static addresses: mlk reads them back after `vagrant up`.
        Hypervisor::Hyperv => {}
    }
}

fn check_kubernetes(c: &mut Checker, p: &Profile) {
    // The exact form of the version (RKE1's v1.27 to v1.32) is checked in `limits`.
    if p.distribution() == crate::distribution::Distribution::Rke2 {
        // What mlk wires for RKE2 (src/distribution/rke2.rs): canal's interface through its
        // HelmChartConfig, and Traefik, which has no ingress-nginx allow-list annotation.
        if p.kubernetes.network_plugin != super::NetworkPlugin::Canal {
            c.add(
                "kubernetes.networkPlugin",
                "with kubernetes.distribution rke2 only canal is supported (mlk sets its interface with a rke2-canal HelmChartConfig); remove networkPlugin or set canal",
            );
        }
        if !p.ingress.allow_from.is_empty() {
            c.add(
                "ingress.allowFrom",
                "with kubernetes.distribution rke2 the dashboards are behind Traefik, and mlk's allow-list is an ingress-nginx annotation; remove ingress.allowFrom or use distribution rke",
            );
        }
    }
    let Some(iface) = p.kubernetes.iface.as_deref() else {
        return; // Hyper-V's default: the CNI takes the default-route NIC
    };
    if iface.is_empty()
        || iface.len() > 15
        || !iface
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    {
        c.add(
            "kubernetes.iface",
            format!("`{iface}` is not a Linux interface name; e.g. eth1 or enp0s8"),
        );
    }
}

fn check_components(c: &mut Checker, p: &Profile) {
    let k = &p.components;
    let mut missing: Vec<(Addon, Addon, &str)> = k
        .addons()
        .flat_map(|a| {
            a.needs()
                .iter()
                .filter(|(need, _)| !k.enabled(*need))
                .map(move |(need, why)| (*need, a, *why))
        })
        .collect();
    // Grouped by the add-on needed, the later-installed first (cert-manager's dependants,
    // then local-path's).
    missing.sort_by_key(|(need, a, _)| (std::cmp::Reverse(*need), *a));
    for (_, a, why) in missing {
        c.add(format!("components.{}.enabled", a.key()), why);
    }
    // Versions have exact forms per field, checked in `limits`.
}

fn check_resources(c: &mut Checker, p: &Profile) {
    if p.nodes.is_empty()
        || p.nodes
            .iter()
            .any(|n| n.cpus == 0 || n.memory < requirements::NODE_MIN_MIB)
    {
        return; // reported per node
    }
    if let Err(e) = requirements::fit(p) {
        c.add("nodes", e);
    }
}

fn check_ingress(c: &mut Checker, p: &Profile) {
    let i = &p.ingress;
    for (field, v) in [
        ("ingress.domain", &i.domain),
        ("ingress.rancher", &i.rancher),
        ("ingress.chronograf", &i.chronograf),
        ("ingress.kubeflow", &i.kubeflow),
    ] {
        if v.is_empty() && p.nodes.is_empty() {
            continue; // nothing to derive it from: the missing nodes are reported
        }
        if !is_dns_name(v) {
            c.add(field, format!("`{v}` is not a DNS name; allowed: lowercase labels joined by dots, e.g. rancher.192.168.56.10.sslip.io"));
        }
        let is_xip = |h: &str| h == "xip.io" || h.ends_with(".xip.io");
        // A host derived from an xip.io domain is the domain's fault: report it once, there.
        let derived = field != "ingress.domain" && is_xip(&i.domain);
        if is_xip(v) && !derived {
            c.add(
                field,
                "xip.io has not resolved since 2021; use sslip.io or nip.io",
            );
        }
    }
    check_allow_from(c, p);
}

/// `ingress.allowFrom`: IPv4 networks or addresses, and the first controlplane node among
/// them: the stages' checks and `mlk open`'s port-forward reach the dashboards from there.
fn check_allow_from(c: &mut Checker, p: &Profile) {
    let cp = p
        .nodes
        .iter()
        .find(|n| n.roles.contains(&Role::Controlplane));
    let mut nets = Vec::new();
    for (i, v) in p.ingress.allow_from.iter().enumerate() {
        let net = v
            .parse::<ipnet::Ipv4Net>()
            .ok()
            .or_else(|| v.parse::<Ipv4Addr>().ok().map(ipnet::Ipv4Net::from));
        match net {
            Some(n) => nets.push(n),
            None => c.add(
                format!("ingress.allowFrom[{i}]"),
                format!("`{v}` is not an IPv4 network or address; allowed: e.g. 192.168.56.0/24 or 192.168.56.1"),
            ),
        }
    }
    if let Some(cp) = cp
        && !nets.is_empty()
        && nets.len() == p.ingress.allow_from.len()
        && !nets.iter().any(|n| n.contains(&cp.ip))
    {
        c.add(
            "ingress.allowFrom",
            format!(
                "no entry contains {} ({}, the first controlplane node): mlk checks the dashboards and forwards `mlk open` from there; add e.g. {}/24",
                cp.ip,
                cp.name,
                ipnet::Ipv4Net::new(cp.ip, 24).map_or_else(|_| cp.ip.to_string(), |n| n.trunc().network().to_string())
            ),
        );
    }
}

fn check_stages(c: &mut Checker, p: &Profile) {
    let mut known: BTreeSet<&str> = crate::catalogue::names().collect();
    for (i, s) in p.stages.iter().enumerate() {
        let f = |k: &str| format!("stages[{i}].{k}");
        if !is_dns_label(&s.id) {
            c.add(
                f("id"),
                format!(
                    "`{}` is not allowed: use lowercase letters, digits and '-'",
                    s.id
                ),
            );
        }
        if !known.contains(s.after.as_str()) {
            c.add(
                f("after"),
                format!(
                    "unknown stage `{}`; allowed: {}",
                    s.after,
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        if !known.insert(&s.id) {
            c.add(f("id"), format!("stage id `{}` is already taken", s.id));
        }
        if s.run.trim().is_empty() {
            c.add(f("run"), "must not be empty");
        }
    }
}

/// VirtualBox's host-only range rule as it applies on this host.
///
/// VirtualBox 6.1.28+ checks ranges on Linux and macOS (not on Windows). The allowed ranges are
/// the `*` lines of /etc/vbox/networks.conf, or 192.168.56.0/21 when the file is absent.
/// `MLK_VBOX_NETWORKS_CONF` points at another file (tests use it).
pub fn host_rules_from_env() -> HostRules {
    if cfg!(windows) {
        return HostRules {
            vbox_ranges: None,
            vbox_source: "Windows: not checked".into(),
        };
    }
    // Vagrant 2.3.3+ skips the range check for VirtualBox 7.0+ on macOS; which VirtualBox is
    // installed is the doctor's question (`doctor::network::ranges_apply`), not the profile's.
    if cfg!(target_os = "macos") {
        return HostRules {
            vbox_ranges: None,
            vbox_source: "macOS: checked by `mlk doctor` (VirtualBox 6.1 only)".into(),
        };
    }
    let path = std::env::var("MLK_VBOX_NETWORKS_CONF")
        .unwrap_or_else(|_| "/etc/vbox/networks.conf".into());
    match std::fs::read_to_string(&path) {
        Ok(text) => HostRules {
            vbox_ranges: Some(parse_networks_conf(&text)),
            vbox_source: path,
        },
        Err(_) => HostRules {
            vbox_ranges: Some(vec![VBOX_DEFAULT_RANGE.parse().expect("constant")]),
            vbox_source: "VirtualBox's default, as /etc/vbox/networks.conf does not exist".into(),
        },
    }
}

/// IPv4 ranges from networks.conf lines such as `* 10.0.0.0/8 192.168.0.0/16`.
pub fn parse_networks_conf(text: &str) -> Vec<Ipv4Net> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix('*'))
        .flat_map(|rest| {
            rest.split_whitespace()
                .filter_map(|w| w.parse::<Ipv4Net>().ok())
                .collect::<Vec<_>>()
        })
        .collect()
}
