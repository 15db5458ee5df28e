//! How `up` reaches nodes: the SSH layer's connect, with the cluster's options.
use crate::executor::pool::Connector;
use crate::remote::{ConnectOptions, Runner, SshRunner};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A connector for the nodes of the cluster in `cluster_dir`: host keys pinned in its
/// `known_hosts`, `timeout` for the TCP connect and SSH handshake.
pub fn connector(cluster_dir: &Path, timeout: Duration) -> Box<Connector> {
    let mut opts = ConnectOptions::new(crate::layout::of(cluster_dir).known_hosts());
    opts.connect_timeout = timeout;
    Box::new(move |ep| SshRunner::connect(ep, &opts).map(|r| Arc::new(r) as Arc<dyn Runner>))
}
