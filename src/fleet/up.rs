//! `fleet up`: write each cluster's profile (and inventory part), then run `mlk up` for every
//! cluster that is not up yet, K at a time, as child processes; a failed cluster is reported
//! and the others go on. A rerun starts only the clusters whose selected stages are not all
//! done (each child resumes its own cluster).
use super::capacity::Need;
use super::display::Display;
use super::plan::Plan;
use super::record::{self, Fleet, FleetDir};
use super::run::{self, Job, Outcome};
use crate::cluster::Home;
use crate::exit::{Class, classify};
use crate::progress::ProgressMode;
use anyhow::Result;

/// `mlk up` flags passed through to every cluster.
#[derive(Debug, Clone, Default)]
pub struct PassThrough {
    pub retry_budget: Option<u64>,
    pub connect_timeout: Option<u64>,
    pub skip_preflight: bool,
}

impl PassThrough {
    fn args(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(s) = self.retry_budget {
            v.extend(["--retry-budget".to_string(), s.to_string()]);
        }
        if let Some(s) = self.connect_timeout {
            v.extend(["--connect-timeout".to_string(), s.to_string()]);
        }
        if self.skip_preflight {
            v.push("--skip-preflight".into());
        }
        v
    }
}

/// Saves the record and every cluster's files (atomically, 0600) under the fleet lock.
pub fn save(d: &FleetDir, plan: &Plan) -> Result<()> {
    record::save(d, &plan.fleet)?;
    // Owner only, like a cluster folder: the generated files name hosts and keys.
    for sub in ["profiles", "inventories", "logs"] {
        crate::state::folder::prepare(&d.dir().join(sub))?;
    }
    crate::fsutil::write_atomic(&d.profile(), plan.base_text.as_bytes(), Some(0o600))?;
    for (c, m) in plan.fleet.clusters.iter().zip(&plan.members) {
        crate::fsutil::write_atomic(
            &d.member_profile(c.name()),
            m.profile_text.as_bytes(),
            Some(0o600),
        )?;
        if let Some(inv) = &m.inventory {
            crate::fsutil::write_atomic(
                &d.member_inventory(c.name()),
                inv.as_bytes(),
                Some(0o600),
            )?;
        }
    }
    Ok(())
}

/// Where a cluster of the fleet stands, from its folder (no network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// Every stage of the fleet's selection is done on every target, machines not stopped
    /// or destroyed.
    pub up: bool,
    /// Its machines are up (the `machines` stage done, not stopped or destroyed).
    pub booted: bool,
    /// list's words: up, failed at X, partial...
    pub state: String,
    pub failed_stage: Option<String>,
}

/// The standing of `cluster` for `sel`.
pub fn standing(home: &Home, cluster: &str, sel: &record::Selection) -> Standing {
    let Some(found) = crate::cluster::ClusterName::check(cluster)
        .ok()
        .and_then(|n| home.find(&n))
    else {
        return Standing {
            up: false,
            booted: false,
            state: "not created".into(),
            failed_stage: None,
        };
    };
    let s = crate::cluster::summary::summarize(&found);
    use crate::cluster::summary::Phase;
    let live = !matches!(s.phase, Phase::Destroyed | Phase::Stopped);
    let picked: Vec<usize> = crate::cluster::Record::load_or_infer(&found.dir, &found.name)
        .ok()
        .and_then(|r| crate::cluster::summary::saved_profile(&found.dir, &r).ok())
        .map(|(p, _)| crate::plan::build(&p, "").stages)
        .and_then(|st| crate::executor::select::select(&st, &sel.to_select()).ok())
        .unwrap_or_default();
    let up = live
        && !picked.is_empty()
        && picked
            .iter()
            .all(|i| s.stages.get(*i).is_some_and(|r| r.status == "done"));
    let failed_stage = match &s.phase {
        Phase::Failed { stage } => Some(stage.clone()),
        _ => None,
    };
    let state = match (&s.phase, up) {
        (Phase::Partial { .. } | Phase::Up, true) if !sel.is_all() => {
            "up (the fleet's stages)".into()
        }
        _ => s.state_text.clone(),
    };
    Standing {
        up,
        booted: live && s.stage_done(crate::catalogue::StageId::Machines),
        state,
        failed_stage,
    }
}

