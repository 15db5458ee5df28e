//! The first-log-in report as text: the dashboards table, then one paragraph per topic
//! (Rancher's setup, Chronograf's exposure, Kubeflow, InfluxDB, certificates, names).
use super::rancher::{Check, RancherLogin};
use super::{DashboardInfo, Report};
use crate::addon::Addon;
use std::fmt::Write;
use std::path::Path;

/// The labels of Rancher v2.13.8's setup page (rancher/dashboard v2.13.8
/// `shell/assets/translations/en-us.yaml`, keys `setup.eula`, `setup.useRandom`,
/// `setup.useManual`), so the student finds exactly what the page shows.
pub const EULA: &str =
    "By checking the box, you accept the End User License Agreement & Terms & Conditions";
pub const USE_RANDOM: &str = "Use a randomly generated password";
pub const USE_MANUAL: &str = "Set a specific password to use";

/// The add-on a reported dashboard belongs to (None for one this mlk does not know).
fn addon_of(d: &DashboardInfo) -> Option<Addon> {
    crate::addon::dashboard(&d.id).map(|x| x.addon)
}

fn table(rows: &[DashboardInfo], rancher: Option<&RancherLogin>) -> String {
    let file = |r: &DashboardInfo| match (&r.password_file, addon_of(r)) {
        (Some(p), _) => p.display().to_string(),
        (None, Some(Addon::Rancher)) if rancher.is_some_and(|l| l.state != "unknown") => {
            "(the one you chose)".to_string()
        }
        _ => "-".to_string(),
    };
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| [r.name.clone(), r.url.clone(), r.user.clone(), file(r)])
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
    s
}

/// Wraps a paragraph at 96 columns, continuation lines indented by two spaces.
fn para(s: &mut String, text: &str) {
    let mut col = 0;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 && col + 1 + word.len() > 96 {
            s.push_str("\n  ");
            col = 2;
        } else if i > 0 {
            s.push(' ');
            col += 1;
        }
        s.push_str(word);
        col += word.len();
    }
    s.push('\n');
}

