//! `mlk port-forward SERVICE`: a local port to a Service of the cluster, through mlk's SSH
//! connection to the first controlplane node. The forward `mlk open` falls back to, for any
//! Service, without the ingress or a browser (docs/login.md says when to use which).
use crate::cli::{ClusterArg, Global};
use crate::exit::{Class, classify};
use crate::login::open;
use crate::remote::{PortForward, port_forward};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk port-forward influxdb                       # InfluxDB's HTTP API on a free local port
  mlk port-forward tick/chronograf-chronograf:80 -c mono --port 8888
  mlk port-forward kube-system/metrics-server     # the Service's first port")]
pub struct PortForwardArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
    /// rancher, chronograf, kubeflow, influxdb, or NAMESPACE/SERVICE[:PORT] (default: the
    /// Service's first port).
    pub service: String,
    /// The local port (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

pub fn run(g: &Global, a: &PortForwardArgs) -> Result<()> {
    let c = super::open_cluster(g, &a.cluster)?.machines(None)?;
    c.require_machines()?;
    let want = open::parse_service(&a.service, &open::targets(&c.profile))
        .map_err(|e| classify(Class::Usage, format!("SERVICE {e}")))?;
    let runner = c.first_controlplane()?;
    let (ip, port) = open::service_address(runner.as_ref(), &want)
        .map_err(|e| crate::exit::retag(Class::Remote, e))?;
    let node = runner.node().to_string();
    let fwd = PortForward::start(a.port, port_forward::to(runner, ip.clone(), port), true)
        .map_err(|e| {
            classify(
                Class::Usage,
                format!("cannot listen on 127.0.0.1:{}: {e}", a.port),
            )
        })?;
    // The address alone on stdout (scripts read it); the rest on stderr.
    println!("127.0.0.1:{}", fwd.port());
    eprintln!(
        "mlk: forwarding 127.0.0.1:{} to {}/{} ({ip}:{port}) through {node}. Ctrl-C stops it.",
        fwd.port(),
        want.namespace,
        want.service
    );
    fwd.wait();
    Ok(())
}
