//! Host stage `summary`: every dashboard with its URL, user and the path of its password
//! file. Never the password itself. `mlk status` shows the same table via [`dashboards`].
use super::secrets;
use super::{HostCtx, HostStage};
use crate::profile::Profile;
use anyhow::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardInfo {
    pub name: String,
    pub url: String,
    pub user: String,
    /// The file holding the password; `None` where the dashboard has no login.
    pub password_file: Option<PathBuf>,
    pub note: String,
}

/// The dashboards the profile enables, with where their credentials live.
pub fn dashboards(p: &Profile, cluster_dir: &Path) -> Vec<DashboardInfo> {
    crate::plan::dashboards(p)
        .into_iter()
        .map(|d| {
            let (user, file, note) = match d.name.as_str() {
                "Rancher" => (
                    "admin",
                    Some(secrets::RANCHER),
                    "bootstrap password; Rancher asks to change it at first login",
                ),
                "Chronograf" => (
                    "-",
                    None,
                    "no login (no OAuth configured); InfluxDB user admin, password file influxdb-password",
                ),
                "Kubeflow" => (
                    "user@example.com",
                    Some(secrets::KUBEFLOW_DEX),
                    "Dex static user; self-signed certificate",
                ),
                _ => ("-", None, ""),
            };
            DashboardInfo {
                name: d.name,
                url: d.url,
                user: user.to_string(),
                password_file: file.map(|f| secrets::path(cluster_dir, f)),
                note: note.to_string(),
            }
        })
        .collect()
}

/// The dashboards as an aligned text table.
pub fn table(rows: &[DashboardInfo]) -> String {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.url.clone(),
                r.user.clone(),
                r.password_file
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |p| p.display().to_string()),
            ]
        })
        .collect();
    let head = ["DASHBOARD", "URL", "USER", "PASSWORD FILE"].map(String::from);
    let mut w = head.clone().map(|h| h.len());
    for c in &cells {
        for (i, v) in c.iter().enumerate() {
            w[i] = w[i].max(v.len());
        }
    }
    let line = |c: &[String; 4]| {
        format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {}\n",
            c[0],
            c[1],
            c[2],
            c[3],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2]
        )
    };
    let mut s = line(&head);
    for c in &cells {
        s.push_str(&line(c));
    }
    for r in rows.iter().filter(|r| !r.note.is_empty()) {
        s.push_str(&format!("{}: {}\n", r.name, r.note));
    }
    s
}

pub struct Summary;

impl HostStage for Summary {
    /// Never "done": the summary is cheap and worth showing on every run.
    fn check(&self, _ctx: &HostCtx) -> Result<bool> {
        Ok(false)
    }

    fn run(&self, ctx: &HostCtx) -> Result<()> {
        let rows = dashboards(ctx.profile, ctx.cluster_dir);
        if rows.is_empty() {
            (ctx.log)("no dashboards enabled in this profile");
        }
        for l in table(&rows).lines() {
            (ctx.log)(l);
        }
        Ok(())
    }
}
