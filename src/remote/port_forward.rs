//! A local port forward, as `ssh -L`: a listener on 127.0.0.1 whose every connection is
//! carried, on a thread of its own, by a [`Forwarder`] (usually [`Runner::forward`]: a
//! direct-tcpip channel to `host:port` as seen from a node, on an SSH session of its own).
//!
//! `mlk open`, `mlk port-forward` and the report's InfluxDB client (an ordinary HTTP client
//! pointed at the local port) all use it.
use super::{RemoteError, Runner};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Carries one local connection both ways until it ends.
pub type Forwarder = Arc<dyn Fn(TcpStream) -> Result<(), RemoteError> + Send + Sync>;

/// A forwarder to `host:port` as seen from `runner`'s node.
pub fn to(runner: Arc<dyn Runner>, host: String, port: u16) -> Forwarder {
    Arc::new(move |client| runner.forward(&host, port, client))
}

/// A running forward; dropping it closes the listener (connections under way finish).
pub struct PortForward {
    addr: SocketAddr,
    failure: Arc<Mutex<Option<String>>>,
    done: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl PortForward {
    /// Binds 127.0.0.1:`port` (0: any free port) and forwards in the background.
    pub fn start(port: u16, fwd: Forwarder, loud: bool) -> std::io::Result<PortForward> {
        PortForward::on(TcpListener::bind((Ipv4Addr::LOCALHOST, port))?, fwd, loud)
    }

    /// Forwards the connections of `listener` in the background. With `loud`, each failed
    /// connection is said on stderr (`mlk open`); else only kept for [`Self::last_failure`].
    pub fn on(listener: TcpListener, fwd: Forwarder, loud: bool) -> std::io::Result<PortForward> {
        let addr = listener.local_addr()?;
        let failure = Arc::new(Mutex::new(None));
        let done = Arc::new(AtomicBool::new(false));
        let (f, d) = (Arc::clone(&failure), Arc::clone(&done));
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if d.load(Ordering::Acquire) {
                    break;
                }
                let client = match conn {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("mlk: accepting a connection on {addr}: {e}");
                        continue;
                    }
                };
                // The service's answers reach the client in the pieces the channel delivers:
                // with Nagle, each small piece after the first would wait for the client's
                // delayed ACK (40 ms on Linux).
                let _ = client.set_nodelay(true);
                let (fwd, f) = (Arc::clone(&fwd), Arc::clone(&f));
                std::thread::spawn(move || {
                    // A second handle keeps the socket open until the failure is recorded, so
                    // that a client which sees it close can already read why.
                    let keep = client.try_clone();
                    if let Err(e) = fwd(client) {
                        if loud {
                            eprintln!("mlk: forward from {addr}: {e}");
                        }
                        *f.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    }
                    drop(keep);
                });
            }
        });
        Ok(PortForward {
            addr,
            failure,
            done,
            accept: Some(accept),
        })
    }

    /// The local port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Why the last failed connection failed (e.g. nothing listens at host:port on the node):
    /// a client only sees its connection close.
    pub fn last_failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Forwards until the process ends (`mlk open`, `mlk port-forward`).
    pub fn wait(mut self) {
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

impl Drop for PortForward {
    fn drop(&mut self) {
        if let Some(t) = self.accept.take() {
            self.done.store(true, Ordering::Release);
            // Wakes the blocked accept, which then sees `done`.
            let _ = TcpStream::connect(self.addr);
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// Without SSH: a forwarder that echoes, and one that fails; the failure is readable once
    /// the client sees its connection close, and dropping the forward frees the port.
    #[test]
    fn carries_connections_and_keeps_the_last_failure() {
        let echo: Forwarder = Arc::new(|mut c: TcpStream| {
            let mut buf = [0u8; 5];
            c.read_exact(&mut buf).unwrap();
            c.write_all(&buf).unwrap();
            Ok(())
        });
        let f = PortForward::start(0, echo, false).unwrap();
        let mut c = TcpStream::connect(("127.0.0.1", f.port())).unwrap();
        c.write_all(b"hello").unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert_eq!((got.as_str(), f.last_failure()), ("hello", None));
        let port = f.port();
        drop(f);
        assert!(TcpListener::bind(("127.0.0.1", port)).is_ok());

        let fail: Forwarder = Arc::new(|_| {
            Err(RemoteError::Transient {
                node: "node1".into(),
                message: "open a tunnel to 127.0.0.1:1 from the node: refused".into(),
            })
        });
        let f = PortForward::start(0, fail, false).unwrap();
        let mut c = TcpStream::connect(("127.0.0.1", f.port())).unwrap();
        let mut rest = Vec::new();
        assert_eq!(c.read_to_end(&mut rest).unwrap(), 0);
        assert_eq!(
            f.last_failure().as_deref(),
            Some("node1: open a tunnel to 127.0.0.1:1 from the node: refused")
        );
    }
}
