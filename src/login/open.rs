//! `mlk open NAME`: a dashboard in the browser, through its ingress name when that resolves
//! on this host, else through a port-forward over mlk's SSH connection to the first
//! controlplane node: a listener on 127.0.0.1 whose connections go, each over a direct-tcpip
//! channel, to the dashboard's Service (its ClusterIP, which kube-proxy makes reachable from
//! every node, as `mlk report` reaches InfluxDB). A forward bypasses the ingress, whose
//! routing needs the real host name, so it goes to the Service behind it.
use crate::addon::Forward;
use crate::profile::Profile;
use crate::remote::Runner;
use anyhow::{Result, bail};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// The forward targets of the dashboards (and InfluxDB) the profile enables (sources in
/// `crate::addon`).
pub fn targets(p: &Profile) -> Vec<&'static Forward> {
    p.components.addons().flat_map(|a| a.forwards()).collect()
}

/// The Service's ClusterIP, read with the node's kubectl.
pub fn cluster_ip(runner: &dyn Runner, t: &Forward) -> Result<String> {
    let cmd = format!(
        "{} kubectl -n {} get service {} -o jsonpath='{{.spec.clusterIP}}' 2>&1",
        crate::layout::node::kube_env(),
        t.namespace,
        t.service
    );
    let mut out = String::new();
    let r = runner.exec(&cmd, Some(Duration::from_secs(60)), &mut |l| {
        out.push_str(l);
        out.push('\n');
    })?;
    let ip = out.trim();
    if r.status != 0 || ip.parse::<Ipv4Addr>().is_err() {
        bail!(
            "{}: no ClusterIP for service {}/{} (`kubectl get service` exited {}: {}); is the dashboard's stage done?",
            runner.node(),
            t.namespace,
            t.service,
            r.status,
            ip
        );
    }
    Ok(ip.to_string())
}

/// Binds the local end of a forward (port 0: any free port).
pub fn listen(port: u16) -> Result<TcpListener> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, port))?)
}

/// Serves the forward until the process ends: every connection to `listener` goes to
/// `ip:port` from the node, on a thread and an SSH session of its own.
pub fn serve(listener: TcpListener, runner: Arc<dyn Runner>, ip: String, port: u16) -> Result<()> {
    for conn in listener.incoming() {
        let client = match conn {
            Ok(c) => c,
            Err(e) => {
                eprintln!("mlk: accepting a connection: {e}");
                continue;
            }
        };
        let (r, ip) = (Arc::clone(&runner), ip.clone());
        std::thread::spawn(move || {
            if let Err(e) = r.forward(&ip, port, client) {
                eprintln!("mlk: forward to {ip}:{port}: {e}");
            }
        });
    }
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
