//! Network checks: VirtualBox's allowed host-only ranges, the nodes' subnet against addresses
//! and routes the host already has, and other mlk clusters using the same IPs.
use super::Check;
use super::facts::Facts;
use super::host::Iface;
use crate::profile::validate::{VBOX_DEFAULT_RANGE, parse_networks_conf};
use crate::profile::{Hypervisor, Profile};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Interfaces `provider` makes for its own networks: an address of theirs in the nodes' subnet
/// is the host side of the lab's own network, not a clash. Only the chosen provider's: a
/// `vboxnet0` holding 192.168.56.1 is VirtualBox's, and it breaks a libvirt lab in that /24.
pub fn own_ifaces(provider: Hypervisor) -> &'static [&'static str] {
    match provider {
        Hypervisor::Virtualbox => &["vboxnet"],
        // vagrant-libvirt's networks are libvirt bridges (virbrN); vnetN are the VMs' taps.
        Hypervisor::Libvirt => &["virbr", "vnet"],
        // Hyper-V's virtual switches show up as host adapters named `vEthernet (<switch>)`.
        Hypervisor::Hyperv => &["vEthernet"],
    }
}

fn is_own(provider: Hypervisor, name: &str) -> bool {
    own_ifaces(provider).iter().any(|p| name.starts_with(p))
}

/// Vagrant skips its host-only range check on macOS from VirtualBox 7.0 (host-only networks
/// there are `hostonlynet`s without networks.conf ranges) since Vagrant 2.3.3:
/// plugins/providers/virtualbox/action/network.rb, `validate_hostonly_ip!` and
/// `DARWIN_IGNORE_HOSTONLY_VALIDATE_VERSION` (docs/contracts.md).
const DARWIN_IGNORE_VBOX: [u32; 2] = [7, 0];
const DARWIN_IGNORE_VAGRANT: [u32; 3] = [2, 3, 3];

/// Whether Vagrant applies networks.conf ranges on this host; `Err(why not)` otherwise.
pub fn ranges_apply(f: &Facts) -> Result<(), String> {
    if f.os == "windows" {
        return Err("VirtualBox does not restrict host-only ranges on Windows".into());
    }
    if f.os != "macos" {
        return Ok(());
    }
    let num = |t: &Option<Result<String, String>>| {
        t.as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|l| super::host::version_numbers(l))
    };
    let vbox = num(&f.vboxmanage);
    let vagrant = num(&Some(f.vagrant.clone()));
    match (vbox, vagrant) {
        (Some(vb), Some(va))
            if vb.as_slice() >= DARWIN_IGNORE_VBOX.as_slice()
                && va.as_slice() >= DARWIN_IGNORE_VAGRANT.as_slice() =>
        {
            Err(format!(
                "on macOS, Vagrant 2.3.3+ does not check host-only ranges for VirtualBox 7.0+ (VirtualBox {}, Vagrant {})",
                dotted(&vb),
                dotted(&va)
            ))
        }
        _ => Ok(()),
    }
}

