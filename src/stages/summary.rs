//! Host stage `summary`: the first-log-in report (`crate::login`): every dashboard with its
//! URL, user and the path of its password file (never the password itself), whether its name
//! resolves here, Rancher's setup state, the cluster's CA (exported to the cluster folder) and
//! how to reach InfluxDB. It is saved as `<cluster>/summary.json`; `mlk up` prints it after the
//! run (text, or a `summary` event with `--json`), and `mlk status` shows the same.
use super::{HostCtx, HostStage};
use crate::catalogue::StageId;
use anyhow::Result;

pub struct Summary;

impl HostStage for Summary {
    /// Never "done": the summary is cheap and worth showing on every run.
    fn check(&self, _ctx: &HostCtx) -> Result<bool> {
        Ok(false)
    }

    fn run(&self, ctx: &HostCtx) -> Result<()> {
        let cp = &ctx.profile.first_controlplane().name;
        // Read only: the executor owns state.json (Store::open would also tidy the folder).
        let state: crate::state::StateFile =
            std::fs::read_to_string(crate::layout::of(ctx.cluster_dir).state())
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
        let done = |id: StageId| {
            ctx.stages.iter().filter(|s| s.id == id).any(|s| {
                s.nodes.iter().all(|n| {
                    state
                        .stages
                        .get(id.as_str())
                        .and_then(|m| m.get(n))
                        .is_some_and(|r| r.status == crate::state::Status::Done)
                })
            })
        };
        let connect = || {
            ctx.runners
                .get(cp)
                .cloned()
                .ok_or_else(|| format!("no connection to {cp}"))
        };
        let report = crate::login::collect(
            ctx.profile,
            ctx.cluster_dir,
            &crate::login::Sources {
                done: &done,
                connect: &connect,
                resolve: &crate::login::dns::resolve_all,
            },
        );
        let json = serde_json::to_string_pretty(&report)? + "\n";
        crate::fsutil::write_atomic(
            &crate::login::report_path(ctx.cluster_dir),
            json.as_bytes(),
            Some(0o644),
        )?;
        // The log gets the text (paths and names only; no password is ever in the report).
        for l in crate::login::text::render(&report).lines() {
            (ctx.log)(l);
        }
        Ok(())
    }
}
