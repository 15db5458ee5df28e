//! `mlk start`: start a stopped cluster's VMs again (`vagrant up`: no provisioning, mlk's key
//! kept), then check that it is healthy: every node answers over SSH and, when Kubernetes was
//! installed, every node is Ready. For `--provider ssh` only the check runs.
use crate::cli::{ClusterArg, Global};
use crate::cluster::{Record, health};
use crate::exit::{Class, classify};
use crate::provider::ProviderKind;
use anyhow::Result;
use clap::Args;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk start                 # the only cluster
  mlk start -c distributed --wait 900")]
pub struct StartArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// Seconds to wait for the nodes to answer and Kubernetes to be Ready again.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub wait: u64,
}

pub fn run(g: &Global, a: &StartArgs) -> Result<()> {
    let m = super::open_cluster(g, &a.cluster)?.machines(None)?;
    let name = m.c.name().to_string();
    if m.c.record.destroyed.is_some() {
        return Err(m.c.not_running().expect("destroyed"));
    }
    let provider = m.provider()?;
    let endpoints = match m.kind {
        ProviderKind::Ssh => {
            eprintln!(
                "mlk: cluster {name} uses provider ssh: mlk does not power its hosts; checking that they are healthy"
            );
            provider.endpoints()?
        }
        ProviderKind::Vagrant(_) => {
            if !crate::provider::vagrant::any_machine_created(m.c.dir()) {
                return Err(classify(
                    Class::Usage,
                    format!(
                        "no VM of cluster {name} was ever created; `mlk up -c {name}` creates them"
                    ),
                ));
            }
            let _lock = crate::state::lock::acquire(m.c.dir(), "mlk start")?;
            let eps = provider.up(&mut |l| eprintln!("mlk: {l}"))?.endpoints;
            let mut rec = Record::load_or_infer(m.c.dir(), &name)?;
            rec.stopped = None;
            rec.save(m.c.dir())?;
            eps
        }
    };
    let sum = crate::cluster::summary::of(&m.c);
    let connect = crate::remote::connector(
        crate::layout::of(m.c.dir()).known_hosts(),
        Duration::from_secs(10),
    );
    let kubernetes = m.profile.distribution().kubernetes_stage();
    let check = health::Check {
        endpoints: &endpoints,
        controlplane: &m.profile.first_controlplane().name,
        kubernetes,
        installed: sum.stage_done(kubernetes),
        deadline: Instant::now() + Duration::from_secs(a.wait),
        pause: Duration::from_secs(3),
    };
    health::check(&check, connect.as_ref(), &mut |l| eprintln!("{l}")).map_err(|e| {
        classify(
            crate::exit::class_of(&e),
            format!(
                "{e:#}\n  cluster {name} is not healthy; `mlk status -c {name}` and `mlk diagnose -c {name}` say more"
            ),
        )
    })?;
    eprintln!("mlk: cluster {name} is up and healthy");
    Ok(())
}
