//! `fleet down`, `fleet stop`, `fleet start`: the cluster command (`mlk down -c NAME -f`,
//! `mlk stop -c NAME`, `mlk start -c NAME`) for every cluster of the fleet, as child processes
//! K at a time. Each of those is idempotent, so the fleet's are too.
use super::record::{Fleet, FleetDir};
use super::run::{self, Job, Outcome};
use crate::cluster::Home;
use anyhow::Result;

/// Runs `mlk <args> -c NAME` for every cluster that has a folder; prints one line per cluster.
pub fn each(home: &Home, d: &FleetDir, f: &Fleet, args: &[&str], k: usize) -> Result<Vec<Outcome>> {
    let verb = args[0];
    let mut jobs = Vec::new();
    for c in &f.clusters {
        let n = c.name();
        let exists = crate::cluster::ClusterName::check(n)
            .ok()
            .and_then(|name| home.find(&name))
            .is_some();
        if !exists {
            eprintln!("{n}: no cluster folder: nothing to {verb}");
            continue;
        }
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.extend(["-c".to_string(), n.to_string()]);
        jobs.push(Job {
            cluster: n.to_string(),
            args: a,
            boots: None,
            log: d.member_log(&format!("{n}.{verb}")),
        });
    }
    run::run_all(&home.root, jobs, k, 0, |m| {
        if let run::Msg::Finished(o) = m {
            let last = o.tail.last().map_or("", |l| l.as_str());
            let mark = if o.code == 0 { "✓" } else { "✗" };
            eprintln!(
                "{mark} {}: {verb} (exit {}) {}",
                o.cluster,
                o.code,
                crate::text::bounded(last, 160)
            );
        }
    })
}
