//! `mlk report RUN [RUN…]`: resource use of recorded workload runs, from the samples each run
//! exported when it finished; from the cluster's live InfluxDB only for runs without an export
//! (or with `--live`).
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::exit::{Class, classify};
use crate::remote::Runner;
use crate::report::influx::Client;
use crate::report::source::SampleSource;
use crate::report::{self, locate, write::Format};
use crate::runs::samples::Exported;
use crate::runs::store::{self, Located};
use anyhow::Result;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk report mono-1                          # a run (clusters may be destroyed: runs outlive them)
  mlk report mono/mono-1 distributed/dist-1  # side by side, with ratios
  mlk report -c mono mono-1 --format md --out report/
  mlk report mono-1 --live                   # from the live InfluxDB, not the exported samples")]
pub struct ReportArgs {
    /// Runs to report on: NAME (in --cluster, else in the cluster that has it) or
    /// CLUSTER/NAME. Two runs are shown side by side.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    /// The cluster of runs given without one.
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// Output folder (default: <cluster>/reports/<run>[-vs-<run>…]).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// Read the samples from the cluster's live InfluxDB even when the run exported them
    /// (the cluster must be up).
    #[arg(long)]
    pub live: bool,
    /// Live InfluxDB only: the nodes' ssh-config (default: <cluster>/ssh-config).
    #[arg(long)]
    pub inventory: Option<PathBuf>,
    /// Live InfluxDB only: its address as seen from the first controlplane node, HOST[:PORT]
    /// (default: the ClusterIP of Service tick/influxdb, read with the node's kubectl).
    #[arg(long, value_name = "HOST:PORT")]
    pub influx: Option<String>,
}

/// Why run `l` has to be read from the live InfluxDB (None: it has an export to read).
fn needs_live(l: &Located, forced: bool) -> Option<String> {
    let r = &l.record;
    if forced {
        return Some("--live".into());
    }
    if r.samples.is_some() {
        return None;
    }
    Some(match &r.samples_error {
        Some(e) => format!("its export failed: {e}"),
        None => "it has no exported samples (recorded before mlk exported them, or still running)"
            .into(),
    })
}

/// A client for the live InfluxDB of `l`'s cluster (explaining a cluster that is not up).
fn live_client(g: &Global, a: &ReportArgs, l: &Located, why: &str) -> Result<Client> {
    let c = crate::cluster::open(&g.home()?, Some(&ClusterName::parse(&l.cluster.name)?))?;
    if a.inventory.is_none() && a.influx.is_none() {
        if let Some(when) = &c.record.destroyed {
            return Err(classify(
                Class::Usage,
                format!(
                    "run {}: {why}, and cluster {} was destroyed by `mlk down` ({when}): its samples were in \
                     that cluster's InfluxDB and went with it, so this run cannot be reported \
                     (`mlk runs rm {}` removes it)",
                    l.id(),
                    c.name(),
                    l.id()
                ),
            ));
        }
        crate::cluster::access::ready_for_report(&c).map_err(|e| {
            crate::exit::tag(
                Class::Usage,
                format!(
                    "run {}: {why}, so only its cluster's live InfluxDB has its samples",
                    l.id()
                ),
                e,
            )
        })?;
    }
    let dir = l.dir();
    // The password first: without it there is nothing to log in with, wherever InfluxDB is.
    locate::password(dir)?;
    let influx = a.influx.as_deref().map(locate::parse_addr).transpose()?;
    let cp = &l.record.controlplane;
    let node = (!cp.is_empty()).then_some(cp.as_str());
    let runner: Arc<dyn Runner> =
        crate::cluster::access::connect(dir, a.inventory.as_deref(), node)?;
    locate::client(dir, runner, influx)
}

pub fn run(g: &Global, a: &ReportArgs) -> Result<()> {
    let home = g.home()?;
    let runs: Vec<Located> = a
        .runs
        .iter()
        .map(|r| store::locate(&home, a.cluster.as_ref(), r))
        .collect::<Result<_>>()?;
    // Each run's source: its exported file, or its cluster's live InfluxDB (one per cluster).
    let mut files: BTreeMap<usize, Exported> = BTreeMap::new();
    let mut clients: BTreeMap<String, Client> = BTreeMap::new();
    for (i, l) in runs.iter().enumerate() {
        match needs_live(l, a.live) {
            None => {
                files.insert(i, Exported::load(l.dir(), &l.record)?);
            }
            Some(why) => {
                if !clients.contains_key(&l.cluster.name) {
                    let c = live_client(g, a, l, &why)?;
                    clients.insert(l.cluster.name.clone(), c);
                }
                if !a.live {
                    eprintln!(
                        "mlk: run {}: {why}; reading its samples from cluster {}'s live InfluxDB. \
                         `mlk runs export {}` saves them, so that the run outlives the cluster",
                        l.id(),
                        l.cluster.name,
                        l.id()
                    );
                }
            }
        }
    }
    let inputs: Vec<(&crate::runs::RunRecord, &dyn SampleSource)> = runs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let src: &dyn SampleSource = match files.get(&i) {
                Some(f) => f,
                None => &clients[&l.cluster.name],
            };
            (&l.record, src)
        })
        .collect();
    let out = match &a.out {
        Some(o) => o.clone(),
        None => {
            let names: Vec<&str> = runs.iter().map(|l| l.record.name.as_str()).collect();
            crate::layout::of(runs[0].dir())
                .reports()
                .join(names.join("-vs-"))
        }
    };
    let done = report::generate(&inputs, &out, a.format)?;
    for l in &done.method {
        eprintln!("mlk: {l}");
    }
    eprintln!(
        "mlk: report written: {} file(s) in {} (its Method section says how every figure is made)",
        done.files.len(),
        out.display()
    );
    println!("{}", done.files[0].display());
    Ok(())
}
