//! A minimal HTTP/1.1 client over any byte stream (an SSH direct-tcpip channel, a TcpStream).
//!
//! Requests are sent one at a time (no pipelining), so a stream can carry several in a row
//! (keep-alive). The response body is read by Content-Length, chunked transfer coding, or
//! until EOF.
use std::io::{BufRead, BufReader, Read, Write};

/// One HTTP response: status code and body (headers are consumed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The server will close the stream (`Connection: close` or a body read to EOF).
    pub closes: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed HTTP response: {0}")]
    Malformed(String),
}

/// Sends one request (`method` `target`, e.g. `/query?q=...`) and reads the whole response.
/// `headers` are extra `Name: value` pairs; `Host`, `Connection` and `Content-Length` are set here.
/// With `keep_alive` false the request asks the server to close the stream afterwards.
pub fn request<S: Read + Write>(
    stream: &mut S,
    keep_alive: bool,
    method: &str,
    host: &str,
    target: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<Response, HttpError> {
    let conn = if keep_alive { "keep-alive" } else { "close" };
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: {conn}\r\nUser-Agent: mlk\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    // The server sends nothing unasked, so the buffer cannot swallow a later response.
    read_response(BufReader::new(stream))
}

fn read_line<R: BufRead>(r: &mut R) -> Result<String, HttpError> {
    let mut buf = Vec::new();
    r.read_until(b'\n', &mut buf)?;
    if buf.is_empty() {
        return Err(HttpError::Malformed(
            "connection closed before the response ended".into(),
        ));
    }
    let s = String::from_utf8_lossy(&buf);
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}

/// Parses a response from `r` (status line, headers, body).
pub fn read_response<R: BufRead>(mut r: R) -> Result<Response, HttpError> {
    let status_line = read_line(&mut r)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Malformed(format!("status line `{status_line}`")));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| HttpError::Malformed(format!("status line `{status_line}`")))?;
    let mut length: Option<usize> = None;
    // HTTP/1.0 closes unless told otherwise; mlk never asks it not to.
    let mut closes = version == "HTTP/1.0";
    let mut chunked = false;
    loop {
        let line = read_line(&mut r)?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HttpError::Malformed(format!("header line `{line}`")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse()
                    .map_err(|_| HttpError::Malformed(format!("Content-Length `{value}`")))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            closes |= value.eq_ignore_ascii_case("close");
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let size_line = read_line(&mut r)?;
            let hex = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(hex, 16)
                .map_err(|_| HttpError::Malformed(format!("chunk size `{size_line}`")))?;
            if size == 0 {
                // Trailers, then the empty line (or EOF: the server closes right after).
                while let Ok(l) = read_line(&mut r) {
                    if l.is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            read_line(&mut r)?;
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if !(status == 204 || status == 304 || (100..200).contains(&status)) {
        r.read_to_end(&mut body)?;
        closes = true;
    }
    Ok(Response {
        status,
        body,
        closes,
    })
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters stay as they are).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of an `Authorization: Basic` header.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_and_length_bodies() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n";
        let r = read_response(&raw[..]).unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.closes),
            (200, &b"hello world"[..], false)
        );
        let raw = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 3\r\n\r\nabcdef";
        let r = read_response(&raw[..]).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (401, &b"abc"[..]));
        let raw = b"HTTP/1.0 200 OK\r\n\r\nto the end";
        let r = read_response(&raw[..]).unwrap();
        assert_eq!((r.body.as_slice(), r.closes), (&b"to the end"[..], true));
        let raw = b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
        assert!(read_response(&raw[..]).unwrap().closes);
        assert!(read_response(&b"SSH-2.0-OpenSSH\r\n"[..]).is_err());
        assert!(read_response(&b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"[..]).is_err());
    }

    #[test]
    fn encodes_and_authenticates() {
        assert_eq!(
            encode("SELECT \"a\" >= 'b'"),
            "SELECT%20%22a%22%20%3E%3D%20%27b%27"
        );
        assert_eq!(basic_auth("admin", "pw"), "Basic YWRtaW46cHc=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }
}
