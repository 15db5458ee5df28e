//! File transfer over SFTP: atomic uploads (temp file, then rename) and downloads.
//!
//! OpenSSH's sftp-server implements RENAME with link()+unlink(), which fails when the target
//! exists, and ssh2 does not expose the posix-rename@openssh.com extension. So the data goes
//! over SFTP to a temp file next to the target, and `mv -f` (one rename(2)) replaces it.
use super::RemoteError;
use super::classify::classify;
use super::ssh::Conn;
use crate::quote::shell;
use ssh2::{FileStat, OpenFlags, OpenType};
use std::io::{Read, Write};
use std::path::Path;

/// Writes `data` to `path` with `mode`; a reader on the node sees the old or the new file.
pub(super) fn upload(
    c: &Conn,
    node: &str,
    data: &[u8],
    path: &str,
    mode: i32,
) -> Result<(), RemoteError> {
    let tmp = format!("{path}.mlk-tmp-{:016x}", rand::random::<u64>());
    let sftp = c
        .sess
        .sftp()
        .map_err(|e| classify(node, "start SFTP", &e))?;
    let mut file = None;
    let written = write_file(&sftp, &mut file, node, data, &tmp, mode);
    if let Err(e) = &written {
        if e.is_transient() {
            // do not block on closing handles of a dead connection
            c.sess.set_blocking(false);
        } else {
            drop(file.take());
            let _ = sftp.unlink(Path::new(&tmp));
        }
        return written;
    }
    drop(file);
    // Also sweeps temp files of earlier uploads to this path that a dead connection left.
    let mv = format!(
        "mv -f -- {} {} && rm -f -- {}.mlk-tmp-*",
        shell(&tmp),
        shell(path),
        shell(path)
    );
    match run_quiet(c, node, &mv) {
        Ok((0, _)) => Ok(()),
        Ok((status, out)) => {
            let _ = sftp.unlink(Path::new(&tmp));
            Err(RemoteError::Fatal {
                node: node.to_string(),
                message: format!(
                    "cannot move the upload into {path} (`{mv}` exited {status}: {})",
                    out.trim()
                ),
            })
        }
        Err(e) => Err(e),
    }
}

fn write_file(
    sftp: &ssh2::Sftp,
    slot: &mut Option<ssh2::File>,
    node: &str,
    data: &[u8],
    tmp: &str,
    mode: i32,
) -> Result<(), RemoteError> {
    let what = format!("write {tmp}");
    let flags = OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    let f = slot.insert(
        sftp.open_mode(Path::new(tmp), flags, mode, OpenType::File)
            .map_err(|e| classify(node, &what, &e))?,
    );
    f.write_all(data).map_err(|e| io_error(node, &what, e))?;
    // The server's umask applied at create time; set the exact mode now.
    let stat = FileStat {
        size: None,
        uid: None,
        gid: None,
        perm: Some(mode as u32),
        atime: None,
        mtime: None,
    };
    f.setstat(stat)
        .map_err(|e| classify(node, &format!("chmod {tmp}"), &e))?;
    // fsync@openssh.com: best effort (not every server has it).
    let _ = f.fsync();
    f.close().map_err(|e| classify(node, &what, &e))
}

/// Reads the whole file at `path`.
pub(super) fn download(c: &Conn, node: &str, path: &str) -> Result<Vec<u8>, RemoteError> {
    let what = format!("read {path}");
    let sftp = c
        .sess
        .sftp()
        .map_err(|e| classify(node, "start SFTP", &e))?;
    let mut f = sftp
        .open(Path::new(path))
        .map_err(|e| classify(node, &what, &e))?;
    let mut out = Vec::new();
    if let Err(e) = f.read_to_end(&mut out) {
        let err = io_error(node, &what, e);
        if err.is_transient() {
            c.sess.set_blocking(false);
        }
        return Err(err);
    }
    Ok(out)
}

/// Runs a short helper command in blocking mode; returns its status and output.
fn run_quiet(c: &Conn, node: &str, cmd: &str) -> Result<(i32, String), RemoteError> {
    let mut ch = c
        .sess
        .channel_session()
        .map_err(|e| classify(node, "open a channel", &e))?;
    ch.handle_extended_data(ssh2::ExtendedData::Merge)
        .map_err(|e| classify(node, "open a channel", &e))?;
    ch.exec(cmd).map_err(|e| classify(node, cmd, &e))?;
    let mut out = String::new();
    ch.read_to_string(&mut out)
        .map_err(|e| io_error(node, cmd, e))?;
    ch.wait_close().map_err(|e| classify(node, cmd, &e))?;
    let status = ch.exit_status().map_err(|e| classify(node, cmd, &e))?;
    Ok((status, out))
}

/// ssh2 hands channel and file errors over as io::Error: a timeout or a broken connection is
/// transient, anything else (e.g. "permission denied" from the server) fatal.
fn io_error(node: &str, what: &str, e: std::io::Error) -> RemoteError {
    use std::io::ErrorKind::*;
    let node = node.to_string();
    match e.kind() {
        TimedOut | WouldBlock | ConnectionReset | ConnectionAborted | BrokenPipe
        | UnexpectedEof => RemoteError::Transient {
            node,
            message: format!("{what}: {e}"),
        },
        // libssh2's socket errors arrive as `Other` with the libssh2 message
        _ if e.to_string().to_ascii_lowercase().contains("socket")
            || e.to_string().to_ascii_lowercase().contains("disconnect") =>
        {
            RemoteError::Transient {
                node,
                message: format!("{what}: connection lost: {e}"),
            }
        }
        _ => RemoteError::Fatal {
            node,
            message: format!("{what}: {e}"),
        },
    }
}
