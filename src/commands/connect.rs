//! How `up` reaches nodes: the SSH layer's connect, with the cluster's options.
use crate::executor::pool::Connector;
use crate::remote::Runner;
use crate::remote::ssh::{ConnectOptions, SshRunner};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The cluster's SSH options: host keys pinned in `<cluster>/known_hosts`.
pub fn options(cluster_dir: &Path, timeout: Duration) -> ConnectOptions {
    ConnectOptions {
        connect_timeout: timeout,
        ..ConnectOptions::new(cluster_dir.join("known_hosts"))
    }
}

/// A connector for the nodes of the cluster in `cluster_dir`.
pub fn connector(cluster_dir: &Path, timeout: Duration) -> Box<Connector> {
    let opts = options(cluster_dir, timeout);
    Box::new(move |ep| {
        let r: Arc<dyn Runner> = Arc::new(SshRunner::connect(ep, &opts)?);
        Ok(r)
    })
}