/// How `fleet up` ended.
pub struct Report {
    pub already_up: Vec<String>,
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub fn failed(&self) -> Vec<&Outcome> {
        self.outcomes.iter().filter(|o| o.code != 0).collect()
    }
}

/// How `fleet up` runs its clusters.
pub struct Settings {
    /// Clusters at once.
    pub k: usize,
    pub pass: PassThrough,
    pub progress: ProgressMode,
    pub json: bool,
}

/// The `mlk up` command line of cluster `name` (after `mlk --dir HOME --progress never`).
pub fn child_args(d: &FleetDir, f: &Fleet, name: &str, pass: &PassThrough) -> Vec<String> {
    let mut args: Vec<String> = vec!["up".into(), "-p".into()];
    args.push(d.member_profile(name).display().to_string());
    args.extend(["--provider".to_string(), f.provider.clone()]);
    if f.is_ssh() {
        args.push("--inventory".into());
        args.push(d.member_inventory(name).display().to_string());
    }
    if let Some(dist) = &f.distribution {
        args.extend(["--distribution".to_string(), dist.clone()]);
    }
    args.push("--json".into());
    args.extend(f.selection.args());
    args.extend(pass.args());
    args
}

/// Runs `mlk up` for every cluster of `f` that is not up, `s.k` at a time.
pub fn run(home: &Home, d: &FleetDir, f: &Fleet, need: Need, s: &Settings) -> Result<Report> {
    let vms = !f.is_ssh();
    let mut already_up = Vec::new();
    let mut jobs = Vec::new();
    let mut running_cpus = 0;
    for c in &f.clusters {
        let name = c.name();
        let st = standing(home, name, &f.selection);
        if st.booted {
            running_cpus += need.cpus;
        }
        if st.up {
            already_up.push(name.to_string());
            continue;
        }
        let args = child_args(d, f, name, &s.pass);
        jobs.push(Job {
            cluster: name.to_string(),
            args,
            boots: (vms && !st.booted).then_some(need),
            log: d.member_log(name),
        });
    }
    if jobs.is_empty() {
        return Ok(Report {
            already_up,
            outcomes: Vec::new(),
        });
    }
    let names: Vec<String> = jobs.iter().map(|j| j.cluster.clone()).collect();
    let mut display = Display::new(s.progress, s.json, &names);
    let outcomes = run::run_all(&home.root, jobs, s.k, running_cpus, |m| display.show(&m))?;
    Ok(Report {
        already_up,
        outcomes,
    })
}

/// The exit of a fleet command from its clusters' exit codes: 0 when all are 0; 130 when a
/// child was interrupted; else the failed clusters named, exit 1 (each cluster's own code is in
/// the report and `--json`).
pub fn verdict(what: &str, outcomes: &[Outcome], total: usize) -> Result<()> {
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.code != 0).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = failed
        .iter()
        .map(|o| format!("{} (exit {})", o.cluster, o.code))
        .collect();
    let class = if failed.iter().any(|o| o.code == 130) {
        Class::Interrupted
    } else {
        Class::Failure
    };
    Err(classify(
        class,
        format!(
            "{what}: {} of {total} cluster(s) failed: {}",
            failed.len(),
            list.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_up_gets_the_recorded_distribution() {
        let d = FleetDir(std::path::PathBuf::from("/h/fleets.d/lab"));
        let mut f = Fleet::new("lab", "mono", "libvirt", Vec::new());
        let pass = PassThrough::default();
        let args = child_args(&d, &f, "lab-01", &pass);
        assert!(!args.iter().any(|a| a == "--distribution"), "{args:?}");
        f.distribution = Some("rke2".into());
        let args = child_args(&d, &f, "lab-01", &pass);
        let i = args.iter().position(|a| a == "--distribution").unwrap();
        assert_eq!(args[i + 1], "rke2", "{args:?}");
        assert_eq!(args[0], "up");
    }
}