fn rancher_text(r: &RancherLogin, d: &DashboardInfo) -> String {
    let bootstrap = &r.bootstrap_file;
    let setup = format!(
        "On the setup page that follows, tick \"{EULA}\", keep the Server URL {} and press Continue. If the page also asks for a new password (it does after `mlk rancher reset-password`), it preselects \"{USE_RANDOM}\": choose \"{USE_MANUAL}\" and type a password you will remember (mlk never learns it), or copy the random one before you press Continue.",
        d.url
    );
    let reset = "Locked out? `mlk rancher reset-password` prints a new one-time password.";
    let used = |c: Check, what: &str| match c {
        Check::Used => format!(" {what} is used up: Rancher no longer accepts it."),
        _ => String::new(),
    };
    match r.state.as_str() {
        "not-set-up" => match &r.password_file {
            Some(f) => format!(
                "Rancher: not set up yet. Log in as admin with the password in {}. {setup} {reset}",
                f.display()
            ),
            None => format!(
                "Rancher: not set up yet, but no password file of mlk's opens admin any more.{}{} {reset}",
                used(r.bootstrap_password, &bootstrap.display().to_string()),
                r.reason
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
        },
        "set-up" => match &r.password_file {
            Some(f) => format!(
                "Rancher: set up. The password in {} still opens admin{} {reset}",
                f.display(),
                if r.must_change_password == Some(true) {
                    format!(
                        "; Rancher will ask for a new one at the next log-in: choose \"{USE_MANUAL}\" there."
                    )
                } else {
                    ".".to_string()
                }
            ),
            None => format!(
                "Rancher: set up, and admin's password was changed since: log in with the one you chose.{} {reset}",
                used(r.bootstrap_password, &bootstrap.display().to_string())
            ),
        },
        _ => format!(
            "Rancher: setup state unknown ({}). Before setup, log in as admin with the password in {}. {setup} {reset}",
            r.reason.as_deref().unwrap_or("not asked"),
            bootstrap.display()
        ),
    }
}

/// The whole report as text.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    if r.dashboards.is_empty() {
        s.push_str("no dashboards enabled in this profile\n");
        return s;
    }
    s.push_str(&table(&r.dashboards, r.rancher.as_ref()));
    s.push('\n');
    for d in &r.dashboards {
        match addon_of(d) {
            Some(Addon::Rancher) => {
                if let Some(l) = &r.rancher {
                    para(&mut s, &rancher_text(l, d));
                    // The log-in the browser would now refuse: the known-error advice for it.
                    if l.password_file.is_none() && l.bootstrap_password == Check::Used {
                        let a = crate::advice::by_id("RANCHER_LOGIN_REJECTED");
                        s.push_str(&crate::advice::render(&a.into_iter().collect::<Vec<_>>()));
                    }
                }
            }
            Some(Addon::Tick) => {
                let reach = if r.allow_from.is_empty() {
                    format!(
                        "whoever reaches {} (port 80 of {}) is InfluxDB admin. That is fine on a host-only network (only this host and the VMs reach {}), not on a shared one: there, set `ingress: {{allowFrom: [{}]}}` in the profile and run `mlk up` again (docs/login.md).",
                        d.url,
                        r.ingress_address,
                        r.ingress_address,
                        net24(&r.ingress_address)
                    )
                } else {
                    format!(
                        "only clients in {} reach it (ingress.allowFrom), and each of them is InfluxDB admin there.",
                        r.allow_from.join(", ")
                    )
                };
                para(
                    &mut s,
                    &format!(
                        "Chronograf: no log-in of its own, and it holds InfluxDB's admin password: {reach}"
                    ),
                );
            }
            Some(Addon::Kubeflow) => {
                let f = d
                    .password_file
                    .as_ref()
                    .map_or_else(|| "-".into(), |p| p.display().to_string());
                para(
                    &mut s,
                    &format!(
                        "Kubeflow: Dex's log-in form: {} with the password in {f}.",
                        d.user
                    ),
                );
            }
            _ => {}
        }
    }
    if let Some(i) = &r.influxdb {
        para(
            &mut s,
            &format!(
                "InfluxDB, for your own Grafana or client: `{}` forwards it through SSH to a port on localhost and prints the URL; user {}, password in {}, database {}.",
                i.open,
                i.user,
                i.password_file.display(),
                i.database
            ),
        );
    }
    if let Some(ca) = &r.ca {
        let tls: Vec<&str> = r
            .dashboards
            .iter()
            .filter(|d| d.url.starts_with("https://"))
            .map(|d| d.name.as_str())
            .collect();
        let signed = match tls.as_slice() {
            [] => "the certificates mlk makes are".to_string(),
            [one] => format!("{one}'s certificate is"),
            many => format!("the certificates of {} are", many.join(" and ")),
        };
        if ca.exported {
            para(
                &mut s,
                &format!(
                    "Certificates: {signed} signed by this cluster's own CA, {} (the public certificate; its key stays in the cluster). Trust it once, or accept the browser's warning on each dashboard (\"Advanced\", then \"Proceed\" / \"Accept the Risk and Continue\"):",
                    ca.file.display()
                ),
            );
            let cluster = ca
                .file
                .parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
                .unwrap_or("lab");
            for (os, line) in super::ca::trust_lines(&ca.file, cluster) {
                let _ = writeln!(s, "  {os}: {line}");
            }
        } else {
            para(
                &mut s,
                &format!(
                    "Certificates: the cluster's CA is not exported yet ({}); `mlk status` exports it to {} once the cluster answers. Until then, accept the browser's warning.",
                    ca.error.as_deref().unwrap_or("not asked"),
                    ca.file.display()
                ),
            );
        }
    }
    let checked = r
        .dashboards
        .iter()
        .any(|d| d.dns.status != super::dns::Status::NotChecked);
    if !checked {
        para(
            &mut s,
            "Names: not checked yet; `mlk status` checks them once the dashboards are installed.",
        );
    } else if r.dns_ok {
        para(
            &mut s,
            &format!(
                "Names: every dashboard name resolves to {} on this host.",
                r.ingress_address
            ),
        );
    } else {
        for d in r
            .dashboards
            .iter()
            .filter(|d| !d.dns.ok() && d.dns.status != super::dns::Status::NotChecked)
        {
            let why = match (&d.dns.error, d.dns.addresses.is_empty()) {
                (Some(e), _) => e.clone(),
                (None, false) => format!(
                    "it resolves to {}, not {}",
                    d.dns.addresses.join(", "),
                    d.dns.expected
                ),
                (None, true) => "no answer".into(),
            };
            para(
                &mut s,
                &format!(
                    "Names: {} does not resolve to {} on this host ({why}).",
                    d.dns.host, d.dns.expected
                ),
            );
        }
        para(
            &mut s,
            "sslip.io names need internet access, and resolvers with DNS-rebinding protection drop answers that point at private addresses. Any one of these fixes it:",
        );
        if let Some(l) = &r.hosts_line {
            let _ = writeln!(
                s,
                "  - add this line to {} (as root / administrator):\n      {l}",
                r.hosts_file
            );
        }
        let _ = writeln!(
            s,
            "  - or set `ingress: {{domain: NAME}}` in the profile, NAME a domain your DNS answers with {}\n    (a wildcard record *.NAME), and run `mlk up` again",
            r.ingress_address
        );
        let ids: Vec<&str> = r.dashboards.iter().map(|d| d.id.as_str()).collect();
        let _ = writeln!(
            s,
            "  - or `mlk open {}`: when the name does not resolve, it forwards a local port through SSH",
            ids.join("|")
        );
    }
    s
}

/// `a.b.c.0/24` of an address.
fn net24(ip: &str) -> String {
    match ip.parse::<std::net::Ipv4Addr>() {
        Ok(a) => {
            let o = a.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Err(_) => format!("{ip}/24"),
    }
}
