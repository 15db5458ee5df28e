//! The ssh2 implementation of `Runner`: one SSH session per node, re-opened after it died.
//!
//! A session's channels block each other (libssh2 holds one lock per session), so a runner
//! serialises its node's operations, and `tunnel` opens a second session of its own.
use super::classify::classify;
use super::exec::{self, Io, Liveness};
use super::transport::{self, Proxy};
use super::{ExecOutput, RemoteError, Runner, Tunnel, hostkeys};
use crate::inventory::Endpoint;
use crate::platform::socket::RawSock;
use ssh2::{ErrorCode, Session};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// How to connect, and how long to wait for what.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The cluster's known_hosts file: host keys are pinned here on first contact.
    pub known_hosts: PathBuf,
    /// TCP connect, and the SSH handshake (banner + key exchange).
    pub connect_timeout: Duration,
    /// Public-key authentication (all keys together).
    pub auth_timeout: Duration,
    /// Each blocking protocol step (open a channel, one SFTP request, ...).
    pub io_timeout: Duration,
    /// While a command runs, a keepalive request goes out this often (whole seconds, >= 1).
    pub keepalive_interval: Duration,
    /// Unanswered keepalives before the connection counts as dead (transient error).
    pub keepalive_max_missed: u32,
    /// ssh-agent socket to try before key files; `new` takes it from SSH_AUTH_SOCK.
    pub agent_socket: Option<PathBuf>,
}

impl ConnectOptions {
    /// Defaults for real machines: 10 s connect, 30 s auth and I/O, keepalive every 5 s,
    /// dead after 3 unanswered.
    pub fn new(known_hosts: impl Into<PathBuf>) -> Self {
        ConnectOptions {
            known_hosts: known_hosts.into(),
            connect_timeout: Duration::from_secs(10),
            auth_timeout: Duration::from_secs(30),
            io_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(5),
            keepalive_max_missed: 3,
            agent_socket: std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        }
    }

    fn liveness(&self) -> Liveness {
        let ka = self.keepalive_interval.max(Duration::from_secs(1));
        Liveness {
            max_silence: ka * (self.keepalive_max_missed.max(1) + 1),
            io_timeout: self.io_timeout,
        }
    }
}

/// One established session. Field order matters: the session (and its socket) goes first,
/// then the ProxyCommand is killed.
pub(super) struct Conn {
    pub sess: Session,
    pub fd: RawSock,
    proxy: Option<Proxy>,
}

impl Conn {
    fn alive(&mut self) -> bool {
        self.proxy.as_mut().is_none_or(|p| p.exited().is_none())
    }

    /// Drops a dead connection without blocking on it: libssh2 would otherwise try to send
    /// channel-close messages and wait up to `io_timeout` for a peer that is gone.
    fn discard(self) {
        self.sess.set_blocking(false);
    }
}

/// Runs commands on one node over SSH. Cheap to share (`Arc<dyn Runner>`); operations on the
/// same node are serialised, different nodes' runners are independent.
pub struct SshRunner {
    endpoint: Endpoint,
    opts: ConnectOptions,
    conn: Mutex<Option<Conn>>,
}

impl SshRunner {
    /// Connects now (handshake, host-key pin check, auth), so that errors show up here.
    pub fn connect(endpoint: &Endpoint, opts: &ConnectOptions) -> Result<SshRunner, RemoteError> {
        let r = SshRunner::lazy(endpoint, opts);
        let conn = r.establish()?;
        *r.lock() = Some(conn);
        Ok(r)
    }

    /// Connects on first use. Either way, after a transient failure the dead session is
    /// dropped and the next call opens a new one: the caller only has to retry the call.
    pub fn lazy(endpoint: &Endpoint, opts: &ConnectOptions) -> SshRunner {
        SshRunner {
            endpoint: endpoint.clone(),
            opts: opts.clone(),
            conn: Mutex::new(None),
        }
    }

