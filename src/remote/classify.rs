//! Sorting libssh2 errors into what the caller does next: retry (transient) or stop (fatal).
use super::RemoteError;
use ssh2::ErrorCode;

/// Sorts a libssh2 error into transient (the connection broke or timed out: retry) and
/// fatal (protocol, file, permission: retrying will not help).
pub fn classify(node: &str, what: &str, e: &ssh2::Error) -> RemoteError {
    let node = node.to_string();
    match e.code() {
        // banner recv/send, socket send, key exchange cut off, timeout, disconnect,
        // socket timeout, socket recv, bad socket, channel closed, auth refused
        ErrorCode::Session(-2 | -3 | -7 | -8 | -9 | -13 | -30 | -43 | -45 | -26 | -18 | -19) => {
            let message = match e.code() {
                ErrorCode::Session(-9 | -30) => format!("{what}: timed out ({})", e.message()),
                _ => format!("{what}: {}", e.message()),
            };
            RemoteError::Transient { node, message }
        }
        ErrorCode::SFTP(code) => RemoteError::Fatal {
            node,
            message: format!("{what}: {}", sftp_reason(code)),
        },
        ErrorCode::Session(code) => RemoteError::Fatal {
            node,
            message: format!("{what}: {} (libssh2 error {code})", e.message()),
        },
    }
}

fn sftp_reason(code: i32) -> String {
    match code {
        2 => "no such file".to_string(),
        3 => "permission denied".to_string(),
        4 => "failure (e.g. a directory in the way, or disk full)".to_string(),
        10 => "no such path".to_string(),
        11 => "file already exists".to_string(),
        12 => "write protected".to_string(),
        14 => "no space on the file system".to_string(),
        c => format!("SFTP error {c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: ErrorCode) -> RemoteError {
        classify("n1", "do it", &ssh2::Error::new(code, "libssh2 says"))
    }

    #[test]
    fn connection_faults_are_transient_the_rest_fatal() {
        // disconnect, socket recv, timeout, banner, auth refused
        for code in [-13, -43, -9, -2, -18] {
            assert!(c(ErrorCode::Session(code)).is_transient(), "{code}");
        }
        assert!(c(ErrorCode::Session(-9)).to_string().contains("timed out"));
        // key file, protocol, method unsupported
        for code in [-16, -14, -33] {
            let e = c(ErrorCode::Session(code));
            assert!(matches!(e, RemoteError::Fatal { .. }), "{code}: {e:?}");
        }
        let e = c(ErrorCode::SFTP(3));
        assert!(matches!(e, RemoteError::Fatal { .. }));
        assert_eq!(e.to_string(), "n1: do it: permission denied");
    }
}
