//! The first log-in: what a student needs after `mlk up` to reach and log in to each
//! dashboard. One report, shown by the summary stage and by `mlk status` (text and JSON):
//! each dashboard's URL, user and password file, whether its name resolves on this host
//! (with the hosts-file line when not), Rancher's setup state and which password opens it,
//! the cluster's CA and how to trust it, and how to reach InfluxDB from your own tools.
//! docs/login.md is the user's guide to the same.
pub mod ca;
pub mod dns;
pub mod open;
pub mod rancher;
pub mod reset;
pub mod text;

use crate::addon::{Addon, Dashboard};
use crate::catalogue::StageId;
use crate::profile::{Profile, Role};
use crate::remote::Runner;
use crate::stages::secrets;
use serde::Serialize;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// One dashboard, as the summary shows it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DashboardInfo {
    pub name: String,
    /// The name `mlk open` takes.
    pub id: String,
    pub url: String,
    pub user: String,
    /// The file holding the password that logs in now; `None` where the dashboard has no
    /// login, or (Rancher) when no file mlk holds opens it any more.
    pub password_file: Option<PathBuf>,
    pub note: String,
    pub dns: dns::Resolution,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CaReport {
    /// The exported CA certificate (public; the key stays in the cluster).
    pub file: PathBuf,
    pub exported: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct InfluxReport {
    pub user: String,
    pub password_file: PathBuf,
    pub database: String,
    /// How to reach it from this host (a port-forward through SSH).
    pub open: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Report {
    pub dashboards: Vec<DashboardInfo>,
    /// The node whose ingress answers every dashboard name.
    pub ingress_address: String,
    /// Every dashboard name resolves to `ingress_address` on this host.
    pub dns_ok: bool,
    /// What to add to the hosts file when a name does not resolve (`hosts_file`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosts_line: Option<String>,
    pub hosts_file: String,
    /// `ingress.allowFrom`: empty means every client that reaches the ingress.
    pub allow_from: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rancher: Option<rancher::RancherLogin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub influxdb: Option<InfluxReport>,
}

/// The node RKE's nginx ingress answers on: the first worker (RKE runs the ingress only on
/// workers), as `profile::defaults` derives the sslip.io domain.
pub fn ingress_address(p: &Profile) -> Ipv4Addr {
    p.nodes
        .iter()
        .find(|n| n.roles.contains(&Role::Worker))
        .or(p.nodes.first())
        .map_or(Ipv4Addr::UNSPECIFIED, |n| n.ip)
}

/// A dashboard the profile enables, before anything is asked.
struct Base {
    dashboard: &'static Dashboard,
    host: String,
    url: String,
    password_file: Option<PathBuf>,
}

fn base(p: &Profile, cluster_dir: &Path) -> Vec<Base> {
    p.components
        .addons()
        .flat_map(|a| a.dashboards())
        .map(|d| {
            let host = p.ingress.host(d.addon).unwrap_or_default().to_string();
            Base {
                dashboard: d,
                url: format!("{}://{host}", d.scheme),
                host,
                password_file: d.password.map(|f| secrets::path(cluster_dir, f)),
            }
        })
        .collect()
}

/// What `collect` may use. Every part is asked only for dashboards whose stage is done.
pub struct Sources<'a> {
    /// Whether a stage is recorded done (Rancher's state needs `rancher`, the CA
    /// `cert-manager`, a dashboard's name check its own stage).
    pub done: &'a dyn Fn(StageId) -> bool,
    /// A connection to the first controlplane node (called at most once), or why there is none.
    pub connect: &'a dyn Fn() -> Result<std::sync::Arc<dyn Runner>, String>,
    /// Name resolution: [`dns::resolve_all`] (the system resolver), or a stand-in in tests.
    pub resolve: &'a dyn Fn(&[String], Ipv4Addr) -> Vec<dns::Resolution>,
}

/// The report for the cluster in `cluster_dir`.
pub fn collect(p: &Profile, cluster_dir: &Path, src: &Sources) -> Report {
    let ip = ingress_address(p);
    let base = base(p, cluster_dir);
    let done = |a: Addon| (src.done)(a.stage());
    let installed: Vec<bool> = base.iter().map(|b| done(b.dashboard.addon)).collect();
    let hosts: Vec<String> = base
        .iter()
        .zip(&installed)
        .filter(|(_, i)| **i)
        .map(|(b, _)| b.host.clone())
        .collect();
    let mut resolved = (src.resolve)(&hosts, ip).into_iter();
    let c = &p.components;
    let wants_cluster = [Addon::Rancher, Addon::CertManager]
        .into_iter()
        .any(|a| c.enabled(a) && done(a));
    let runner = if wants_cluster {
        (src.connect)()
    } else {
        Err("not installed yet".to_string())
    };
    let runner_ref = runner.as_ref().map(|r| r.as_ref());
    let rancher = c.enabled(Addon::Rancher).then(|| {
        let files = rancher::Files::of(cluster_dir);
        if !done(Addon::Rancher) {
            return files.unknown_because(&format!("stage {} is not done", Addon::Rancher.stage()));
        }
        match runner_ref {
            Ok(r) => {
                let login = rancher::check(r, cluster_dir);
                // The record is the "used" mark of the bootstrap file; failing to write it
                // must not hide the dashboards.
                let _ = rancher::record(cluster_dir, &login);
                login
            }
            Err(e) => files.unknown_because(e),
        }
    });
    let ca = c.enabled(Addon::CertManager).then(|| {
        let file = ca::path(cluster_dir);
        let exported = file.is_file();
        if !done(Addon::CertManager) {
            return CaReport {
                file,
                exported,
                error: Some(format!("stage {} is not done", Addon::CertManager.stage())),
            };
        }
        match runner_ref.map(|r| ca::export(r, cluster_dir)) {
            Ok(Ok(f)) => CaReport {
                file: f,
                exported: true,
                error: None,
            },
            Ok(Err(e)) => CaReport {
                file,
                exported,
                error: Some(format!("{e:#}")),
            },
            Err(e) => CaReport {
                file,
                exported,
                error: Some(e.clone()),
            },
        }
    });
    let dashboards: Vec<DashboardInfo> = base
        .into_iter()
        .zip(installed)
        .map(|(b, installed)| {
            let dns = if installed {
                resolved
                    .next()
                    .unwrap_or_else(|| dns::not_checked(&b.host, ip, "no answer"))
            } else {
                dns::not_checked(
                    &b.host,
                    ip,
                    &format!("stage {} is not done", b.dashboard.addon.stage()),
                )
            };
            let d = b.dashboard;
            let mut password_file = b.password_file;
            // Rancher's own log-in decides which of its files opens it now.
            if d.addon == Addon::Rancher
                && let Some(r) = &rancher
                && r.state != "unknown"
            {
                password_file = r.password_file.clone();
            }
            // Only files that exist: before the secrets stage there are none to show.
            let password_file = password_file.filter(|f| f.is_file());
            DashboardInfo {
                name: d.name.into(),
                id: d.id().into(),
                url: b.url,
                user: d.user.into(),
                password_file,
                note: d.note.into(),
                dns,
            }
        })
        .collect();
    let influxdb = c.enabled(Addon::Tick).then(|| InfluxReport {
        user: "admin".into(),
        password_file: secrets::path(cluster_dir, secrets::INFLUXDB),
        database: crate::report::DATABASE.to_string(),
        open: "mlk open influxdb".into(),
    });
    let checked: Vec<dns::Resolution> = dashboards
        .iter()
        .filter(|d| d.dns.status != dns::Status::NotChecked)
        .map(|d| d.dns.clone())
        .collect();
    Report {
        dns_ok: checked.iter().all(dns::Resolution::ok),
        hosts_line: dns::hosts_line(&checked),
        hosts_file: dns::hosts_file().to_string(),
        ingress_address: ip.to_string(),
        allow_from: p.ingress.allow_from.clone(),
        dashboards,
        ca,
        rancher,
        influxdb,
    }
}

/// Where the summary stage leaves its report for `mlk up` to print.
pub fn report_path(cluster_dir: &Path) -> PathBuf {
    crate::layout::of(cluster_dir).summary()
}

/// Prints the report the summary stage saved: the text on stdout, or with `--json` one
/// `{"event": "summary", ...}` line among the run's events.
pub fn show_after_up(cluster_dir: &Path, json: bool) {
    let path = report_path(cluster_dir);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "mlk: no summary at {} (`mlk status` shows it)",
            path.display()
        );
        return;
    };
    let Ok(report) = serde_json::from_str::<serde_json::Value>(&text) else {
        eprintln!(
            "mlk: unreadable summary {} (`mlk status` shows it)",
            path.display()
        );
        return;
    };
    if json {
        let mut v = serde_json::json!({"event": "summary"});
        if let (Some(o), Some(r)) = (v.as_object_mut(), report.as_object()) {
            o.extend(r.clone());
        }
        println!("{v}");
    } else if let Ok(r) = serde_json::from_value::<Report>(report) {
        print!("\n{}", text::render(&r));
    }
}
