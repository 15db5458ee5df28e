//! The byte pipe under an SSH session: a TCP connection, or a spawned ProxyCommand's stdio.
//!
//! libssh2 needs a socket, so a ProxyCommand's pipes are bridged to one end of a socket pair
//! (`platform::socket::pair`: a Unix socketpair, a loopback TCP pair on Windows) by two
//! threads; the session gets the other end. The command runs through the host's `sh`.
use super::RemoteError;
pub use crate::platform::socket::Stream;
use crate::platform::socket::{AsRawSock, RawSock};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many lines of a ProxyCommand's stderr are kept for error messages.
const STDERR_LINES: usize = 5;

/// A connected transport: `stream` goes to `ssh2::Session::set_tcp_stream`, `fd` is the same
/// socket for `poll`, and `proxy` (if any) must live as long as the session.
pub struct Transport {
    pub stream: Stream,
    pub fd: RawSock,
    pub proxy: Option<Proxy>,
}

/// A running ProxyCommand; killed when dropped.
pub struct Proxy {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    stderr_reader: std::thread::JoinHandle<()>,
}

impl Proxy {
    /// The last lines the command wrote to stderr, e.g. `nc: connect ... refused`. Waits a
    /// moment for a proxy that is exiting, so that its last words are not lost to the race.
    pub fn stderr_tail(&self) -> String {
        let t0 = std::time::Instant::now();
        while !self.stderr_reader.is_finished() && t0.elapsed() < Duration::from_millis(300) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let lines = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        lines.join(" / ")
    }

    /// What the proxy did, for a failed handshake: e.g. ` (ProxyCommand exited with exit
    /// status: 1; it said: ...)`. Empty when it still runs and said nothing.
    pub fn describe_failure(&mut self) -> String {
        // The session may see EOF a moment before the proxy can be reaped: give it 500 ms
        // (a proxy that is still connecting, e.g. to a node whose link is down, keeps running).
        let t0 = std::time::Instant::now();
        let mut exit = self.exited();
        while exit.is_none() && t0.elapsed() < Duration::from_millis(500) {
            std::thread::sleep(Duration::from_millis(10));
            exit = self.exited();
        }
        let tail = self.stderr_tail();
        let mut parts = Vec::new();
        if let Some(exit) = exit {
            parts.push(exit);
        }
        if !tail.is_empty() {
            parts.push(format!("it said: {tail}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join("; "))
        }
    }

    /// Whether the command has exited already (then the transport is dead).
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(st)) => Some(format!("ProxyCommand exited with {st}")),
            _ => None,
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Our own child, by handle: the command was started with `exec`, so this is it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects to `host:port` over TCP within `timeout` (per resolved address).
pub fn tcp(node: &str, host: &str, port: u16, timeout: Duration) -> Result<Transport, RemoteError> {
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| RemoteError::Fatal {
            node: node.to_string(),
            message: format!("cannot resolve host `{host}`: {e}"),
        })?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                let fd = s.raw_sock();
                return Ok(Transport {
                    stream: Stream::Tcp(s),
                    fd,
                    proxy: None,
                });
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    let message = match last {
        Some((addr, e)) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {
            format!(
                "TCP connect to {addr} timed out after {}",
                humantime::format_duration(timeout)
            )
        }
        Some((addr, e)) => format!("TCP connect to {addr} failed: {e}"),
        None => format!("host `{host}` resolved to no address"),
    };
    // Refused, reset, unreachable, timed out: all of these happen while a VM boots.
    Err(RemoteError::Transient {
        node: node.to_string(),
        message,
    })
}

/// Spawns `command` (already %-expanded) through `sh -c` and bridges its stdio to a socket.
/// Without a shell (Windows without Git for Windows) the node is refused with what to install.
pub fn proxy(node: &str, command: &str) -> Result<Transport, RemoteError> {
    let fatal = |message: String| RemoteError::Fatal {
        node: node.to_string(),
        message,
    };
    use crate::platform::shell::{self, Shell};
    let sh = shell::find(Shell::Sh, "the node's ProxyCommand").map_err(fatal)?;
    let (ours, theirs) = crate::platform::socket::pair()
        .map_err(|e| fatal(format!("cannot create a socket pair: {e}")))?;
    // `exec` so that the child we hold (and kill) is the proxy itself, not a shell around it.
    let mut child = Command::new(sh)
        .arg("-c")
        .arg(format!("exec {command}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fatal(format!("cannot start ProxyCommand `{command}`: {e}")))?;
    let (Some(mut stdin), Some(mut stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(fatal("ProxyCommand has no stdio pipes".to_string()));
    };
    let clone = |s: &Stream| {
        s.try_clone()
            .map_err(|e| fatal(format!("socket pair: {e}")))
    };
    let (mut to_session, mut from_session) = (clone(&theirs)?, theirs);
    // proxy stdout -> session; at EOF the session sees the connection close.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stdout, &mut to_session);
        let _ = to_session.shutdown(Shutdown::Write);
    });
    // session -> proxy stdin; when the session goes, stdin closes and the proxy ends.
    std::thread::spawn(move || {
        let mut buf = [0u8; 32 * 1024];
        loop {
            match from_session.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if stdin
                        .write_all(&buf[..n])
                        .and_then(|_| stdin.flush())
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = from_session.shutdown(Shutdown::Read);
    });
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let stderr_reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let mut l = sink.lock().unwrap_or_else(|p| p.into_inner());
            l.push(line);
            if l.len() > STDERR_LINES {
                l.remove(0);
            }
        }
    });
    let fd = ours.raw();
    Ok(Transport {
        stream: ours,
        fd,
        proxy: Some(Proxy {
            child,
            stderr: lines,
            stderr_reader,
        }),
    })
}
