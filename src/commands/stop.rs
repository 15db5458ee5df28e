//! `mlk stop`: halt the cluster's VMs (`vagrant halt`), keeping them and everything on them;
//! `mlk start` brings them back. For a class that pauses between sessions.
use crate::cli::{ClusterArg, Global};
use crate::cluster::Record;
use crate::exit::{Class, classify};
use crate::provider::ProviderKind;
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk stop                 # the only cluster
  mlk stop -c distributed  # later: mlk start -c distributed")]
pub struct StopArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
}

pub fn run(g: &Global, a: &StopArgs) -> Result<()> {
    let m = super::open_cluster(g, &a.cluster)?.machines(None)?;
    let name = m.c.name();
    if m.c.record.destroyed.is_some() {
        return Err(m.c.not_running().expect("destroyed"));
    }
    if m.kind == ProviderKind::Ssh {
        return Err(classify(
            Class::Usage,
            format!(
                "cluster {name} uses provider ssh: mlk did not create its hosts and does not power them off"
            ),
        ));
    }
    if !crate::provider::vagrant::any_machine_created(m.c.dir()) {
        eprintln!("mlk: no VM of cluster {name} was ever created: nothing to stop");
        return Ok(());
    }
    let _lock = crate::state::lock::acquire(m.c.dir(), "mlk stop")?;
    m.provider()?
        .halt(&mut |l| eprintln!("mlk: {l}"))
        .map_err(|e| crate::exit::retag(Class::Provider, e))?;
    let mut rec = Record::load_or_infer(m.c.dir(), name)?;
    rec.stopped = Some(crate::state::now());
    rec.save(m.c.dir())?;
    eprintln!("mlk: cluster {name} stopped; `mlk start -c {name}` starts it again");
    Ok(())
}
