//! `mlk open NAME`: a dashboard (rancher, chronograf, kubeflow) or InfluxDB in the browser;
//! through a port-forward over SSH when its name does not resolve here (or with --forward).
use crate::cli::{ClusterArg, Global};
use crate::exit::{Class, classify};
use crate::login::{self, open};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk open rancher                  # the browser, at the dashboard's name
  mlk open kubeflow --forward       # through a local port over SSH, even if the name resolves
  mlk open influxdb -c mono         # a local port for your own Grafana or client")]
pub struct OpenArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// rancher, chronograf, kubeflow or influxdb.
    pub name: String,
    /// Always forward a local port through SSH, even when the name resolves.
    #[arg(long)]
    pub forward: bool,
    /// The local port of the forward (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Print the URL instead of starting a browser.
    #[arg(long)]
    pub no_browser: bool,
}

fn show(url: &str, no_browser: bool) {
    // The URL alone on stdout (scripts read it); the rest on stderr.
    println!("{url}");
    if !no_browser && !open::browser(url) {
        eprintln!("mlk: no browser to start here; open {url}");
    }
}

pub fn run(g: &Global, a: &OpenArgs) -> Result<()> {
    let c = super::open_cluster(g, &a.cluster)?.machines(None)?;
    c.require_machines()?;
    let targets = open::targets(&c.profile);
    let Some(t) = targets.iter().find(|t| t.id == a.name) else {
        let names: Vec<&str> = targets.iter().map(|t| t.id).collect();
        return Err(classify(
            Class::Usage,
            format!(
                "no dashboard `{}` in cluster {}; choose one of: {}",
                a.name,
                c.profile.name,
                names.join(", ")
            ),
        ));
    };
    // Through the ingress when the name resolves to the ingress node here (dashboards; an
    // API such as InfluxDB has no ingress name).
    let page = crate::addon::dashboard(t.id)
        .and_then(|d| Some((d.scheme, c.profile.ingress.host(d.addon)?)))
        .filter(|_| !a.forward);
    if let Some((scheme, host)) = page {
        let r = login::dns::resolve(host, login::ingress_address(&c.profile));
        if r.ok() {
            show(&format!("{scheme}://{host}/"), a.no_browser);
            return Ok(());
        }
        eprintln!(
            "mlk: {host} does not resolve to {} here ({}); forwarding a local port through SSH instead (`mlk status` says how to fix the name)",
            r.expected,
            r.error
                .clone()
                .unwrap_or_else(|| format!("answer: {}", r.addresses.join(", ")))
        );
    }
    let runner = c.first_controlplane()?;
    let ip =
        open::cluster_ip(runner.as_ref(), t).map_err(|e| crate::exit::retag(Class::Remote, e))?;
    let listener = open::listen(a.port).map_err(|e| {
        crate::exit::tag(
            Class::Usage,
            format!("cannot listen on 127.0.0.1:{}", a.port),
            e,
        )
    })?;
    let local = listener.local_addr()?.port();
    let url = format!("{}://localhost:{local}/", t.scheme);
    eprintln!(
        "mlk: forwarding {url} to {}/{} ({ip}:{}) through {}: {}. Ctrl-C stops it.",
        t.namespace,
        t.service,
        t.port,
        runner.node(),
        t.note
    );
    if **t == crate::addon::INFLUXDB {
        eprintln!(
            "mlk: InfluxDB: user admin, password in {}, database {}",
            crate::stages::secrets::path(c.c.dir(), crate::stages::secrets::INFLUXDB).display(),
            crate::report::DATABASE
        );
        println!("{url}");
    } else {
        show(&url, a.no_browser);
    }
    open::serve(listener, runner, ip, t.port)
}
