//! `mlk run-workload`: prepare the nodes, measure an idle baseline, submit the sample
//! TensorFlow workload (or the user's manifest), wait for it with progress, record the run
//! in `<cluster>/runs/<name>.json`, and export its samples next to it, so that `mlk report`
//! works after the cluster is gone.
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::exit::{Class, classify};
use crate::report::time;
use crate::runs::{self, Measure, NodeSpec, Outcome, RunRecord};
use crate::stages::binaries::Runners;
use crate::stages::cache::{self, Cache};
use crate::workload::{self, Training, run::Nodes, run::Options};
use anyhow::Result;
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk run-workload --name mono-1                 # the only cluster, built-in MNIST job
  mlk run-workload -c distributed --name dist-1
  mlk run-workload -c mono --workload ./my-job.yaml")]
pub struct RunWorkloadArgs {
    /// The cluster (`mlk list` shows them). Default: the only one there is.
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// `mnist` (built in) or the path of a manifest with at least one Job or TFJob.
    #[arg(long, default_value = "mnist")]
    pub workload: String,
    /// Run name (a-z, 0-9, `-`; default <cluster>-<date>-<time>).
    #[arg(long)]
    pub name: Option<String>,
    /// The cluster's profile (default: <cluster>/profile.yaml, else the embedded profile of that name).
    #[arg(long, short = 'p')]
    pub profile: Option<String>,
    /// The nodes' ssh-config (default: <cluster>/ssh-config).
    #[arg(long)]
    pub inventory: Option<PathBuf>,
    /// Training epochs of the built-in workload (the same work in every layout).
    #[arg(long, default_value_t = Training::default().epochs, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub epochs: u32,
    /// Training steps per epoch of the built-in workload (one batch on one worker each).
    #[arg(long, default_value_t = Training::default().steps_per_epoch, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub steps_per_epoch: u32,
    /// Examples per training step of the built-in workload.
    #[arg(long, default_value_t = Training::default().batch, value_parser = clap::value_parser!(u32).range(1..=60000))]
    pub batch: u32,
    /// Seconds of idle baseline measured just before the workload is applied (0: none; the
    /// report then has no figures "minus baseline").
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub baseline: u64,
    /// Seconds to wait for the workload before recording it as failed.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub timeout: u64,
    /// Seconds between status polls.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub poll: u64,
}

