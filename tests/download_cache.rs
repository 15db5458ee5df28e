//! The download cache against a real HTTP server on loopback (std TcpListener, one thread):
//! a good download, a corrupt file, an interrupted transfer (then resumed), and a cache hit.
use mlk::stages::cache::{Cache, DownloadError, Source};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Serve the body, honouring `Range: bytes=N-` with 206.
    Good,
    /// Announce the full length, send half, close.
    CutHalfway,
}

struct Server {
    url: String,
    requests: Arc<AtomicUsize>,
    ranges: Arc<std::sync::Mutex<Vec<String>>>,
}

/// Serves `body` at http://127.0.0.1:<port>/file; `modes[i]` is the behaviour of request i
/// (the last mode repeats).
fn serve(body: Vec<u8>, modes: Vec<Mode>) -> Server {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/file", l.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let ranges = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (rq, rg) = (requests.clone(), ranges.clone());
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { return };
            let i = rq.fetch_add(1, Ordering::SeqCst);
            let mode = *modes.get(i).or(modes.last()).unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut start = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("range: bytes=") {
                    rg.lock().unwrap().push(v.trim().to_string());
                    start = v.trim().trim_end_matches('-').parse().unwrap();
                }
            }
            let rest = &body[start..];
            let status = if start > 0 {
                "206 Partial Content"
            } else {
                "200 OK"
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                rest.len()
            );
            let _ = s.write_all(head.as_bytes());
            let n = if mode == Mode::CutHalfway {
                rest.len() / 2
            } else {
                rest.len()
            };
            let _ = s.write_all(&rest[..n]);
            let _ = s.flush();
            // Dropping the stream closes it: mid-body for CutHalfway.
        }
    });
    Server {
        url,
        requests,
        ranges,
    }
}

fn payload() -> (Vec<u8>, String) {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let sha = hex::encode(Sha256::digest(&body));
    (body, sha)
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn good_download_is_verified_and_a_second_fetch_is_a_cache_hit() {
    let (body, sha) = payload();
    let srv = serve(body.clone(), vec![Mode::Good]);
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path().join("c"), false);
    let (path, src) = cache.fetch(&srv.url, &sha, "test").unwrap();
    assert_eq!(src, Source::Network);
    assert_eq!(path, tmp.path().join("c").join(&sha));
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(srv.requests.load(Ordering::SeqCst), 1);
    // A second cluster: same digest, nothing downloaded.
    let cache2 = Cache::new(tmp.path().join("c"), false);
    let (path2, src2) = cache2.fetch(&srv.url, &sha, "test").unwrap();
    assert_eq!((path2, src2), (path, Source::Cache));
    assert_eq!(
        srv.requests.load(Ordering::SeqCst),
        1,
        "cache hit must not contact the server"
    );
    assert_eq!(files_in(&tmp.path().join("c")), vec![sha]);
}

#[test]
fn corrupt_file_is_rejected_and_nothing_stays_in_the_cache() {
    let (mut body, sha) = payload();
    body[1234] ^= 0xff;
    let srv = serve(body, vec![Mode::Good]);
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path().to_path_buf(), false);
    let err = cache.fetch(&srv.url, &sha, "test").unwrap_err();
    match &err {
        DownloadError::Checksum {
            expected, actual, ..
        } => {
            assert_eq!(expected, &sha);
            assert_ne!(actual, &sha);
        }
        other => panic!("expected a checksum error, got {other}"),
    }
    assert!(err.to_string().contains("versions.lock.yaml"), "{err}");
    assert!(
        files_in(tmp.path()).is_empty(),
        "{:?}",
        files_in(tmp.path())
    );
}

