//! `mlk status [--json]`: each machine's state (Vagrant's, or for ssh whether the host answers),
//! each stage's state (from state.json) and the dashboards. Exit 0 when the cluster is fully
//! up (every machine running, every stage of the plan done on all its targets); 1 when it is
//! not (yet), or is stopped or destroyed; 3 when the machines' state cannot be read.
use crate::catalogue::StageId;
use crate::cli::{ClusterArg, Global};
use crate::cluster::summary::{self, StageRow};
use crate::exit::{Class, classify};
use crate::provider::MachineStatus;
use crate::provider::ProviderKind;
use anyhow::Result;
use clap::Args;
use serde::Serialize;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk status                        # the only cluster
  mlk status -c distributed --json  # one JSON document")]
pub struct StatusArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// For folders from an older mlk that recorded no provider: `ssh` or a Vagrant provider.
    #[arg(long, value_parser = crate::cli::parse_provider, value_name = "PROVIDER")]
    pub provider: Option<ProviderKind>,
    /// Print one JSON document on stdout instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report {
    cluster: String,
    provider: String,
    /// As `mlk list` shows it: up, stopped, destroyed, failed at X...
    state: String,
    dir: String,
    fully_up: bool,
    machines: Vec<MachineStatus>,
    machines_error: Option<String>,
    stages: Vec<StageRow>,
    /// The first-log-in report: dashboards, names, Rancher's setup, the CA, InfluxDB.
    #[serde(flatten)]
    login: crate::login::Report,
}

pub fn run(g: &Global, a: &StatusArgs) -> Result<()> {
    let m = super::open_cluster(g, &a.cluster)?.machines(a.provider)?;
    let sum = summary::of(&m.c);
    // A destroyed or stopped cluster's machines are not asked: that needs no hypervisor.
    let (machines, machines_error) = match &sum.phase {
        summary::Phase::Destroyed | summary::Phase::Stopped => (Vec::new(), None),
        _ => match m.provider().and_then(|p| p.status()) {
            Ok(v) => (v, None),
            Err(e) => (Vec::new(), Some(format!("{e:#}"))),
        },
    };
    let stages = summary::stage_rows(&m.profile, &summary::read_state(m.c.dir()));
    let fully_up = machines_error.is_none()
        && !machines.is_empty()
        && machines.iter().all(|m| m.running)
        && stages.iter().all(|s| s.status == "done");
    let provider = match m.kind {
        ProviderKind::Ssh => "ssh".to_string(),
        ProviderKind::Vagrant(h) => format!("vagrant/{}", h.as_str()),
    };
    let done = |id: StageId| stages.iter().any(|s| s.id == id && s.status == "done");
    let connect = || {
        m.first_controlplane().map_err(|e| {
            format!(
                "cannot reach {}: {e:#}",
                m.profile.first_controlplane().name
            )
        })
    };
    let login = crate::login::collect(
        &m.profile,
        m.c.dir(),
        &crate::login::Sources {
            done: &done,
            connect: &connect,
            resolve: &crate::login::dns::resolve_all,
        },
    );
    let report = Report {
        cluster: m.c.name().to_string(),
        provider,
        state: sum.state_text.clone(),
        dir: m.c.dir().display().to_string(),
        fully_up,
        machines,
        machines_error: machines_error.clone(),
        stages,
        login,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report, &sum.phase);
    }
    match (machines_error, fully_up) {
        (Some(e), _) => Err(classify(Class::Provider, e)),
        (None, true) => Ok(()),
        (None, false) => Err(classify(Class::Failure, "")),
    }
}

fn print_text(r: &Report, phase: &summary::Phase) {
    println!("cluster {} ({}): {}", r.cluster, r.provider, r.state);
    println!("folder  {}", r.dir);
    match phase {
        summary::Phase::Destroyed => {
            println!(
                "\nIts machines are gone; the folder keeps its run records and logs.\n\
                 `mlk up -c {}` brings it back, `mlk down -c {} --purge` deletes the folder.",
                r.cluster, r.cluster
            );
            return;
        }
        summary::Phase::Stopped => {
            println!(
                "\nIts machines are halted; `mlk start -c {}` starts them again.",
                r.cluster
            );
            return;
        }
        _ => {}
    }
    let w = r
        .machines
        .iter()
        .map(|m| m.name.len())
        .max()
        .unwrap_or(0)
        .max(7);
    println!("\n{:<w$}  STATE", "MACHINE");
    for m in &r.machines {
        println!("{:<w$}  {}", m.name, m.state);
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
