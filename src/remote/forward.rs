//! One forwarded connection (`mlk open`'s port-forward): a local client socket joined to a
//! direct-tcpip channel, `host:port` as seen from the node, on an SSH session of its own.
//!
//! libssh2 channels are not safe to read in one thread while another writes, so a single
//! thread pumps both directions with the session and the client socket non-blocking, and
//! polls both sockets when neither side has anything to move.
use super::RemoteError;
use super::ssh::Conn;
use crate::platform::socket::{self, AsRawSock, Want};
use ssh2::BlockDirections;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

const CHUNK: usize = 32 * 1024;
/// libssh2's LIBSSH2_ERROR_EAGAIN.
const EAGAIN: i32 = -37;

fn would_block(e: &std::io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
}

/// Copies bytes both ways between `client` and `host:port` (from the node) until both sides
/// are done or one fails. The client going away is a normal end.
pub(super) fn pump(
    conn: &Conn,
    node: &str,
    host: &str,
    port: u16,
    mut client: TcpStream,
) -> Result<(), RemoteError> {
    let fatal = |m: String| RemoteError::Transient {
        node: node.to_string(),
        message: m,
    };
    let mut ch = conn
        .sess
        .channel_direct_tcpip(host, port, None)
        .map_err(|e| {
            fatal(format!(
                "open a tunnel to {host}:{port} from the node: {} (is anything listening there?)",
                e.message()
            ))
        })?;
    conn.sess.set_blocking(false);
    client
        .set_nonblocking(true)
        .map_err(|e| fatal(format!("local socket: {e}")))?;
    let (mut up, mut down): (Vec<u8>, Vec<u8>) = (Vec::new(), Vec::new());
    let (mut client_eof, mut remote_eof, mut sent_eof) = (false, false, false);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let mut moved = false;
        if up.is_empty() && !client_eof {
            match client.read(&mut buf) {
                Ok(0) => (client_eof, moved) = (true, true),
                Ok(n) => (up, moved) = (buf[..n].to_vec(), true),
                Err(e) if would_block(&e) => {}
                Err(_) => break,
            }
        }
        if !up.is_empty() {
            match ch.write(&up) {
                Ok(n) => {
                    up.drain(..n);
                    moved |= n > 0;
                }
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(fatal(format!("tunnel to {host}:{port}: {e}"))),
            }
        }
        if client_eof && up.is_empty() && !sent_eof {
            match ch.send_eof() {
                Ok(()) => (sent_eof, moved) = (true, true),
                Err(e) if e.code() == ssh2::ErrorCode::Session(EAGAIN) => {}
                Err(_) => sent_eof = true,
            }
        }
        if down.is_empty() && !remote_eof {
            match ch.read(&mut buf) {
                Ok(0) if ch.eof() => (remote_eof, moved) = (true, true),
                Ok(0) => {}
                Ok(n) => (down, moved) = (buf[..n].to_vec(), true),
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(fatal(format!("tunnel to {host}:{port}: {e}"))),
            }
        }
        if !down.is_empty() {
            match client.write(&down) {
                Ok(n) => {
                    down.drain(..n);
                    moved |= n > 0;
                }
                Err(e) if would_block(&e) => {}
                Err(_) => break,
            }
        }
        if remote_eof && down.is_empty() {
            // The service closed: pass that on, as a TCP proxy does.
            let _ = client.shutdown(Shutdown::Write);
            if client_eof || sent_eof {
                break;
            }
            // Wait for the client to finish sending (or close) before dropping the session.
        }
        if client_eof && sent_eof && remote_eof && down.is_empty() {
            break;
        }
        if !moved {
            wait(
                conn,
                &client,
                !client_eof && up.is_empty(),
                !down.is_empty(),
            );
        }
    }
    let _ = ch.close();
    Ok(())
}

/// Sleeps until either socket can move something (at most 250 ms), keeping the session alive.
fn wait(conn: &Conn, client: &TcpStream, client_in: bool, client_out: bool) {
    let _ = conn.sess.keepalive_send();
    let ssh = Want {
        read: true,
        write: matches!(
            conn.sess.block_directions(),
            BlockDirections::Outbound | BlockDirections::Both
        ),
    };
    let c = Want {
        read: client_in,
        write: client_out,
    };
    // Both sockets live for this call.
    socket::wait(
        &[(conn.fd, ssh), (client.raw_sock(), c)],
        Duration::from_millis(250),
    );
}
