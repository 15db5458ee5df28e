//! `fleet status`: one row per cluster (state, failed stage, whether its machines answer,
//! dashboard URLs), from the cluster's records and its own `mlk status --json` (run as child
//! processes, K at a time). A cluster is up when every stage of the fleet's selection is done
//! and every machine answers.
use super::record::{Fleet, FleetDir};
use super::run::{self, Job};
use super::up::standing;
use crate::cluster::Home;
use anyhow::Result;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Dash {
    pub name: String,
    pub url: String,
    pub user: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub cluster: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student: Option<String>,
    pub state: String,
    pub failed_stage: Option<String>,
    pub up: bool,
    /// Machines that do not run or answer, with their state.
    pub machines_down: Vec<String>,
    pub dashboards: Vec<Dash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub fn collect(home: &Home, d: &FleetDir, f: &Fleet, k: usize) -> Result<Vec<Row>> {
    let mut jobs = Vec::new();
    for c in &f.clusters {
        let n = c.name();
        if standing(home, n, &f.selection).state != "not created" {
            jobs.push(Job {
                cluster: n.to_string(),
                args: vec!["status".into(), "-c".into(), n.into(), "--json".into()],
                boots: None,
                log: d.member_log(&format!("{n}.status")),
            });
        }
    }
    let outcomes = run::run_all(&home.root, jobs, k, 0, |_| {})?;
    let mut rows = Vec::new();
    for c in &f.clusters {
        let n = c.name();
        let st = standing(home, n, &f.selection);
        let out = outcomes.iter().find(|o| o.cluster == n);
        let v: Option<serde_json::Value> = out.and_then(|o| serde_json::from_str(&o.stdout).ok());
        let mut machines_down = Vec::new();
        let mut error = None;
        let mut dashboards = Vec::new();
        match &v {
            Some(v) => {
                if let Some(e) = v["machines_error"].as_str() {
                    error = Some(e.to_string());
                }
                for m in v["machines"].as_array().into_iter().flatten() {
                    if m["running"] != true {
                        machines_down.push(format!(
                            "{}: {}",
                            m["name"].as_str().unwrap_or("?"),
                            m["state"].as_str().unwrap_or("?")
                        ));
                    }
                }
                for db in v["dashboards"].as_array().into_iter().flatten() {
                    dashboards.push(Dash {
                        name: db["name"].as_str().unwrap_or("").into(),
                        url: db["url"].as_str().unwrap_or("").into(),
                        user: db["user"].as_str().unwrap_or("").into(),
                    });
                }
                if v["machines"].as_array().is_none_or(|m| m.is_empty()) && st.up {
                    machines_down.push("no machine state".into());
                }
            }
            None if st.state != "not created" => {
                error = Some(out.map_or_else(
                    || "no status".to_string(),
                    |o| o.tail.last().cloned().unwrap_or_default(),
                ));
            }
            None => {}
        }
        rows.push(Row {
            cluster: n.to_string(),
            student: c.member.student.clone(),
            up: st.up && machines_down.is_empty() && error.is_none(),
            state: st.state,
            failed_stage: st.failed_stage,
            machines_down,
            dashboards,
            error,
        });
    }
    Ok(rows)
}

/// One line per cluster: NAME STATE [machines down] URLs.
pub fn table(rows: &[Row]) -> String {
    let w = rows
        .iter()
        .map(|r| r.cluster.len())
        .max()
        .unwrap_or(0)
        .max(7);
    let sw = rows.iter().map(|r| r.state.len()).max().unwrap_or(0).max(5);
    let mut s = format!("{:<w$}  {:<sw$}  DASHBOARDS\n", "CLUSTER", "STATE");
    for r in rows {
        let mut extra: Vec<String> = r.dashboards.iter().map(|d| d.url.clone()).collect();
        if !r.machines_down.is_empty() {
            extra.insert(0, format!("[down: {}]", r.machines_down.join(", ")));
        }
        if let Some(e) = &r.error {
            extra.insert(0, format!("[{}]", crate::text::bounded(e, 100)));
        }
        s.push_str(
            format!("{:<w$}  {:<sw$}  {}\n", r.cluster, r.state, extra.join(" ")).trim_end(),
        );
        s.push('\n');
    }
    let up = rows.iter().filter(|r| r.up).count();
    s.push_str(&format!("{up} of {} cluster(s) up\n", rows.len()));
    s
}
