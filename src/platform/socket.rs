//! Sockets the SSH code waits on: the raw handle libssh2 and readiness waits use, the wait
//! itself (poll(2) on Unix, WSAPoll on Windows), and the connected pair a ProxyCommand's
//! stdio is bridged to (a Unix socketpair, or a loopback TCP pair where there is none).
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

/// A socket's OS handle: a file descriptor on Unix, a SOCKET on Windows.
#[cfg(unix)]
pub type RawSock = std::os::fd::RawFd;
#[cfg(windows)]
pub type RawSock = std::os::windows::io::RawSocket;

/// The OS handle of a socket-like value.
pub trait AsRawSock {
    fn raw_sock(&self) -> RawSock;
}

#[cfg(unix)]
impl<T: std::os::fd::AsRawFd> AsRawSock for T {
    fn raw_sock(&self) -> RawSock {
        self.as_raw_fd()
    }
}

#[cfg(windows)]
impl<T: std::os::windows::io::AsRawSocket> AsRawSock for T {
    fn raw_sock(&self) -> RawSock {
        self.as_raw_socket()
    }
}

/// What to wait for on one socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Want {
    pub read: bool,
    pub write: bool,
}

/// What a socket is ready for. `input` is also set on hang-up and error: then a read
/// returns at once (EOF or the error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ready {
    pub input: bool,
    pub output: bool,
}

/// Waits at most `timeout` until any of `socks` is ready; one answer per socket (all
/// false on timeout or when the wait itself fails: callers loop and look again).
pub fn wait(socks: &[(RawSock, Want)], timeout: Duration) -> Vec<Ready> {
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    sys::wait(socks, ms)
}

#[cfg(unix)]
mod sys {
    use super::{RawSock, Ready, Want};

    pub fn wait(socks: &[(RawSock, Want)], ms: i32) -> Vec<Ready> {
        let mut fds: Vec<libc::pollfd> = socks
            .iter()
            .map(|&(fd, w)| libc::pollfd {
                fd,
                events: (if w.read { libc::POLLIN } else { 0 })
                    | (if w.write { libc::POLLOUT } else { 0 }),
                revents: 0,
            })
            .collect();
        // SAFETY: `fds` is a valid array of pollfd of the length passed.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        fds.iter()
            .map(|p| Ready {
                input: n > 0 && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0,
                output: n > 0 && p.revents & libc::POLLOUT != 0,
            })
            .collect()
    }
}

#[cfg(windows)]
mod sys {
    use super::{RawSock, Ready, Want};
    use windows_sys::Win32::Networking::WinSock as ws;

    pub fn wait(socks: &[(RawSock, Want)], ms: i32) -> Vec<Ready> {
        let mut fds: Vec<ws::WSAPOLLFD> = socks
            .iter()
            .map(|&(s, w)| ws::WSAPOLLFD {
                fd: s as ws::SOCKET,
                events: (if w.read { ws::POLLRDNORM } else { 0 })
                    | (if w.write { ws::POLLWRNORM } else { 0 }),
                revents: 0,
            })
            .collect();
        // SAFETY: `fds` is a valid array of WSAPOLLFD of the length passed; Winsock is
        // initialised by std before any of these sockets existed.
        let n = unsafe { ws::WSAPoll(fds.as_mut_ptr(), fds.len() as u32, ms) };
        fds.iter()
            .map(|p| Ready {
                input: n > 0 && p.revents & (ws::POLLRDNORM | ws::POLLHUP | ws::POLLERR) != 0,
                output: n > 0 && p.revents & ws::POLLWRNORM != 0,
            })
            .collect()
    }
}

/// One end of a connected byte pipe handed to libssh2.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl Stream {
    pub fn try_clone(&self) -> std::io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            #[cfg(unix)]
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    pub fn shutdown(&self, how: Shutdown) -> std::io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(how),
            #[cfg(unix)]
            Stream::Unix(s) => s.shutdown(how),
        }
    }

    pub fn raw(&self) -> RawSock {
        match self {
            Stream::Tcp(s) => s.raw_sock(),
            #[cfg(unix)]
            Stream::Unix(s) => s.raw_sock(),
        }
    }
}

