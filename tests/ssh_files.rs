//! SFTP uploads and downloads, and direct-tcpip tunnels, against real sshd nodes.
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::remote::{RemoteError, Runner};
use std::io::{Read, Write};

#[test]
fn ssh_upload_download_round_trip_with_mode_and_atomic_replace() {
    if !have_root("ssh_upload_download_round_trip_with_mode_and_atomic_replace") {
        return;
    }
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    // 3 MB of non-repeating bytes: several SFTP packets and channel windows.
    let data: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    r.upload(&data, "/home/vagrant/blob.bin", 0o640)
        .expect("upload");
    assert_eq!(
        r.download("/home/vagrant/blob.bin").expect("download"),
        data
    );
    let (_, lines) = run(
        &r,
        "stat -c '%a %U %s' /home/vagrant/blob.bin; sha256sum < /home/vagrant/blob.bin",
    );
    assert_eq!(lines[0], "640 vagrant 3000000");
    let local = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&data));
    assert!(
        lines[1].starts_with(&local),
        "remote sha256 {} != {local}",
        lines[1]
    );

    // Replacing an existing file works (plain SFTP rename would refuse) and changes the mode.
    r.upload(
        b"#!/bin/sh\necho replaced\n",
        "/home/vagrant/blob.bin",
        0o755,
    )
    .expect("re-upload");
    let (st, lines) = run(
        &r,
        "/home/vagrant/blob.bin; stat -c %a /home/vagrant/blob.bin; ls -a /home/vagrant",
    );
    assert_eq!(st, 0);
    assert_eq!(lines[..2], ["replaced", "755"]);
    assert!(
        !lines.iter().any(|l| l.contains("mlk-tmp")),
        "temp file left behind: {lines:?}"
    );

    // Errors the caller cannot retry away are fatal and name the path.
    match r.upload(b"x", "/etc/mlk-denied.conf", 0o644) {
        Err(e @ RemoteError::Fatal { .. }) => {
            assert!(e.to_string().contains("/etc/mlk-denied.conf"), "{e}");
            assert!(e.to_string().contains("permission denied"), "{e}");
        }
        other => panic!("expected a fatal permission error, got {other:?}"),
    }
    match r.download("/nonexistent/file") {
        Err(e @ RemoteError::Fatal { .. }) => {
            assert!(e.to_string().contains("no such file"), "{e}")
        }
        other => panic!("expected a fatal error, got {other:?}"),
    }
    // The session survived the errors.
    assert_eq!(run(&r, "true").0, 0);
}

#[test]
fn ssh_tunnel_reaches_a_service_on_the_node_while_commands_run() {
    if !have_root("ssh_tunnel_reaches_a_service_on_the_node_while_commands_run") {
        return;
    }
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    let page = format!("mlk-tunnel-{}\n", rand::random::<u64>());
    r.upload(page.as_bytes(), "/tmp/index.html", 0o644)
        .expect("upload page");
    // A real HTTP server bound to the node's loopback only: reachable through the tunnel alone.
    // All three std streams redirected, or the channel stays open as long as the server runs.
    let (st, _) = run(
        &r,
        "python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp </dev/null >/tmp/http.log 2>&1 & \
         for i in $(seq 100); do nc -z 127.0.0.1 8000 && exit 0; sleep 0.1; done; exit 1",
    );
    assert_eq!(st, 0, "http server did not start");
    let mut t = r.tunnel("127.0.0.1", 8000).expect("tunnel");
    // Commands keep working while the tunnel is open (it has its own session).
    assert_eq!(run(&r, "echo busy").1, ["busy"]);
    t.write_all(b"GET /index.html HTTP/1.0\r\nHost: node1\r\n\r\n")
        .expect("send request");
    let mut resp = String::new();
    t.read_to_string(&mut resp).expect("read response");
    assert!(resp.starts_with("HTTP/1.0 200"), "{resp}");
    assert!(resp.ends_with(&page), "body mismatch: {resp}");
    // Nothing listens on this port: transient (a service may still be starting), and clear.
    match r.tunnel("127.0.0.1", 1) {
        Err(e) => {
            assert!(e.is_transient(), "{e:?}");
            assert!(e.to_string().contains("127.0.0.1:1"), "{e}");
        }
        Ok(_) => panic!("tunnel to a closed port must fail"),
    }
}

/// What `mlk up` uploads once per node and run: the rendered bundle, here 22 files of 0.5-14 KB
/// (the mono profile renders 22 files, 164 KB), one after the other on one session. Each lands
/// whole with its mode. `MLK_BENCH=1` prints the time (docs/performance.md).
#[test]
fn ssh_a_bundle_of_files_uploads_whole_one_after_the_other() {
    if !have_root("ssh_a_bundle_of_files_uploads_whole_one_after_the_other") {
        return;
    }
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    assert_eq!(run(&r, "mkdir -p /tmp/bundle").0, 0);
    let files: Vec<(String, Vec<u8>, i32)> = (0..22u32)
        .map(|i| {
            let len = 512 + (i as usize * 7919) % (14 * 1024);
            let data = (0..len as u32)
                .map(|k| (k.wrapping_mul(2654435761).wrapping_add(i) >> 24) as u8)
                .collect();
            let mode = if i % 2 == 0 { 0o755 } else { 0o644 };
            (format!("/tmp/bundle/f{i:02}"), data, mode)
        })
        .collect();
    let started = std::time::Instant::now();
    for (path, data, mode) in &files {
        r.upload(data, path, *mode).expect("upload");
    }
    let took = started.elapsed();
    let (st, lines) = run(
        &r,
        "cd /tmp/bundle && for f in f*; do echo \"$f $(stat -c %a $f) $(sha256sum < $f | cut -c1-64)\"; done",
    );
    assert_eq!(st, 0);
    let want: Vec<String> = files
        .iter()
        .map(|(path, data, mode)| {
            let sum = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(data));
            format!("{} {mode:o} {sum}", path.trim_start_matches("/tmp/bundle/"))
        })
        .collect();
    assert_eq!(lines, want);
    if std::env::var_os("MLK_BENCH").is_some() {
        let bytes: usize = files.iter().map(|f| f.1.len()).sum();
        println!(
            "bench: upload of {} files ({} KB) on one session: {:.3} s ({:.1} ms per file)",
            files.len(),
            bytes / 1024,
            took.as_secs_f64(),
            took.as_secs_f64() * 1000.0 / files.len() as f64
        );
    }
}