#[test]
fn interrupted_transfer_fails_promotes_nothing_and_resumes_with_a_range_request() {
    let (body, sha) = payload();
    let srv = serve(body.clone(), vec![Mode::CutHalfway, Mode::Good]);
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path().to_path_buf(), false);
    let err = cache.fetch(&srv.url, &sha, "test").unwrap_err();
    assert!(matches!(err, DownloadError::Transfer { .. }), "{err}");
    assert!(
        !tmp.path().join(&sha).exists(),
        "a partial file was promoted"
    );
    let part = tmp.path().join(format!("{sha}.part"));
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(
        kept > 0 && (kept as usize) < body.len(),
        "kept {kept} bytes"
    );
    // The next try asks only for the rest, and the result is verified as a whole.
    let (path, src) = cache.fetch(&srv.url, &sha, "test").unwrap();
    assert_eq!(src, Source::Network);
    assert_eq!(std::fs::read(path).unwrap(), body);
    assert_eq!(*srv.ranges.lock().unwrap(), vec![format!("{kept}-")]);
    assert_eq!(files_in(tmp.path()), vec![sha]);
}

#[test]
fn tampered_cache_entry_is_downloaded_again() {
    let (body, sha) = payload();
    let srv = serve(body.clone(), vec![Mode::Good]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(&sha), b"not the file").unwrap();
    let cache = Cache::new(tmp.path().to_path_buf(), false);
    let (path, src) = cache.fetch(&srv.url, &sha, "test").unwrap();
    assert_eq!(src, Source::Network);
    assert_eq!(std::fs::read(path).unwrap(), body);
    assert_eq!(srv.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn a_lock_entry_that_is_not_a_sha256_is_refused_before_any_request() {
    let srv = serve(b"x".to_vec(), vec![Mode::Good]);
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path().to_path_buf(), false);
    let err = cache.fetch(&srv.url, "TODO", "test").unwrap_err();
    assert!(matches!(err, DownloadError::BadDigest(_)), "{err}");
    assert_eq!(srv.requests.load(Ordering::SeqCst), 0);
}

#[test]
fn an_unpinned_binary_takes_its_digest_from_the_release_checksum_list() {
    // rke's workflow writes `<hex> <asset>` with one space; sha256sum writes two (or ` *`).
    let (_, sha) = payload();
    let sums = format!(
        "{} rke_linux-arm64\n{sha} rke_linux-amd64\n{}  *rke_windows-amd64.exe\n",
        "a".repeat(64),
        "b".repeat(64)
    );
    assert_eq!(
        mlk::stages::cache::digest_from_sums(&sums, "rke_linux-amd64").as_deref(),
        Some(sha.as_str())
    );
    assert_eq!(
        mlk::stages::cache::digest_from_sums(&sums, "rke_windows-amd64.exe"),
        Some("b".repeat(64))
    );
    assert_eq!(
        mlk::stages::cache::digest_from_sums(&sums, "rke_linux"),
        None
    );
    let srv = serve(sums.into_bytes(), vec![Mode::Good]);
    let mut b = mlk::lockfile::Binary {
        version: "v0".into(),
        url: "http://127.0.0.1:9/releases/rke_linux-amd64".into(),
        sha256: String::new(),
        sha256_url: Some(srv.url.clone()),
        member: None,
    };
    assert_eq!(mlk::stages::binaries::expected_digest(&b).unwrap(), sha);
    // A pinned digest wins and the list is not fetched.
    b.sha256 = "c".repeat(64);
    assert_eq!(
        mlk::stages::binaries::expected_digest(&b).unwrap(),
        "c".repeat(64)
    );
    assert_eq!(srv.requests.load(Ordering::SeqCst), 1);
    // A list without the asset is an error naming both.
    b.sha256 = String::new();
    b.url = "http://127.0.0.1:9/rke_darwin-amd64".into();
    let err = format!(
        "{:#}",
        mlk::stages::binaries::expected_digest(&b).unwrap_err()
    );
    assert!(
        err.contains("rke_darwin-amd64") && err.contains(&srv.url),
        "{err}"
    );
}

#[test]
fn every_lock_table_binary_has_a_pinned_digest_or_a_checksum_list() {
    for (name, b) in &mlk::lockfile::get().binaries {
        let pinned = b.sha256.len() == 64 && b.sha256.bytes().all(|c| c.is_ascii_hexdigit());
        let listed = b.sha256.is_empty()
            && b.sha256_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"));
        assert!(pinned || listed, "versions.lock.yaml: {name}");
    }
}