fn dotted(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// The /24 each node's host-only network has (Vagrant's private_network default netmask).
fn node_net(ip: Ipv4Addr) -> Ipv4Net {
    Ipv4Net::new(ip, 24).map_or_else(|_| Ipv4Net::from(ip), |n| n.trunc())
}

pub fn vbox_ranges(p: &Profile, f: &Facts) -> Check {
    let id = "vbox-ranges";
    if let Err(why) = ranges_apply(f) {
        return Check::pass(id, why);
    }
    let (path, text) = &f.networks_conf;
    let (ranges, source) = match text {
        Some(t) => (parse_networks_conf(t), path.clone()),
        None => (
            vec![VBOX_DEFAULT_RANGE.parse().expect("constant")],
            format!("VirtualBox's default, as {path} does not exist"),
        ),
    };
    let outside: Vec<(&str, Ipv4Addr)> = p
        .nodes
        .iter()
        .filter(|n| !ranges.iter().any(|r| r.contains(&n.ip)))
        .map(|n| (n.name.as_str(), n.ip))
        .collect();
    let allowed: Vec<String> = ranges.iter().map(ToString::to_string).collect();
    if outside.is_empty() {
        return Check::pass(
            id,
            format!("every node IP is in {} ({source})", allowed.join(", ")),
        );
    }
    let mut nets: Vec<String> = outside
        .iter()
        .map(|(_, ip)| node_net(*ip).to_string())
        .collect();
    nets.dedup();
    let fix = if text.is_some() {
        format!("echo '* {}' | sudo tee -a {path}", nets.join(" "))
    } else {
        // Creating the file replaces the default range, so the line keeps it.
        format!(
            "sudo mkdir -p /etc/vbox && echo '* {VBOX_DEFAULT_RANGE} {}' | sudo tee {path}",
            nets.join(" ")
        )
    };
    let list: Vec<String> = outside.iter().map(|(n, ip)| format!("{n} {ip}")).collect();
    Check::fail(
        id,
        format!(
            "{} outside the host-only ranges VirtualBox allows ({}, {source}); `vagrant up` would stop with \"not within the allowed ranges\"",
            list.join(", "),
            allowed.join(", ")
        ),
        format!("{fix}; or use node IPs in {VBOX_DEFAULT_RANGE}"),
    )
}

/// A /24 in VirtualBox's default range that no host interface or other cluster touches.
fn free_subnet(f: &Facts, avoid: &[Ipv4Net]) -> Option<Ipv4Net> {
    let base: Ipv4Net = VBOX_DEFAULT_RANGE.parse().ok()?;
    let used: Vec<Ipv4Net> = f
        .interfaces
        .as_ref()
        .map(|v| v.iter().map(Iface::net).collect())
        .unwrap_or_default();
    let taken_by_others: Vec<Ipv4Net> = f
        .other_clusters
        .iter()
        .flat_map(|c| c.ips.iter().map(|ip| node_net(*ip)))
        .collect();
    base.subnets(24).ok()?.find(|n| {
        !used.iter().any(|u| u.contains(n) || n.contains(u))
            && !taken_by_others.contains(n)
            && !avoid.contains(n)
    })
}

pub fn host_subnet(p: &Profile, provider: Hypervisor, f: &Facts) -> Check {
    let id = "host-subnet";
    let ifaces = match &f.interfaces {
        Ok(v) => v,
        Err(e) => {
            return Check::warn(
                id,
                format!("could not read the host's addresses: {e}"),
                "compare `ip -4 addr` with the nodes' IPs by hand",
            );
        }
    };
    let mut nets: Vec<Ipv4Net> = p.nodes.iter().map(|n| node_net(n.ip)).collect();
    nets.dedup();
    let mut clashes = Vec::new();
    let mut own = Vec::new();
    for i in ifaces.iter().filter(|i| !i.addr.is_loopback()) {
        if let Some(n) = p.nodes.iter().find(|n| n.ip == i.addr) {
            clashes.push(format!(
                "{} already has {}'s address {} ({}/{})",
                i.name, n.name, n.ip, i.addr, i.prefix
            ));
            continue;
        }
        let Some(net) = nets
            .iter()
            .find(|net| net.contains(&i.addr) || i.net().contains(*net))
        else {
            continue;
        };
        if is_own(provider, &i.name) {
            own.push(format!("{} {}/{}", i.name, i.addr, i.prefix));
        } else {
            clashes.push(format!(
                "{} has {}/{}, which overlaps the nodes' network {net}",
                i.name, i.addr, i.prefix
            ));
        }
    }
    // Routes: one as specific as the host-only /24 (or more) steals its traffic; a broader one
    // (a VPN's 192.168.0.0/16) loses to the /24 the hypervisor adds, unless the VPN enforces it.
    let mut broader = Vec::new();
    for r in &f.routes {
        if r.net.prefix_len() == 0 || is_own(provider, &r.iface) {
            continue;
        }
        let Some(net) = nets
            .iter()
            .find(|net| r.net.contains(*net) || net.contains(&r.net))
        else {
            continue;
        };
        // The kernel's own route for an address already judged above.
        let own_addr_route = ifaces
            .iter()
            .any(|i| i.name == r.iface && (net.contains(&i.addr) || i.net().contains(net)));
        if own_addr_route {
            continue;
        }
        if r.net.prefix_len() >= net.prefix_len() {
            clashes.push(format!("a route sends {} via {}", r.net, r.iface));
        } else {
            broader.push(format!("{} via {}", r.net, r.iface));
        }
    }
    let nodes: Vec<String> = nets.iter().map(ToString::to_string).collect();
    if clashes.is_empty() && !broader.is_empty() {
        return Check::warn(
            id,
            format!(
                "a broader route covers {} ({}): the host-only /24 is more specific and wins, unless a VPN client forces its routes",
                nodes.join(", "),
                broader.join(", ")
            ),
            "if the VMs are unreachable while the VPN is up, disconnect it or exclude the nodes' /24 from it",
        );
    }
    if clashes.is_empty() {
        let mut d = format!("no host address or route in {}", nodes.join(", "));
        if !own.is_empty() {
            d.push_str(&format!(
                " (besides {}'s own host-only side: {})",
                provider.as_str(),
                own.join(", ")
            ));
        }
        return Check::pass(id, d);
    }
    let suggestion = free_subnet(f, &nets).map_or_else(String::new, |n| {
        format!(
            ", e.g. {} (free on this host)",
            n.hosts().nth(9).unwrap_or(n.addr())
        )
    });
    Check::fail(
        id,
        format!(
            "{}: the VMs' host-only network would collide with it",
            clashes.join("; ")
        ),
        format!(
            "give the nodes another /24 in the profile (nodes[].ip){suggestion}, or remove the overlapping interface/route (`ip -4 addr`, `ip route`){}",
            super::copy_hint(p)
        ),
    )
}

pub fn other_clusters(p: &Profile, f: &Facts) -> Check {
    let id = "other-clusters";
    let mut active = Vec::new();
    let mut idle = Vec::new();
    for c in &f.other_clusters {
        let shared: Vec<String> = p
            .nodes
            .iter()
            .filter(|n| c.ips.contains(&n.ip))
            .map(|n| n.ip.to_string())
            .collect();
        if shared.is_empty() {
            continue;
        }
        let what = format!(
            "{} ({}) uses {}",
            c.name,
            c.dir.display(),
            shared.join(", ")
        );
        if c.active {
            active.push(what)
        } else {
            idle.push(what)
        }
    }
    let n = f.other_clusters.len();
    if active.is_empty() && idle.is_empty() {
        return Check::pass(
            id,
            format!("no other mlk cluster ({n} found) uses these IPs"),
        );
    }
    let names: Vec<&str> = f
        .other_clusters
        .iter()
        .filter(|c| p.nodes.iter().any(|n| c.ips.contains(&n.ip)))
        .map(|c| c.name.as_str())
        .collect();
    let fix = format!(
        "tear the other cluster down (`mlk down -c {}`), or give this profile's nodes other IPs (nodes[].ip){}",
        names.join("` / `mlk down -c "),
        super::copy_hint(p)
    );
    let fix = fix.as_str();
    if active.is_empty() {
        return Check::warn(
            id,
            format!(
                "{} (rendered, but no stage done: not running)",
                idle.join("; ")
            ),
            fix,
        );
    }
    Check::fail(
        id,
        format!(
            "{}: the two labs would fight over the addresses",
            active.join("; ")
        ),
        fix,
    )
}
