//! Whether an opened cluster is ready for `run-workload` and `report`, and how they reach a
//! node without asking the provider.
//!
//! The nodes come from an ssh-config file (the format `vagrant ssh-config` prints):
//! `--inventory FILE`, else the cluster folder's copy. Host keys are pinned in the cluster's
//! known_hosts.
use super::Opened;
use crate::addon::Addon;
use crate::exit::{Class, classify};
use crate::remote::Runner;
use anyhow::Result;
use std::path::Path;
use std::sync::Arc;

/// `run-workload` needs Kubernetes: explains a cluster that is destroyed, stopped or not up
/// yet (instead of kubectl's errors), and warns when TICK is off (nothing will be measured).
/// Only for clusters `mlk up` recorded; `--inventory` (the user points at nodes) skips it.
pub fn ready_for_workload(c: &Opened) -> Result<()> {
    if let Some(e) = c.not_running() {
        return Err(e);
    }
    let Some((sum, p)) = recorded(c) else {
        return Ok(());
    };
    let name = c.name();
    let kubernetes = p.distribution().kubernetes_stage();
    if !sum.stage_done(kubernetes) {
        return Err(classify(
            Class::Usage,
            format!(
                "cluster {name} is not up ({}): Kubernetes is not installed yet (stage {kubernetes}: {}); `mlk up -c {name}` finishes it",
                sum.state_text,
                sum.stage_status(kubernetes)
            ),
        ));
    }
    if !p.components.enabled(Addon::Tick) {
        eprintln!(
            "mlk: WARNING: cluster {name} has TICK disabled (components.tick.enabled: false): the run is recorded, but nothing measures it, so `mlk report` will have no figures for it"
        );
    }
    Ok(())
}

/// `report` reads measurements from the cluster's InfluxDB: explains a cluster that is
/// destroyed, stopped, has TICK disabled or has not finished the tick stage.
pub fn ready_for_report(c: &Opened) -> Result<()> {
    let name = c.name();
    if let Some(e) = c.not_running() {
        return Err(classify(
            Class::Usage,
            format!(
                "{e:#}\n  `mlk report` reads the runs' measurements from the cluster's InfluxDB, so the cluster must be running"
            ),
        ));
    }
    let Some((sum, p)) = recorded(c) else {
        return Ok(());
    };
    if !p.components.enabled(Addon::Tick) {
        return Err(classify(
            Class::Usage,
            format!(
                "cluster {name} has TICK disabled (components.tick.enabled: false in its profile): nothing measured its runs, so there is nothing to report"
            ),
        ));
    }
    let tick = Addon::Tick.stage();
    if !sum.stage_done(tick) {
        return Err(classify(
            Class::Usage,
            format!(
                "cluster {name} is not up ({}): its InfluxDB is not ready (stage {tick}: {}); `mlk up -c {name}` finishes it",
                sum.state_text,
                sum.stage_status(tick)
            ),
        ));
    }
    Ok(())
}

/// The summary and the saved profile, for a cluster whose `mlk up` recorded a profile and ran
/// at least once; None for folders mlk up did not make.
fn recorded(c: &Opened) -> Option<(super::summary::Summary, crate::profile::Profile)> {
    if !crate::layout::of(c.dir()).state().is_file() {
        return None;
    }
    let (p, _) = super::summary::saved_profile(c.dir(), &c.record).ok()?;
    Some((super::summary::of(c), p))
}

/// Connects to `node` (or the inventory's first host when `None`) of the cluster in `dir`.
pub fn connect(
    dir: &Path,
    inventory: Option<&Path>,
    node: Option<&str>,
) -> Result<Arc<dyn Runner>> {
    let file = inventory.map_or_else(|| crate::layout::of(dir).ssh_config(), Path::to_path_buf);
    let eps = crate::inventory::read(&file).map_err(|e| {
        classify(
            Class::Usage,
            format!("{e:#}; pass --inventory FILE (the format `vagrant ssh-config` prints)"),
        )
    })?;
    let ep = match node {
        Some(n) => eps.iter().find(|e| e.name == n).ok_or_else(|| {
            let names: Vec<&str> = eps.iter().map(|e| e.name.as_str()).collect();
            classify(
                Class::Usage,
                format!(
                    "inventory {}: no Host {n} (hosts: {})",
                    file.display(),
                    names.join(", ")
                ),
            )
        })?,
        None => eps.first().ok_or_else(|| {
            classify(
                Class::Usage,
                format!("inventory {}: no Host entries", file.display()),
            )
        })?,
    };
    let known_hosts = crate::layout::of(dir).known_hosts();
    crate::remote::connector(known_hosts, std::time::Duration::from_secs(10))(ep)
        .map_err(|e| crate::exit::tag(Class::Remote, format!("connecting to {}", ep.name), e))
}
