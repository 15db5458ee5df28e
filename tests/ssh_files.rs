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
