//! The remote-runner seam: run commands on one node and move files to and from it.
//!
//! Blocking by design (ssh2 is blocking); the executor calls runners from worker threads.
//! Nodes are reached with `ssh` (ssh2, one session per node, opened by a [`Connector`]); the
//! host is a [`LocalRunner`] (bash on this machine), which tests also use, rooted in a
//! folder, as an in-process stand-in for nodes. Over SSH:
//!
//! ```no_run
//! # use mlk::remote::{ConnectOptions, Runner, SshRunner};
//! # fn f(ep: &mlk::inventory::Endpoint) -> Result<(), mlk::remote::RemoteError> {
//! let opts = ConnectOptions::new(".mlk/lab/known_hosts"); // pins host keys here
//! let node = SshRunner::connect(ep, &opts)?; // or SshRunner::lazy: connect on first use
//! let out = node.exec("sudo apt-get install -y curl", None, &mut |line| println!("{line}"))?;
//! assert_eq!(out.status, 0); // non-zero exit is Ok: the caller decides
//! # Ok(()) }
//! ```
//!
//! Errors: `Transient` (connection refused/reset/lost, timeouts, key refused while a VM boots)
//! means retry the same call with backoff; the runner has dropped its dead session and the
//! next call reconnects. `HostKeyMismatch` and `Fatal` must not be retried. `Timeout` means the
//! command outlived its timeout and was killed (its output tail is in the error).
mod classify;
mod exec;
mod files;
mod forward;
pub mod hostkeys;
pub mod local;
pub mod port_forward;
pub mod ssh;
mod transport;

pub use local::LocalRunner;
pub use port_forward::{Forwarder, PortForward};
pub use ssh::{ConnectOptions, SshRunner};

use std::io::{Read, Write};
use std::time::Duration;

/// Lines of a command's output kept for error messages: a runner's `ExecOutput::tail`, and
/// what every failure shows (the one output-tail length).
pub const TAIL_LINES: usize = 30;

/// Result of one remote command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Exit status of the remote command.
    pub status: i32,
    /// The last lines of its output (stdout and stderr), for error messages.
    pub tail: Vec<String>,
}

/// Failures talking to a node. Callers branch on `is_transient` to decide on retries.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// Connection refused/reset, timeout, auth refused while a VM boots: worth retrying.
    #[error("{node}: {message}")]
    Transient { node: String, message: String },
    /// The node's host key differs from the one pinned on first contact.
    #[error("{node}: host key mismatch: {message}")]
    HostKeyMismatch { node: String, message: String },
    /// Anything else (bad key file, permission denied writing a file...).
    #[error("{node}: {message}")]
    Fatal { node: String, message: String },
    /// The command ran longer than its timeout and was killed; `tail` is its last output.
    /// Not transient: whether re-running is safe is the stage's call.
    #[error("{node}: {message}")]
    Timeout {
        node: String,
        message: String,
        tail: Vec<String>,
    },
}

impl RemoteError {
    pub fn is_transient(&self) -> bool {
        matches!(self, RemoteError::Transient { .. })
    }
}

/// Opens a runner for an endpoint: [`connector`] (SSH with a cluster's pinned host keys), or
/// a test's stand-in.
pub type Connector = dyn Fn(&crate::inventory::Endpoint) -> Result<std::sync::Arc<dyn Runner>, RemoteError>
    + Send
    + Sync;

/// SSH to the nodes of a cluster: host keys pinned in `known_hosts`, `timeout` for the TCP
/// connect and the SSH handshake.
pub fn connector(known_hosts: std::path::PathBuf, timeout: Duration) -> Box<Connector> {
    let mut opts = ConnectOptions::new(known_hosts);
    opts.connect_timeout = timeout;
    Box::new(move |ep| {
        SshRunner::connect(ep, &opts).map(|r| std::sync::Arc::new(r) as std::sync::Arc<dyn Runner>)
    })
}

/// A byte stream to a host:port as seen from a node (an SSH direct-tcpip channel).
pub trait Tunnel: Read + Write + Send {}
impl<T: Read + Write + Send> Tunnel for T {}

/// Runs commands and moves files on one node.
pub trait Runner: Send + Sync {
    /// The node's name.
    fn node(&self) -> &str;
    /// Runs `cmd` through the login shell, streaming every output line to `on_line`.
    fn exec(
        &self,
        cmd: &str,
        timeout: Option<Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<ExecOutput, RemoteError>;
    /// Writes `data` to `path` on the node with `mode`, atomically (temp file + rename).
    fn upload(&self, data: &[u8], path: &str, mode: i32) -> Result<(), RemoteError>;
    /// Reads the file at `path` on the node.
    fn download(&self, path: &str) -> Result<Vec<u8>, RemoteError>;
    /// Opens a stream to `host:port` from the node's side.
    fn tunnel(&self, host: &str, port: u16) -> Result<Box<dyn Tunnel>, RemoteError>;
    /// Carries one local connection to `host:port` as seen from the node, both ways, until it
    /// ends (a port-forward; `mlk open`). Runners that cannot forward say so.
    fn forward(
        &self,
        host: &str,
        port: u16,
        client: std::net::TcpStream,
    ) -> Result<(), RemoteError> {
        let _ = (host, port, client);
        Err(RemoteError::Fatal {
            node: self.node().to_string(),
            message: "this connection cannot forward ports".into(),
        })
    }
}
