//! `mlk fleet plan`: what a fleet would be (names, addresses, dashboard URLs, the host's
//! room for it, warnings), without touching anything.
use super::DefineArgs;
use crate::cli::Global;
use crate::exit::{Class, classify};
use crate::fleet::capacity;
use crate::fleet::names::Member;
use crate::fleet::plan::{self, Plan};
use anyhow::Result;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk fleet plan -p mono --count 12                       # lab-01 ... lab-12
  mlk fleet plan -p my.yaml --roster students.csv --network 192.168.56.0/21
  mlk fleet plan -p my.yaml --count 3 --provider ssh --inventory hosts.cfg --json")]
pub struct PlanArgs {
    #[command(flatten)]
    pub define: DefineArgs,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// Plans from the flags (every one needed: plan never reads a recorded fleet's flags), or
/// with `recorded` members (a rerun of `fleet up` keeps each cluster's student).
pub fn make(g: &Global, d: &DefineArgs, recorded: Option<Vec<Member>>) -> Result<Plan> {
    let home = g.home()?;
    let Some(members) = recorded.map_or_else(|| d.members(), |m| Ok(Some(m)))? else {
        return Err(classify(
            Class::Usage,
            "name the clusters: --count N, --names a,b,... or --roster FILE",
        ));
    };
    let fleet = d.fleet_name();
    plan::plan(&plan::Request {
        home: &home,
        fleet: &fleet,
        profile: d.profile.as_deref().unwrap_or("mono"),
        provider: d.provider,
        inventory: d.inventory.as_deref(),
        network: d.network,
        distribution: d.distribution,
        members,
    })
}

pub fn run(g: &Global, a: &PlanArgs) -> Result<()> {
    let p = make(g, &a.define, None)?;
    print(&p, a.json);
    Ok(())
}

fn gib(mib: u64) -> String {
    format!("{:.1} GiB", mib as f64 / 1024.0)
}

/// The plan as text, or one JSON document, on stdout; warnings on stderr in both.
pub fn print(p: &Plan, as_json: bool) {
    let f = &p.fleet;
    let vms = !f.is_ssh();
    let k = capacity::default_parallel(vms, p.need, f.clusters.len(), &p.host);
    let dash: Vec<Vec<plan::DashboardUrl>> = p
        .members
        .iter()
        .map(|m| plan::dashboards(&m.profile))
        .collect();
    for warn in &p.warnings {
        eprintln!("mlk: warning: {warn}");
    }
    if as_json {
        let clusters: Vec<serde_json::Value> = f
            .clusters
            .iter()
            .zip(&dash)
            .map(|(c, d)| {
                json!({"cluster": c.name(), "student": c.member.student, "email": c.member.email,
                    "nodes": c.nodes, "dashboards": d})
            })
            .collect();
        let doc = json!({"fleet": f.name, "profile": f.profile, "provider": f.provider,
            "distribution": p.distribution, "network": f.network, "default_parallel": k, "host": p.host,
            "per_cluster": p.need,
            "total": {"cpus": p.need.cpus * f.clusters.len() as u64,
                      "mem_mib": p.need.mem_mib * f.clusters.len() as u64},
            "clusters": clusters, "warnings": p.warnings});
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return;
    }
    let n = f.clusters.len() as u64;
    println!(
        "Fleet {}: {} cluster(s) of profile {} (provider {}, {}){}",
        f.name,
        n,
        f.profile,
        f.provider,
        p.distribution.name(),
        f.network
            .as_ref()
            .map_or_else(String::new, |net| format!(", addresses from {net}"))
    );
    if vms {
        println!(
            "VMs: {} vCPUs and {} per cluster, {} vCPUs and {} in all; this host: {} CPUs, {} ({} available)",
            p.need.cpus,
            gib(p.need.mem_mib),
            p.need.cpus * n,
            gib(p.need.mem_mib * n),
            p.host.cpus,
            p.host.mem_total_mib.map_or("?".into(), gib),
            p.host.mem_available_mib.map_or("?".into(), gib),
        );
    }
    println!("Default --parallel: {k}\n");
    let w = f
        .clusters
        .iter()
        .map(|c| c.name().len())
        .max()
        .unwrap_or(0)
        .max(7);
    println!("{:<w$}  NODES", "CLUSTER");
    for (c, d) in f.clusters.iter().zip(&dash) {
        let nodes: Vec<String> = c
            .nodes
            .iter()
            .map(|n| format!("{} {}", n.node, n.ip))
            .collect();
        let who = c
            .member
            .student
            .as_ref()
            .map_or_else(String::new, |s| format!("  ({})", crate::text::shown(s)));
        println!("{:<w$}  {}{who}", c.name(), nodes.join(", "));
        for x in d {
            println!("{:<w$}    {} {} (user {})", "", x.name, x.url, x.user);
        }
    }
}
