//! After `rke up`: every node's InternalIP must be its profile address (on Hyper-V, the
//! address learned after boot). mlk's cluster.yml sets `address` equal to `internal_address`,
//! and rke passes `--node-ip` to the kubelet only when the two differ (rancher/rke
//! cluster/plan.go, `if host.Address != host.InternalAddress`, release/v1.7 @23fbbcf0, the
//! same since 2018). Without it the kubelet resolves its node name and, finding only a
//! loopback address, takes the default-route NIC (kubernetes pkg/kubelet/nodestatus/
//! setters.go, NodeAddress): under VirtualBox that is the NAT NIC, 10.0.2.15 on every node,
//! and `kubectl logs/exec` to pods off node1 reach node1 itself (rancher/rancher #25042).
//! os-prep makes the names resolve to the private IPs; this check proves it worked.
//!
//! Self-contained: `verify` runs `kubectl get nodes -o json` on the first controlplane node
//! and compares, so any stage after rke up may call it.
use super::HostCtx;
use crate::layout::node;
use crate::profile::Profile;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Node name -> the InternalIP it must have: the profile's IP (a profile the executor
/// gives the stages carries the learned ones, `Profile::readdressed`).
pub fn expected(p: &Profile) -> BTreeMap<String, Ipv4Addr> {
    p.nodes.iter().map(|n| (n.name.clone(), n.ip)).collect()
}

/// Node name -> its InternalIP addresses, from `kubectl get nodes -o json` (a v1 List of
/// Nodes; `status.addresses[]` of `{type, address}`, k8s.io/api core/v1 types.go v0.32.5).
pub fn internal_ips(nodes_json: &str) -> Result<BTreeMap<String, Vec<String>>> {
    let doc: serde_json::Value =
        serde_json::from_str(nodes_json).context("kubectl get nodes -o json: not JSON")?;
    let items = doc["items"]
        .as_array()
        .context("kubectl get nodes -o json: no `items` list")?;
    let mut out = BTreeMap::new();
    for n in items {
        let name = n["metadata"]["name"]
            .as_str()
            .context("a Node without metadata.name")?;
        let ips = n["status"]["addresses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["type"] == "InternalIP")
            .filter_map(|a| a["address"].as_str().map(str::to_string))
            .collect();
        out.insert(name.to_string(), ips);
    }
    Ok(out)
}

/// One line per node whose InternalIP is not the wanted one (or that is missing).
pub fn mismatches(nodes_json: &str, want: &BTreeMap<String, Ipv4Addr>) -> Result<Vec<String>> {
    let have = internal_ips(nodes_json)?;
    let mut bad = Vec::new();
    for (name, ip) in want {
        match have.get(name) {
            None => bad.push(format!("{name}: not registered")),
            Some(ips) if ips.iter().any(|a| *a == ip.to_string()) => {}
            Some(ips) => bad.push(format!(
                "{name}: InternalIP {}, not {ip}",
                if ips.is_empty() {
                    "none".to_string()
                } else {
                    ips.join(", ")
                }
            )),
        }
    }
    Ok(bad)
}

/// The mismatches of the live cluster, asked from the first controlplane node.
pub fn check(ctx: &HostCtx) -> Result<Vec<String>> {
    let cp = &ctx.profile.first_controlplane().name;
    let r = ctx
        .runners
        .get(cp)
        .with_context(|| format!("no connection to node {cp}"))?;
    let cmd = format!(
        "PATH={}:$PATH KUBECONFIG={} kubectl get nodes -o json",
        node::bin_dir(),
        node::kubeconfig()
    );
    let mut out = String::new();
    let res = r
        .exec(&cmd, None, &mut |l| {
            out.push_str(l);
            out.push('\n');
        })
        .map_err(anyhow::Error::from)?;
    if res.status != 0 {
        bail!(
            "{cp}: `kubectl get nodes -o json` exited with status {}",
            res.status
        );
    }
    mismatches(&out, &expected(ctx.profile))
}

/// `check`, as an error that says what to do, or a log line naming every node's address.
pub fn verify(ctx: &HostCtx) -> Result<()> {
    let bad = check(ctx)?;
    let want = expected(ctx.profile);
    if !bad.is_empty() {
        if ctx.profile.distribution() == crate::distribution::Distribution::Rke2 {
            bail!(
                "node addresses: {}. RKE2 registered a node with another NIC's address: its node-ip in /etc/rancher/rke2/config.yaml was not in place at the first start (the address is kept in etcd and the certificates); run `sudo rke2-uninstall.sh` on that node and `mlk up --from rke2-up`",
                bad.join("; ")
            );
        }
        bail!(
            "node addresses: {}. The kubelet took another NIC's address because the node name did not resolve to its private IP: check `getent ahostsv4 NODE` and /etc/hosts on the node (os-prep writes it), then `docker restart kubelet` there (its /etc/hosts is a copy made at start) and run `mlk up --from rke-up`",
            bad.join("; ")
        );
    }
    (ctx.log)(&format!(
        "every node's InternalIP is its address ({})",
        want.iter()
            .map(|(n, ip)| format!("{n} {ip}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}
