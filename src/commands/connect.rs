//! How `up` reaches nodes: the SSH layer's connect, with the cluster's options.
use crate::executor::pool::Connector;
use crate::remote::Runner;
use crate::remote::openssh::OpensshRunner;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A connector for the nodes of the cluster in `cluster_dir`.
pub fn connector(cluster_dir: &Path, timeout: Duration) -> Box<Connector> {
    let dir = cluster_dir.to_path_buf();
    Box::new(move |ep| {
        OpensshRunner::connect(ep, &dir, timeout).map(|r| Arc::new(r) as Arc<dyn Runner>)
    })
}