    /// The endpoint this runner talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Closes the current session (if any); the next call reconnects.
    pub fn disconnect(&self) {
        if let Some(c) = self.lock().take() {
            c.discard();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Conn>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn node(&self) -> &str {
        &self.endpoint.name
    }

    /// Transport, handshake, host-key check, authentication.
    pub(super) fn establish(&self) -> Result<Conn, RemoteError> {
        let (ep, o, node) = (&self.endpoint, &self.opts, self.node());
        let t = match ep.expanded_proxy_command() {
            Some(cmd) => transport::proxy(node, &cmd)?,
            None => transport::tcp(node, &ep.host, ep.port, o.connect_timeout)?,
        };
        let mut sess = Session::new().map_err(|e| classify(node, "create a session", &e))?;
        sess.set_timeout(millis(o.connect_timeout));
        sess.set_tcp_stream(t.stream);
        let mut conn = Conn {
            sess,
            fd: t.fd,
            proxy: t.proxy,
        };
        if let Err(e) = conn.sess.handshake() {
            let mut err = classify(node, "SSH handshake", &e);
            if let (
                Some(p),
                RemoteError::Transient { message, .. } | RemoteError::Fatal { message, .. },
            ) = (conn.proxy.as_mut(), &mut err)
            {
                message.push_str(&p.describe_failure());
            }
            conn.discard();
            return Err(err);
        }
        if let Err(e) = hostkeys::verify(&conn.sess, &o.known_hosts, node) {
            conn.discard();
            return Err(e);
        }
        conn.sess.set_timeout(millis(o.auth_timeout));
        if let Err(e) = self.authenticate(&conn.sess) {
            conn.discard();
            return Err(e);
        }
        conn.sess
            .set_keepalive(true, o.keepalive_interval.as_secs().clamp(1, 3600) as u32);
        conn.sess.set_timeout(millis(o.io_timeout));
        Ok(conn)
    }

    /// ssh-agent first (`agent_socket`, default SSH_AUTH_SOCK), then the endpoint's key files (or the
    /// usual ~/.ssh ones). A key the server rejects is transient: a booting VM refuses keys
    /// until cloud-init/vagrant installed them; the caller caps the retries.
    fn authenticate(&self, sess: &Session) -> Result<(), RemoteError> {
        let (node, user) = (self.node(), self.endpoint.user.as_str());
        let mut tried = Vec::new();
        let mut problems = Vec::new();
        if let Some(sock) = &self.opts.agent_socket
            && let Ok(mut agent) = sess.agent()
            && agent.set_identity_path(sock).is_ok()
            && agent.connect().is_ok()
            && agent.list_identities().is_ok()
        {
            for id in agent.identities().unwrap_or_default() {
                if agent.userauth(user, &id).is_ok() {
                    return Ok(());
                }
            }
            tried.push("ssh-agent".to_string());
        }
        for key in self.key_files() {
            if !key.exists() {
                problems.push(format!("{}: no such file", key.display()));
                continue;
            }
            // libssh2 would open a FIFO and wait for a writer forever.
            if let Some(p) = crate::inventory::identity_file_problem(&key) {
                problems.push(format!("{}: {p}", key.display()));
                continue;
            }
            match sess.userauth_pubkey_file(user, None, &key, None) {
                Ok(()) => return Ok(()),
                Err(e) => match e.code() {
                    ErrorCode::Session(-16) => problems.push(format!(
                        "{}: unusable key file: {}",
                        key.display(),
                        e.message()
                    )),
                    ErrorCode::Session(-18 | -19 | -48) => tried.push(key.display().to_string()),
                    _ => return Err(classify(node, "authenticate", &e)),
                },
            }
        }
        if sess.authenticated() {
            return Ok(());
        }
        let detail = if problems.is_empty() {
            String::new()
        } else {
            format!("; {}", problems.join("; "))
        };
        if tried.is_empty() {
            return Err(RemoteError::Fatal {
                node: node.to_string(),
                message: format!(
                    "no usable SSH key for user `{user}` (set IdentityFile or SSH_AUTH_SOCK){detail}"
                ),
            });
        }
        Err(RemoteError::Transient {
            node: node.to_string(),
            message: format!(
                "authentication refused for user `{user}` (tried {}){detail}; the node may still be booting, or the key is not in its authorized_keys",
                tried.join(", ")
            ),
        })
    }

    fn key_files(&self) -> Vec<PathBuf> {
        if !self.endpoint.identity_files.is_empty() {
            return self.endpoint.identity_files.clone();
        }
        let Some(home) = dirs::home_dir() else {
            return vec![];
        };
        ["id_ed25519", "id_ecdsa", "id_rsa"]
            .iter()
            .map(|f| home.join(".ssh").join(f))
            .filter(|p| p.exists())
            .collect()
    }

    /// Runs `f` on a live session (opening one if needed); a transient failure drops it.
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&Conn) -> Result<T, RemoteError>,
    ) -> Result<T, RemoteError> {
        let mut guard = self.lock();
        let conn = match guard.take() {
            Some(mut c) => {
                if c.alive() {
                    c
                } else {
                    c.discard();
                    self.establish()?
                }
            }
            None => self.establish()?,
        };
        let r = f(&conn);
        match &r {
            Err(e) if e.is_transient() => conn.discard(),
            _ => *guard = Some(conn),
        }
        r
    }
}