pub fn run(g: &Global, a: &RunWorkloadArgs) -> Result<()> {
    let c = crate::cluster::open(&g.home()?, a.cluster.as_ref())?;
    if a.inventory.is_none() {
        crate::cluster::access::ready_for_workload(&c)?;
    }
    let (cluster, dir) = (c.name().to_string(), c.dir().to_path_buf());
    let profile_arg = a.profile.clone().unwrap_or_else(|| {
        let saved = crate::layout::of(&dir).profile();
        if saved.is_file() {
            saved.display().to_string()
        } else {
            cluster.clone()
        }
    });
    // The distribution `mlk up --distribution` recorded, when the profile does not say it.
    let distribution = crate::cluster::Record::load(&dir)?.and_then(|r| r.distribution());
    let (p, _) = super::load_profile(&crate::cli::ProfileArgs {
        profile: profile_arg,
        provider: None,
        distribution,
    })?;
    let now = time::now();
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| runs::default_name(&cluster, now));
    runs::check_name(&name)?;
    if runs::path(&dir, &name).exists() {
        return Err(classify(
            Class::Usage,
            format!(
                "run `{name}` already exists in {}; pick another --name",
                runs::runs_dir(&dir).display()
            ),
        ));
    }
    let training = Training {
        epochs: a.epochs,
        steps_per_epoch: a.steps_per_epoch,
        batch: a.batch,
    };
    let builtin = a.workload == "mnist";
    let manifest = if builtin {
        workload::mnist(&p, &name, &training)?
    } else {
        workload::user_file(std::path::Path::new(&a.workload))?
    };
    let cp = p.first_controlplane().name.clone();
    let mut all = Runners::new();
    for n in &p.nodes {
        all.insert(
            n.name.clone(),
            crate::cluster::access::connect(&dir, a.inventory.as_deref(), Some(&n.name))?,
        );
    }
    let cache = Cache::new(cache::default_dir()?, std::io::stderr().is_terminal());
    let rec = RunRecord {
        name,
        cluster,
        profile: p.name.clone(),
        workload: a.workload.clone(),
        start: time::rfc3339(now),
        end: None,
        outcome: Outcome::Running,
        nodes: p.nodes.iter().map(|n| n.name.clone()).collect(),
        controlplane: cp.clone(),
        measure: Some(Measure {
            window: None,
            baseline: None,
            pods: vec![],
            // What the report's source table knows each runtime for (report::sources).
            distribution: match p.distribution() {
                crate::distribution::Distribution::Rke => {
                    crate::report::sources::Distribution::Rke1Docker
                }
                crate::distribution::Distribution::Rke2 => {
                    crate::report::sources::Distribution::Rke2Containerd
                }
            }
            .id()
            .to_string(),
            network_plugin: p.kubernetes.network_plugin.as_str().to_string(),
            private_iface: p.kubernetes.iface.clone().unwrap_or_default(),
            node_interval_s: crate::report::sources::NODE_INTERVAL_S,
            pod_interval_s: crate::report::sources::POD_INTERVAL_S,
            images: manifest.images.clone(),
            dataset: builtin.then(|| {
                let d = workload::prepare::MNIST;
                format!("{} sha256:{}", workload::prepare::remote_path(&d), d.sha256)
            }),
            training: builtin.then(|| training.describe()),
            node_specs: p
                .nodes
                .iter()
                .map(|n| NodeSpec {
                    name: n.name.clone(),
                    cpus: n.cpus,
                    memory_mib: u64::from(n.memory),
                    roles: n.roles.iter().map(|r| r.as_str().to_string()).collect(),
                })
                .collect(),
        }),
        samples: None,
        samples_error: None,
    };
    let opts = Options {
        poll: Duration::from_secs(a.poll.max(1)),
        timeout: Duration::from_secs(a.timeout),
        baseline: Duration::from_secs(a.baseline),
    };
    let nodes = Nodes {
        control: all[&cp].as_ref(),
        all: &all,
        cache: Some(&cache),
    };
    let name = rec.name.clone();
    let ran = workload::run::execute(&nodes, &dir, &manifest, rec, &opts, &mut |l| {
        eprintln!("mlk: {l}")
    });
    let exported = export_samples(&dir, &name, p.components.tick.enabled, &all[&cp]);
    let rec = match (ran, exported) {
        (Err(e), Err(x)) => {
            eprintln!("mlk: exporting the failed run's samples failed too: {x:#}");
            return Err(e);
        }
        (Err(e), Ok(())) => return Err(e),
        (Ok(_), Err(x)) => {
            return Err(classify(
                crate::exit::class_of(&x),
                format!(
                    "run {name} succeeded, but its samples could not be exported: {x:#}\n  \
                     the cluster still has them: `mlk runs export {}/{name}` retries; `mlk down` would lose them",
                    c.name()
                ),
            ));
        }
        (Ok(rec), Ok(())) => rec,
    };
    eprintln!(
        "mlk: report it with: mlk report {} --cluster {}",
        rec.name, rec.cluster
    );
    println!("{}", runs::path(&dir, &rec.name).display());
    Ok(())
}

/// Exports the run's samples from the cluster's InfluxDB (`runs::export::after_run`).
fn export_samples(
    dir: &std::path::Path,
    name: &str,
    tick: bool,
    control: &std::sync::Arc<dyn crate::remote::Runner>,
) -> Result<()> {
    if !tick {
        eprintln!("mlk: TICK is disabled on this cluster: no samples to export");
        return Ok(());
    }
    runs::export::after_run(dir, name, control.clone(), None, &mut |l| {
        eprintln!("mlk: {l}")
    })
    .map(|_| ())
}
