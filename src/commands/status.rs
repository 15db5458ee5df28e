//! `mlk status [--json]`: each VM's state, each stage's state (from state.json) and the
//! dashboards. Exit 0 when the cluster is fully up (every VM running, every stage of the plan
//! done on all its targets); 1 when it is not (yet); 3 when the VMs' state cannot be read.
use crate::cli::{Global, ProfileArgs};
use crate::exit::{Class, classify};
use crate::provider::MachineStatus;
use crate::state::{HOST, Status, Store};
use anyhow::Result;
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Print one JSON document on stdout instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct StageRow {
    id: String,
    status: String,
    /// Target (node name or `host`) -> status.
    targets: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Report {
    cluster: String,
    provider: String,
    fully_up: bool,
    machines: Vec<MachineStatus>,
    machines_error: Option<String>,
    stages: Vec<StageRow>,
    /// The first-log-in report: dashboards, names, Rancher's setup, the CA, InfluxDB.
    #[serde(flatten)]
    login: crate::login::Report,
}

/// One stage's overall status: failed/running if any target is, done if all are.
fn overall(targets: &BTreeMap<String, String>) -> String {
    for s in ["failed", "running"] {
        if targets.values().any(|v| v == s) {
            return s.into();
        }
    }
    if targets.values().all(|v| v == "done") {
        return "done".into();
    }
    if targets.values().all(|v| v == "pending") {
        return "pending".into();
    }
    "partial".into()
}

pub fn run(g: &Global, a: &StatusArgs) -> Result<()> {
    let c = super::cluster::open(g, &a.profile)?;
    let (machines, machines_error) = match c.provider.status() {
        Ok(m) => (m, None),
        Err(e) => (Vec::new(), Some(format!("{e:#}"))),
    };
    let store = Store::open(&c.dir, &c.profile.name)?;
    let plan = crate::plan::build(&c.profile, "");
    let stages: Vec<StageRow> = plan
        .stages
        .iter()
        .map(|st| {
            let names: Vec<String> = if st.nodes.is_empty() {
                vec![HOST.to_string()]
            } else {
                st.nodes.clone()
            };
            let targets: BTreeMap<String, String> = names
                .into_iter()
                .map(|n| {
                    let s = store.get(&st.id, &n).map_or(Status::Pending, |r| r.status);
                    (n, s.as_str().to_string())
                })
                .collect();
            StageRow {
                id: st.id.clone(),
                status: overall(&targets),
                targets,
            }
        })
        .collect();
    let fully_up = machines_error.is_none()
        && !machines.is_empty()
        && machines.iter().all(|m| m.running)
        && stages.iter().all(|s| s.status == "done");
    let done = |id: &str| stages.iter().any(|s| s.id == id && s.status == "done");
    let connect = || {
        super::open::first_controlplane(&c).map_err(|e| {
            format!(
                "cannot reach {}: {e:#}",
                c.profile.first_controlplane().name
            )
        })
    };
    let login = crate::login::collect(
        &c.profile,
        &c.dir,
        &crate::login::Sources {
            done: &done,
            connect: &connect,
            resolve: &crate::login::dns::resolve_all,
        },
    );
    let report = Report {
        cluster: c.profile.name.clone(),
        provider: c.provider.name(),
        fully_up,
        machines,
        machines_error: machines_error.clone(),
        stages,
        login,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    match (machines_error, fully_up) {
        (Some(e), _) => Err(classify(Class::Provider, e)),
        (None, true) => Ok(()),
        (None, false) => Err(classify(Class::Failure, "")),
    }
}

fn print_text(r: &Report) {
    println!("cluster {} ({})", r.cluster, r.provider);
    println!("\nMACHINE  STATE");
    for m in &r.machines {
        println!("{:<8} {}", m.name, m.state);
    }
    if let Some(e) = &r.machines_error {
        println!("(cannot read the machines' state: {e})");
    }
    println!("\nSTAGE          STATUS");
    for s in &r.stages {
        println!("{:<14} {}", s.id, s.status);
    }
    println!("\n{}", crate::login::text::render(&r.login));
    println!(
        "{}",
        if r.fully_up {
            "fully up"
        } else {
            "not fully up"
        }
    );
}
