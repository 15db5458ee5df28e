//! `mlk fleet up`: plan (or read) the fleet, record it, and bring every unfinished cluster up,
//! K at a time; exit 0 only when every cluster is up.
use super::DefineArgs;
use crate::cli::Global;
use crate::exit::{Class, classify};
use crate::fleet::record::{self, FleetDir, Selection};
use crate::fleet::{capacity, up};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk fleet up -p mono --count 12 --parallel 3
  mlk fleet up -p my.yaml --roster students.csv --skip kubeflow
  mlk fleet up -p my.yaml --count 3 --provider ssh --inventory hosts.cfg
  mlk fleet up                                    # resume: only unfinished clusters run
  mlk fleet up --json                             # every cluster's events, with \"cluster\"")]
pub struct UpArgs {
    #[command(flatten)]
    pub define: DefineArgs,
    /// Clusters brought up at once (default: from this host's CPUs and memory).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=200))]
    pub parallel: Option<u32>,
    /// Start each cluster at this stage (recorded for reruns and `fleet status`).
    #[arg(long, value_name = "STAGE")]
    pub from: Option<String>,
    /// Run only these stages in each cluster (recorded for reruns and `fleet status`).
    #[arg(long, value_name = "STAGE,...")]
    pub only: Vec<String>,
    /// Leave out these stages in each cluster (recorded for reruns and `fleet status`).
    #[arg(long, value_name = "STAGE,...")]
    pub skip: Vec<String>,
    /// The clusters' JSON events on stdout, each with "cluster" added.
    #[arg(long)]
    pub json: bool,
    /// Passed to each `mlk up`: seconds to keep retrying transient SSH faults.
    #[arg(long, value_name = "SECS")]
    pub retry_budget: Option<u64>,
    /// Passed to each `mlk up`: seconds for one SSH connection.
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<u64>,
    /// Passed to each `mlk up`: skip `mlk doctor`'s checks.
    #[arg(long)]
    pub skip_preflight: bool,
}

pub fn run(g: &Global, a: &UpArgs) -> Result<()> {
    let home = g.home()?;
    let name = a.define.fleet_name();
    let existing = record::load(&FleetDir::of(&home, &name))?;
    let d = FleetDir::of(&home, &name);
    // A rerun without flags takes the recorded fleet; flags given plan it again.
    let define = match (&existing, a.define.given()) {
        (Some(f), false) => DefineArgs {
            profile: Some(d.profile().display().to_string()),
            provider: crate::provider::ProviderKind::check(&f.provider).ok(),
            inventory: f.inventory.as_ref().map(Into::into),
            network: f.network.as_ref().and_then(|n| n.parse().ok()),
            distribution: f
                .distribution
                .as_deref()
                .and_then(crate::distribution::Distribution::parse),
            ..a.define.clone()
        },
        (None, false) => {
            return Err(classify(
                Class::Usage,
                format!(
                    "no fleet {name} yet: give --profile and --count N, --names or --roster (`mlk fleet plan` shows what it would be)"
                ),
            ));
        }
        _ => a.define.clone(),
    };
    let _lock = crate::state::lock::acquire(d.dir(), "mlk fleet up")?;
    let recorded = match (&existing, a.define.given()) {
        (Some(f), false) => Some(f.clusters.iter().map(|c| c.member.clone()).collect()),
        _ => None,
    };
    let mut p = super::plan::make(g, &define, recorded)?;
    if let (Some(old), false) = (&existing, a.define.given()) {
        p.fleet.profile = old.profile.clone();
        p.fleet.inventory = old.inventory.clone();
    }
    if let Some(old) = &existing
        && old.names() != p.fleet.names()
    {
        return Err(classify(
            Class::Usage,
            format!(
                "fleet {name} has clusters {}; a fleet's clusters are fixed once made (`mlk fleet down --purge` first, or another --prefix / --fleet)",
                old.names().join(", ")
            ),
        ));
    }
    let sel = Selection {
        from: a.from.clone(),
        only: crate::executor::select::split_ids(&a.only),
        skip: crate::executor::select::split_ids(&a.skip),
    };
    if !sel.is_all() || existing.is_none() {
        p.fleet.selection = sel;
    }
    // Unknown stage ids: one error now rather than one per cluster.
    if let Some(m) = p.members.first() {
        crate::executor::select::select(
            &crate::plan::build(&m.profile, "").stages,
            &p.fleet.selection.to_select(),
        )?;
    }
    for w in &p.warnings {
        eprintln!("mlk: warning: {w}");
    }
    up::save(&d, &p)?;
    let f = &p.fleet;
    let k = a.parallel.map_or_else(
        || capacity::default_parallel(!f.is_ssh(), p.need, f.clusters.len(), &p.host),
        |k| k as usize,
    );
    if !a.json {
        eprintln!(
            "mlk: fleet {name}: {} cluster(s), {k} at a time (record: {})",
            f.clusters.len(),
            d.record().display()
        );
    }
    let settings = up::Settings {
        k,
        pass: up::PassThrough {
            retry_budget: a.retry_budget,
            connect_timeout: a.connect_timeout,
            skip_preflight: a.skip_preflight,
        },
        progress: g.progress,
        json: a.json,
    };
    let report = up::run(&home, &d, f, p.need, &settings)?;
    let failed = report.failed();
    if a.json {
        crate::progress::emit_json(&serde_json::json!({"event": "fleet_end",
            "fleet": name, "clusters": f.clusters.len(),
            "already_up": report.already_up,
            "done": report.outcomes.iter().filter(|o| o.code == 0).map(|o| &o.cluster).collect::<Vec<_>>(),
            "failed": failed.iter().map(|o| serde_json::json!({"cluster": o.cluster, "exit_code": o.code})).collect::<Vec<_>>()}));
    } else {
        if !report.already_up.is_empty() {
            eprintln!("mlk: already up: {}", report.already_up.join(", "));
        }
        for o in &failed {
            eprintln!(
                "mlk: {} failed (exit {}); its log: {}; `mlk fleet up` resumes it{}",
                o.cluster,
                o.code,
                d.member_log(&o.cluster).display(),
                o.tail
                    .iter()
                    .map(|l| format!("\n    {l}"))
                    .collect::<String>()
            );
        }
    }
    up::verdict("fleet up", &report.outcomes, f.clusters.len())
}