// What ssh2's `Session::set_tcp_stream` takes on each OS.
#[cfg(unix)]
impl std::os::fd::AsRawFd for Stream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.raw()
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawSocket for Stream {
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        self.raw()
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// Two connected sockets: a Unix socketpair where there is one, else [`loopback_pair`].
pub fn pair() -> std::io::Result<(Stream, Stream)> {
    #[cfg(unix)]
    {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((Stream::Unix(a), Stream::Unix(b)))
    }
    #[cfg(not(unix))]
    loopback_pair()
}

/// Two TCP sockets connected over 127.0.0.1. Another local process could connect to the
/// short-lived listener first; such a connection is recognised by its address (it is not
/// our own socket's) and dropped.
pub fn loopback_pair() -> std::io::Result<(Stream, Stream)> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let ours = TcpStream::connect(listener.local_addr()?)?;
    let want = ours.local_addr()?;
    for _ in 0..16 {
        let (theirs, peer) = listener.accept()?;
        if peer == want {
            let _ = ours.set_nodelay(true);
            let _ = theirs.set_nodelay(true);
            return Ok((Stream::Tcp(ours), Stream::Tcp(theirs)));
        }
    }
    Err(std::io::Error::other(
        "loopback socket pair: other processes keep connecting to the listener",
    ))
}

/// Whether a Unix socket at `path` accepts a connection (libvirtd's); Windows has none to check.
pub fn unix_socket_connects(path: &std::path::Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        std::os::unix::net::UnixStream::connect(path)
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", path.display()))
    }
    #[cfg(not(unix))]
    Err(format!(
        "{}: Unix sockets are not available on this OS",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn check_pair(a: Stream, b: Stream) {
        let (mut a, mut b) = (a, b);
        let ms = Duration::from_millis(50);
        // Nothing written yet: b is writable, not readable.
        let r = wait(
            &[(
                b.raw(),
                Want {
                    read: true,
                    write: true,
                },
            )],
            ms,
        );
        assert_eq!(
            r,
            vec![Ready {
                input: false,
                output: true
            }]
        );
        let r = wait(
            &[(
                b.raw(),
                Want {
                    read: true,
                    write: false,
                },
            )],
            ms,
        );
        assert_eq!(r, vec![Ready::default()], "a timeout reports nothing ready");
        a.write_all(b"ping").unwrap();
        let t0 = Instant::now();
        let r = wait(
            &[
                (a.raw(), Want::default()),
                (
                    b.raw(),
                    Want {
                        read: true,
                        write: false,
                    },
                ),
            ],
            Duration::from_secs(5),
        );
        assert!(r[1].input && !r[0].input, "{r:?}");
        assert!(
            t0.elapsed() < Duration::from_secs(4),
            "the wait ends when data arrives"
        );
        let mut buf = [0u8; 4];
        b.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
        // A clone writes into the same connection; shutting down is seen as input (EOF).
        let mut c = b.try_clone().unwrap();
        c.write_all(b"pong").unwrap();
        a.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"pong");
        b.shutdown(Shutdown::Write).unwrap();
        let r = wait(
            &[(
                a.raw(),
                Want {
                    read: true,
                    write: false,
                },
            )],
            Duration::from_secs(5),
        );
        assert!(r[0].input);
        assert_eq!(a.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn pair_carries_bytes_both_ways_and_wait_sees_them() {
        let (a, b) = pair().unwrap();
        check_pair(a, b);
    }

    #[cfg(unix)]
    #[test]
    fn unix_socket_connects_only_to_a_listener() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("s");
        assert!(unix_socket_connects(&p).unwrap_err().contains("s: "));
        let _l = std::os::unix::net::UnixListener::bind(&p).unwrap();
        unix_socket_connects(&p).unwrap();
    }

    #[test]
    fn loopback_pair_is_what_windows_uses_and_works_here_too() {
        let (a, b) = loopback_pair().unwrap();
        assert!(matches!(a, Stream::Tcp(_)));
        check_pair(a, b);
    }
}
