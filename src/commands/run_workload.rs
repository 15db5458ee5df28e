//! `mlk run-workload`: submit the sample TensorFlow workload (or the user's manifest), wait for
//! it with progress, and record the run in `<cluster>/runs/<name>.json` for `mlk report`.
use super::cluster_access;
use crate::cli::Global;
use crate::exit::{Class, classify};
use crate::report::time;
use crate::runs::{self, Outcome, RunRecord};
use crate::workload::{self, run::Options};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct RunWorkloadArgs {
    /// The cluster (default: the only cluster folder).
    #[arg(long)]
    pub cluster: Option<String>,
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
    /// Training epochs of the built-in workload.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub epochs: u32,
    /// Seconds to wait for the workload before recording it as failed.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub timeout: u64,
    /// Seconds between status polls.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub poll: u64,
}

pub fn run(g: &Global, a: &RunWorkloadArgs) -> Result<()> {
    let root = cluster_access::root(g.dir.as_deref());
    let (cluster, dir) = cluster_access::resolve(&root, a.cluster.as_deref())?;
    let profile_arg = a.profile.clone().unwrap_or_else(|| {
        let saved = dir.join("profile.yaml");
        if saved.is_file() {
            saved.display().to_string()
        } else {
            cluster.clone()
        }
    });
    let (p, _) = super::load_profile(&crate::cli::ProfileArgs {
        profile: profile_arg,
        provider: None,
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
    let manifest = if a.workload == "mnist" {
        workload::mnist(&p, &name, a.epochs)?
    } else {
        workload::user_file(std::path::Path::new(&a.workload))?
    };
    let cp = p.first_controlplane().name.clone();
    let runner = cluster_access::connect(&dir, a.inventory.as_deref(), Some(&cp))?;
    let rec = RunRecord {
        name,
        cluster,
        profile: p.name.clone(),
        workload: a.workload.clone(),
        start: time::rfc3339(now),
        end: None,
        outcome: Outcome::Running,
        nodes: p.nodes.iter().map(|n| n.name.clone()).collect(),
        controlplane: cp,
    };
    let opts = Options {
        poll: Duration::from_secs(a.poll.max(1)),
        timeout: Duration::from_secs(a.timeout),
    };
    let rec = workload::run::execute(runner.as_ref(), &dir, &manifest, rec, &opts, &mut |l| {
        eprintln!("mlk: {l}")
    })?;
    eprintln!(
        "mlk: report it with: mlk report {} --cluster {}",
        rec.name, rec.cluster
    );
    println!("{}", runs::path(&dir, &rec.name).display());
    Ok(())
}
