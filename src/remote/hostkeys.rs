//! Host-key pinning: trust on first contact, then refuse any other key for that node.
//!
//! Pins live in an OpenSSH-format known_hosts file per cluster (the caller gives its path),
//! keyed by the node name (like ssh's HostKeyAlias), because lab nodes often share an
//! address (127.0.0.1 with forwarded ports) or get a new one from DHCP.
use super::RemoteError;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};
use ssh2::{CheckResult, KnownHostFileKind, KnownHostKeyFormat, Session};
use std::path::Path;
use std::sync::Mutex;

/// Serialises read-check-append on known_hosts files: runners of one cluster connect from
/// several threads at once, and two first contacts must not drop each other's pin.
static FILE_LOCK: Mutex<()> = Mutex::new(());

/// OpenSSH-style fingerprint (`SHA256:` + unpadded base64) of a raw public-key blob.
pub fn fingerprint(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// Checks the session's host key against the pin for `node` in `file`; pins it if absent.
pub fn verify(sess: &Session, file: &Path, node: &str) -> Result<(), RemoteError> {
    let fatal = |message: String| RemoteError::Fatal {
        node: node.to_string(),
        message,
    };
    let (key, ktype) = sess
        .host_key()
        .ok_or_else(|| fatal("the server sent no host key".to_string()))?;
    let got = fingerprint(key);
    let _guard = FILE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut kh = sess
        .known_hosts()
        .map_err(|e| fatal(format!("known_hosts: {e}")))?;
    let existing = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(fatal(format!("cannot read {}: {e}", file.display()))),
    };
    if !existing.trim().is_empty() {
        kh.read_str(&existing, KnownHostFileKind::OpenSSH)
            .map_err(|e| {
                fatal(format!(
                    "{} is not a valid known_hosts file ({e}); fix or delete it",
                    file.display()
                ))
            })?;
    }
    match kh.check(node, key) {
        CheckResult::Match => Ok(()),
        CheckResult::Mismatch => {
            let expected: Vec<String> = kh
                .iter()
                .unwrap_or_default()
                .iter()
                .filter(|h| h.name() == Some(node))
                .filter_map(|h| STANDARD.decode(h.key()).ok())
                .map(|blob| fingerprint(&blob))
                .collect();
            Err(RemoteError::HostKeyMismatch {
                node: node.to_string(),
                message: format!(
                    "{file} pins {expected} for `{node}`, but the node now presents {got}. \
                     Refusing to connect: either the node was rebuilt, or something is \
                     intercepting the connection. If the node was rebuilt on purpose, remove \
                     the old pin with `ssh-keygen -R {node} -f {file}` and run again.",
                    file = file.display(),
                    expected = expected.join(", "),
                ),
            })
        }
        CheckResult::NotFound => {
            let format = KnownHostKeyFormat::from(ktype);
            kh.add(node, key, "pinned by mlk on first contact", format)
                .map_err(|e| fatal(format!("cannot pin host key: {e}")))?;
            let host = kh
                .iter()
                .ok()
                .and_then(|hs| hs.into_iter().rev().find(|h| h.name() == Some(node)))
                .ok_or_else(|| fatal("pinned key not found after adding it".to_string()))?;
            let line = kh
                .write_string(&host, KnownHostFileKind::OpenSSH)
                .map_err(|e| fatal(format!("cannot format host key: {e}")))?;
            let mut text = existing;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(line.trim_end());
            text.push('\n');
            crate::fsutil::write_atomic(file, text.as_bytes(), Some(0o600))
                .map_err(|e| fatal(format!("cannot write {}: {e:#}", file.display())))
        }
        CheckResult::Failure => Err(fatal(format!(
            "cannot check the host key against {}",
            file.display()
        ))),
    }
}
