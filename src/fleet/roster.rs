//! `fleet roster`: what each student needs to reach their cluster (dashboard URLs, user names,
//! the passwords of their cluster) as an HTML page and a Markdown file per cluster, and an
//! index for the instructor (CSV and an HTML table). The passwords are read from each
//! cluster's `secrets/` and appear nowhere else: every file is written 0600 into a 0700 folder.
use super::names::csv_field;
use super::record::Fleet;
use crate::cluster::Home;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// One dashboard of one cluster, with its password (None: no log-in, or not generated yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub dashboard: String,
    pub url: String,
    pub user: String,
    pub password: Option<String>,
    /// Why there is no password.
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub cluster: String,
    pub student: Option<String>,
    pub email: Option<String>,
    pub nodes: Vec<(String, String)>,
    pub logins: Vec<Login>,
}

fn read_password(p: &Path) -> Option<String> {
    let t = std::fs::read_to_string(p).ok()?;
    let t = t.trim_end_matches(['\r', '\n']);
    (!t.is_empty()).then(|| t.to_string())
}

/// Every cluster's entry, from its saved profile and its secret files.
pub fn entries(home: &Home, f: &Fleet) -> Vec<Entry> {
    f.clusters
        .iter()
        .map(|c| {
            let dir = home.root.join(c.name());
            let profile = crate::cluster::Record::load_or_infer(&dir, c.name())
                .ok()
                .and_then(|r| crate::cluster::summary::saved_profile(&dir, &r).ok())
                .map(|(p, _)| p);
            let logins = profile.as_ref().map_or_else(Vec::new, |p| logins(p, &dir));
            Entry {
                cluster: c.name().to_string(),
                student: c.member.student.clone(),
                email: c.member.email.clone(),
                nodes: c
                    .nodes
                    .iter()
                    .map(|n| (n.node.clone(), n.ip.to_string()))
                    .collect(),
                logins,
            }
        })
        .collect()
}

fn logins(p: &crate::profile::Profile, dir: &Path) -> Vec<Login> {
    p.components
        .addons()
        .flat_map(|a| a.dashboards())
        .map(|d| {
            let url = format!(
                "{}://{}",
                d.scheme,
                p.ingress.host(d.addon).unwrap_or_default()
            );
            let (password, note) = match d.password {
                None => (None, d.note.to_string()),
                Some(secret) => {
                    // Rancher: a password set by `mlk rancher reset-password` replaces the bootstrap one.
                    let files = if d.addon == crate::addon::Addon::Rancher {
                        let f = crate::login::rancher::Files::of(dir);
                        vec![f.reset, f.bootstrap]
                    } else {
                        vec![crate::stages::secrets::path(dir, secret)]
                    };
                    match files.iter().find_map(|f| read_password(f)) {
                        Some(pw) => (Some(pw), String::new()),
                        None => (
                            None,
                            "not generated yet (its cluster's secrets stage has not run)".into(),
                        ),
                    }
                }
            };
            Login {
                dashboard: d.name.to_string(),
                url,
                user: d.user.to_string(),
                password,
                note,
            }
        })
        .collect()
}

/// HTML text with `& < > " '` escaped.
pub fn html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Markdown table cell: `|` and line breaks would end it.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn who(e: &Entry) -> String {
    e.student.clone().unwrap_or_else(|| e.cluster.clone())
}

pub fn markdown(e: &Entry) -> String {
    let mut s = format!("# Your Kubernetes lab: {}\n\n", md(&e.cluster));
    s.push_str(&format!("For: {}\n\n", md(&who(e))));
    s.push_str("Keep this page to yourself: it holds your cluster's passwords.\n\n");
    if e.logins.is_empty() {
        s.push_str("This lab has no dashboards.\n\n");
    } else {
        s.push_str("| Dashboard | URL | User | Password |\n|---|---|---|---|\n");
        for l in &e.logins {
            let pw = l
                .password
                .as_deref()
                .map_or_else(|| md(&l.note), |p| format!("`{p}`"));
            s.push_str(&format!(
                "| {} | <{}> | {} | {} |\n",
                md(&l.dashboard),
                l.url,
                md(&l.user),
                pw
            ));
        }
        s.push_str("\nThe dashboards' certificates are signed by your cluster's own CA: the browser warns until you trust it (ask for `mlk-ca.crt`).\n\n");
    }
    s.push_str("Nodes:\n\n");
    for (n, ip) in &e.nodes {
        s.push_str(&format!("- {} {}\n", md(n), ip));
    }
    s
}

const STYLE: &str = "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;text-align:left}code{font-size:1.1em}</style>";

pub fn page(e: &Entry) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Lab {}</title>{STYLE}</head><body>\n<h1>Your Kubernetes lab: {}</h1>\n<p>For: {}</p>\n<p>Keep this page to yourself: it holds your cluster's passwords.</p>\n",
        html(&e.cluster),
        html(&e.cluster),
        html(&who(e))
    );
    if e.logins.is_empty() {
        s.push_str("<p>This lab has no dashboards.</p>\n");
    } else {
        s.push_str(
            "<table><tr><th>Dashboard</th><th>URL</th><th>User</th><th>Password</th></tr>\n",
        );
        for l in &e.logins {
            let pw = l
                .password
                .as_deref()
                .map_or_else(|| html(&l.note), |p| format!("<code>{}</code>", html(p)));
            s.push_str(&format!(
                "<tr><td>{}</td><td><a href=\"{u}\">{u}</a></td><td>{}</td><td>{pw}</td></tr>\n",
                html(&l.dashboard),
                html(&l.user),
                u = html(&l.url)
            ));
        }
        s.push_str("</table>\n<p>The dashboards' certificates are signed by your cluster's own CA: the browser warns until you trust it (ask for <code>mlk-ca.crt</code>).</p>\n");
    }
    s.push_str("<h2>Nodes</h2>\n<ul>\n");
    for (n, ip) in &e.nodes {
        s.push_str(&format!("<li>{} {}</li>\n", html(n), html(ip)));
    }
    s.push_str("</ul>\n</body></html>\n");
    s
}

