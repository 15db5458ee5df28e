//! `mlk open NAME`: a dashboard in the browser, through its ingress name when that resolves
//! on this host, else through a port-forward over mlk's SSH connection to the first
//! controlplane node: a listener on 127.0.0.1 whose connections go, each over a direct-tcpip
//! channel, to the dashboard's Service (its ClusterIP, which kube-proxy makes reachable from
//! every node, as `mlk report` reaches InfluxDB). A forward bypasses the ingress, whose
//! routing needs the real host name, so it goes to the Service behind it.
use crate::addon::Forward;
use crate::profile::Profile;
use crate::remote::{PortForward, Runner};
use anyhow::{Result, bail};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// The forward targets of the dashboards (and InfluxDB) the profile enables (sources in
/// `crate::addon`).
pub fn targets(p: &Profile) -> Vec<&'static Forward> {
    p.components.addons().flat_map(|a| a.forwards()).collect()
}

/// A Service to forward to: `port` None means the Service's first port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub namespace: String,
    pub service: String,
    pub port: Option<u16>,
}

/// `mlk port-forward`'s SERVICE: a name of `targets` (a dashboard, or influxdb) or
/// `NAMESPACE/SERVICE[:PORT]`. Names must be Kubernetes names (DNS-1123 labels: lower-case
/// letters, digits and `-`, at most 63), so they go into the node's shell as they are.
pub fn parse_service(s: &str, targets: &[&Forward]) -> Result<ServiceRef, String> {
    if let Some(t) = targets.iter().find(|t| t.id == s) {
        return Ok(ServiceRef {
            namespace: t.namespace.into(),
            service: t.service.into(),
            port: Some(t.port),
        });
    }
    let names: Vec<&str> = targets.iter().map(|t| t.id).collect();
    let form = format!(
        "expected {}or NAMESPACE/SERVICE[:PORT] (e.g. tick/chronograf-chronograf:80)",
        if names.is_empty() {
            String::new()
        } else {
            format!("one of {}, ", names.join(", "))
        }
    );
    let shown = crate::text::shown(s);
    let Some((namespace, rest)) = s.split_once('/') else {
        return Err(format!("`{shown}`: {form}"));
    };
    let (service, port) = match rest.split_once(':') {
        Some((svc, p)) => match p.parse::<u16>() {
            Ok(n) if n > 0 => (svc, Some(n)),
            _ => return Err(format!("`{shown}`: port `{p}` is not a number 1-65535")),
        },
        None => (rest, None),
    };
    for (what, name) in [("namespace", namespace), ("service", service)] {
        let ok = !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !ok {
            return Err(format!(
                "`{shown}`: {what} `{}` is not a Kubernetes name (lower-case letters, digits and `-`, at most 63); {form}",
                crate::text::shown(name)
            ));
        }
    }
    Ok(ServiceRef {
        namespace: namespace.into(),
        service: service.into(),
        port,
    })
}

/// The Service's ClusterIP, read with the node's kubectl.
pub fn cluster_ip(runner: &dyn Runner, t: &Forward) -> Result<String> {
    let s = ServiceRef {
        namespace: t.namespace.into(),
        service: t.service.into(),
        port: Some(t.port),
    };
    Ok(service_address(runner, &s)?.0)
}

/// The Service's ClusterIP and port (its first port when `s` names none), read with the
/// node's kubectl.
pub fn service_address(runner: &dyn Runner, s: &ServiceRef) -> Result<(String, u16)> {
    let jsonpath = match s.port {
        Some(_) => "'{.spec.clusterIP}'",
        None => "'{.spec.clusterIP} {.spec.ports[0].port}'",
    };
    let cmd = format!(
        "{} kubectl -n {} get service {} -o jsonpath={jsonpath} 2>&1",
        crate::layout::node::kube_env(),
        s.namespace,
        s.service
    );
    let mut out = String::new();
    let r = runner.exec(&cmd, Some(Duration::from_secs(60)), &mut |l| {
        out.push_str(l);
        out.push('\n');
    })?;
    let mut words = out.split_whitespace();
    let ip = words.next().unwrap_or_default();
    let port = s.port.or_else(|| words.next().and_then(|p| p.parse().ok()));
    match (r.status, ip.parse::<Ipv4Addr>(), port) {
        (0, Ok(_), Some(port)) => Ok((ip.to_string(), port)),
        (0, _, _) if ip == "None" => bail!(
            "{}: service {}/{} is headless (no ClusterIP); forward to one of its pods' Services instead",
            runner.node(),
            s.namespace,
            s.service
        ),
        _ => bail!(
            "{}: no ClusterIP{} for service {}/{} (`kubectl get service` exited {}: {}); is the dashboard's stage done?",
            runner.node(),
            if s.port.is_none() { " and port" } else { "" },
            s.namespace,
            s.service,
            r.status,
            out.trim()
        ),
    }
}

/// Binds the local end of a forward (port 0: any free port).
pub fn listen(port: u16) -> Result<TcpListener> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, port))?)
}

/// Serves the forward until the process ends: every connection to `listener` goes to
/// `ip:port` from the node, on a thread and an SSH session of its own.
pub fn serve(listener: TcpListener, runner: Arc<dyn Runner>, ip: String, port: u16) -> Result<()> {
    let fwd = crate::remote::port_forward::to(runner, ip, port);
    PortForward::on(listener, fwd, true)?.wait();
    Ok(())
}

/// Opens `url` in the desktop's browser: `$BROWSER`, else xdg-open (Linux), open (macOS),
/// `start` (Windows). False when there is none to run (then the caller prints the URL).
pub fn browser(url: &str) -> bool {
    use std::process::{Command, Stdio};
    let mut cmd = if let Some(b) = std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        let mut c = Command::new(b);
        c.arg(url);
        c
    } else if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.args(["/C", "start", "", url]);
        c
    } else {
        // Without a display, xdg-open falls back to text browsers or fails: print instead.
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            return false;
        }
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_and_forms() {
        let f = Forward {
            id: "influxdb",
            namespace: "tick",
            service: "influxdb",
            port: 8086,
            scheme: "http",
            note: "",
        };
        let t = [&f];
        let r = parse_service("influxdb", &t).unwrap();
        assert_eq!(
            (r.namespace.as_str(), r.service.as_str(), r.port),
            ("tick", "influxdb", Some(8086))
        );
        let r = parse_service("tick/chronograf-chronograf:80", &t).unwrap();
        assert_eq!(
            (r.service.as_str(), r.port),
            ("chronograf-chronograf", Some(80))
        );
        assert_eq!(parse_service("kube-system/dns", &t).unwrap().port, None);
        for (bad, want) in [
            (
                "grafana",
                "expected one of influxdb, or NAMESPACE/SERVICE[:PORT]",
            ),
            (
                "tick/Chronograf",
                "service `Chronograf` is not a Kubernetes name",
            ),
            ("tick/a;reboot", "is not a Kubernetes name"),
            ("/influxdb", "namespace `` is not"),
            ("tick/influxdb:0", "port `0` is not a number"),
            ("tick/influxdb:http", "port `http`"),
        ] {
            let e = parse_service(bad, &t).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }
}