impl Runner for SshRunner {
    fn node(&self) -> &str {
        &self.endpoint.name
    }

    fn exec(
        &self,
        cmd: &str,
        timeout: Option<Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<ExecOutput, RemoteError> {
        let live = self.opts.liveness();
        self.with_conn(|c| {
            c.sess.set_blocking(false);
            let mut io = Io::new(&c.sess, c.fd, self.node(), live);
            let r = exec::run(&mut io, cmd, timeout, on_line);
            if !matches!(&r, Err(e) if e.is_transient()) {
                c.sess.set_blocking(true);
            }
            r
        })
    }

    fn upload(&self, data: &[u8], path: &str, mode: i32) -> Result<(), RemoteError> {
        self.with_conn(|c| super::files::upload(c, self.node(), data, path, mode))
    }

    fn download(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        self.with_conn(|c| super::files::download(c, self.node(), path))
    }

    fn forward(
        &self,
        host: &str,
        port: u16,
        client: std::net::TcpStream,
    ) -> Result<(), RemoteError> {
        self.forward_one(host, port, client)
    }

    /// A direct-tcpip channel on a session of its own, so that a long-lived tunnel never
    /// blocks this node's commands (and the other way round).
    fn tunnel(&self, host: &str, port: u16) -> Result<Box<dyn Tunnel>, RemoteError> {
        let conn = self.establish()?;
        match conn.sess.channel_direct_tcpip(host, port, None) {
            Ok(channel) => Ok(Box::new(TunnelStream {
                channel,
                _conn: conn,
            })),
            Err(e) => {
                conn.discard();
                // The node refused to connect to host:port (nothing listening yet, e.g. a
                // service still starting): worth a retry, and this session was only ours.
                Err(RemoteError::Transient {
                    node: self.node().to_string(),
                    message: format!(
                        "open a tunnel to {host}:{port} from the node: {} (is anything listening there?)",
                        e.message()
                    ),
                })
            }
        }
    }
}

impl SshRunner {
    /// See [`Runner::forward`]: a session of its own per connection, like `tunnel`.
    fn forward_one(
        &self,
        host: &str,
        port: u16,
        client: std::net::TcpStream,
    ) -> Result<(), RemoteError> {
        let conn = self.establish()?;
        let r = super::forward::pump(&conn, self.node(), host, port, client);
        conn.discard();
        r
    }
}

/// A tunnel and the session that carries it (dropped after the channel).
struct TunnelStream {
    channel: ssh2::Channel,
    _conn: Conn,
}

impl Read for TunnelStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.channel.read(buf)
    }
}

impl Write for TunnelStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.channel.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.channel.flush()
    }
}

fn millis(d: Duration) -> u32 {
    d.as_millis().clamp(1, u32::MAX as u128) as u32
}