/// The instructor's CSV: one row per cluster and dashboard (one per cluster without any).
pub fn index_csv(entries: &[Entry]) -> String {
    let mut s = String::from("cluster,student,email,nodes,dashboard,url,user,password\n");
    for e in entries {
        let nodes: Vec<String> = e.nodes.iter().map(|(n, ip)| format!("{n}={ip}")).collect();
        let head = [
            e.cluster.clone(),
            e.student.clone().unwrap_or_default(),
            e.email.clone().unwrap_or_default(),
            nodes.join(" "),
        ];
        let rows: Vec<[String; 4]> = if e.logins.is_empty() {
            vec![Default::default()]
        } else {
            e.logins
                .iter()
                .map(|l| {
                    [
                        l.dashboard.clone(),
                        l.url.clone(),
                        l.user.clone(),
                        l.password.clone().unwrap_or_default(),
                    ]
                })
                .collect()
        };
        for r in rows {
            let cells: Vec<String> = head.iter().chain(r.iter()).map(|c| csv_field(c)).collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
    }
    s
}

pub fn index_html(f: &Fleet, entries: &[Entry]) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Fleet {}</title>{STYLE}</head><body>\n<h1>Fleet {}: {} cluster(s)</h1>\n<table><tr><th>Cluster</th><th>Student</th><th>Email</th><th>Nodes</th><th>Dashboard</th><th>URL</th><th>User</th><th>Password</th><th>Page</th></tr>\n",
        html(&f.name),
        html(&f.name),
        entries.len()
    );
    for e in entries {
        let nodes: Vec<String> = e
            .nodes
            .iter()
            .map(|(n, ip)| format!("{} {}", html(n), html(ip)))
            .collect();
        let page = format!("<a href=\"{c}.html\">{c}.html</a>", c = html(&e.cluster));
        let logins: Vec<Option<&Login>> = if e.logins.is_empty() {
            vec![None]
        } else {
            e.logins.iter().map(Some).collect()
        };
        for l in logins {
            let (d, u, user, pw) = l.map_or_else(Default::default, |l| {
                (
                    html(&l.dashboard),
                    html(&l.url),
                    html(&l.user),
                    l.password
                        .as_deref()
                        .map_or_else(|| html(&l.note), |p| format!("<code>{}</code>", html(p))),
                )
            });
            s.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{d}</td><td>{u}</td><td>{user}</td><td>{pw}</td><td>{page}</td></tr>\n",
                html(&e.cluster),
                html(e.student.as_deref().unwrap_or("")),
                html(e.email.as_deref().unwrap_or("")),
                nodes.join("<br>")
            ));
        }
    }
    s.push_str("</table>\n</body></html>\n");
    s
}

/// Writes every file into `out` (created 0700 when missing), each 0600. Returns the paths.
pub fn write(out: &Path, f: &Fleet, entries: &[Entry]) -> Result<Vec<PathBuf>> {
    if !out.exists() {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("chmod 700 {}", out.display()))?;
        }
    }
    let mut files: Vec<(PathBuf, String)> = vec![
        (out.join("index.csv"), index_csv(entries)),
        (out.join("index.html"), index_html(f, entries)),
    ];
    for e in entries {
        files.push((out.join(format!("{}.html", e.cluster)), page(e)));
        files.push((out.join(format!("{}.md", e.cluster)), markdown(e)));
    }
    for (p, text) in &files {
        crate::fsutil::write_atomic(p, text.as_bytes(), Some(0o600))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            cluster: "lab-01".into(),
            student: Some("Ada <x> & \"y\"".into()),
            email: None,
            nodes: vec![("node1".into(), "192.168.56.10".into())],
            logins: vec![Login {
                dashboard: "Rancher".into(),
                url: "https://rancher.192.168.56.10.sslip.io".into(),
                user: "admin".into(),
                password: Some("pw,with\"quote".into()),
                note: String::new(),
            }],
        }
    }

    #[test]
    fn pages_escape_and_the_csv_reads_back() {
        let e = entry();
        let p = page(&e);
        assert!(p.contains("For: Ada &lt;x&gt; &amp; &quot;y&quot;"), "{p}");
        assert!(p.contains("<code>pw,with&quot;quote</code>"));
        let csv = index_csv(std::slice::from_ref(&e));
        let rows = crate::fleet::names::parse_csv(&csv).unwrap();
        assert_eq!(rows[1].1[0], "lab-01");
        assert_eq!(rows[1].1[3], "node1=192.168.56.10");
        assert_eq!(rows[1].1[7], "pw,with\"quote");
        assert!(markdown(&e).contains(
            "| Rancher | <https://rancher.192.168.56.10.sslip.io> | admin | `pw,with\"quote` |"
        ));
    }
}
