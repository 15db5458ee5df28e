//! What `run-workload` does to the nodes before its window, on real sshd test hosts
//! (scripts/testhosts.sh) through the real SshRunner: the dataset is downloaded once from a
//! loopback HTTP server into the cache (sha256-checked), uploaded to every node and checked
//! there; a node that already has it gets nothing, a changed copy is replaced. The image
//! pre-pull runs `docker` on each node; the test hosts have no Docker daemon, so a STAND-IN
//! `docker` records the calls (what is real: the command mlk sends, SSH, sudo, the nodes).
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::remote::Runner;
use mlk::stages::binaries::Runners;
use mlk::stages::cache::Cache;
use mlk::workload::prepare::{self, Dataset};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Serves `body` on loopback for each request, counting them.
fn serve(body: Vec<u8>) -> (String, Arc<Mutex<usize>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mnist.npz", l.local_addr().unwrap());
    let hits = Arc::new(Mutex::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            *h.lock().unwrap() += 1;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(&body);
        }
    });
    (url, hits)
}

fn runners(lab: &TestHosts, n: usize) -> Runners {
    (1..=n)
        .map(|i| {
            let r: Arc<dyn Runner> = Arc::new(lab.connect(i));
            (format!("node{i}"), r)
        })
        .collect()
}

#[test]
fn dataset_is_downloaded_once_staged_on_every_node_and_checked_there() {
    if !have_root("dataset_is_downloaded_once_staged_on_every_node_and_checked_there") {
        return;
    }
    let body: Vec<u8> = (0..700_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha = hex::encode(Sha256::digest(&body));
    let (url, hits) = serve(body.clone());
    let d = Dataset {
        name: "mnist",
        url: Box::leak(url.into_boxed_str()),
        sha256: Box::leak(sha.clone().into_boxed_str()),
        file: "mnist.npz",
    };
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(cache_dir.path().to_path_buf(), false);
    let lab = TestHosts::up(2);
    let rs = runners(&lab, 2);
    let mut log = Vec::new();
    let uploaded =
        prepare::stage_dataset(&cache, &rs, &d, &mut |l| log.push(l.to_string())).unwrap();
    assert_eq!(uploaded, ["node1", "node2"]);
    assert_eq!(*hits.lock().unwrap(), 1, "downloaded once for all nodes");
    assert!(cache_dir.path().join(&sha).is_file(), "kept in the cache");
    for r in rs.values() {
        let (st, out) = run(
            r.as_ref(),
            "stat -c %a /opt/mlk/datasets/mnist.npz && sha256sum /opt/mlk/datasets/mnist.npz",
        );
        assert_eq!(st, 0, "{out:?}");
        assert_eq!(out[0], "644");
        assert!(out[1].starts_with(&sha), "{out:?}");
    }
    // Again: every node has it, nothing moves.
    let uploaded = prepare::stage_dataset(&cache, &rs, &d, &mut |_| {}).unwrap();
    assert!(uploaded.is_empty());
    // A changed copy on one node is replaced, from the cache (no new download).
    run(
        rs["node2"].as_ref(),
        "echo tampered >> /opt/mlk/datasets/mnist.npz",
    );
    let uploaded = prepare::stage_dataset(&cache, &rs, &d, &mut |_| {}).unwrap();
    assert_eq!(uploaded, ["node2"]);
    assert_eq!(*hits.lock().unwrap(), 1);
    let (_, out) = run(
        rs["node2"].as_ref(),
        "sha256sum /opt/mlk/datasets/mnist.npz",
    );
    assert!(out[0].starts_with(&sha), "{out:?}");
    // A server that sends other bytes than the pinned digest: nothing reaches a node.
    let (bad_url, _) = serve(b"not mnist".to_vec());
    let other = Dataset {
        file: "other.npz",
        url: Box::leak(bad_url.into_boxed_str()),
        ..d
    };
    // (A fresh cache: the cache is keyed by digest and already holds the good file.)
    let fresh = tempfile::tempdir().unwrap();
    let fresh = Cache::new(fresh.path().to_path_buf(), false);
    let e = format!(
        "{:#}",
        prepare::stage_dataset(&fresh, &rs, &other, &mut |_| {}).unwrap_err()
    );
    assert!(e.contains("sha256") && e.contains("dataset mnist"), "{e}");
    let (st, _) = run(rs["node1"].as_ref(), "test -e /opt/mlk/datasets/other.npz");
    assert_ne!(st, 0);
}

/// A stand-in `docker` (no Docker daemon on the test hosts): `image inspect` succeeds once
/// `pull` has run; every call is logged to /tmp/docker-calls.
const STAND_IN_DOCKER: &str = "#!/bin/sh\n# STAND-IN for docker in mlk's tests\necho \"$*\" >> /tmp/docker-calls\ncase \"$1 $2\" in\n  'image inspect') test -f /tmp/have-image ;;\n  'pull -q') touch /tmp/have-image ;;\n  *) exit 2 ;;\nesac\n";

#[test]
fn the_image_is_pulled_on_every_node_once_with_a_stand_in_docker() {
    if !have_root("the_image_is_pulled_on_every_node_once_with_a_stand_in_docker") {
        return;
    }
    let lab = TestHosts::up(2);
    let rs = runners(&lab, 2);
    for r in rs.values() {
        r.upload(STAND_IN_DOCKER.as_bytes(), "/tmp/docker", 0o755)
            .unwrap();
        let (st, out) = run(
            r.as_ref(),
            "sudo install -m 755 /tmp/docker /usr/local/bin/docker",
        );
        assert_eq!(st, 0, "{out:?}");
    }
    let images = vec!["tensorflow/tensorflow:2.15.0".to_string()];
    let mut log = Vec::new();
    prepare::prepull(&rs, &images, &mut |l| log.push(l.to_string())).unwrap();
    assert_eq!(
        log,
        [
            "node1: image tensorflow/tensorflow:2.15.0 pulled",
            "node2: image tensorflow/tensorflow:2.15.0 pulled"
        ]
    );
    let mut log = Vec::new();
    prepare::prepull(&rs, &images, &mut |l| log.push(l.to_string())).unwrap();
    assert!(log.iter().all(|l| l.ends_with("present")), "{log:?}");
    for r in rs.values() {
        let (_, calls) = run(r.as_ref(), "cat /tmp/docker-calls");
        assert_eq!(
            calls,
            [
                "image inspect tensorflow/tensorflow:2.15.0",
                "pull -q tensorflow/tensorflow:2.15.0",
                "image inspect tensorflow/tensorflow:2.15.0"
            ]
        );
    }
    // A failing pull stops the run before its window, naming the node.
    run(
        rs["node1"].as_ref(),
        "sudo sh -c 'printf \"#!/bin/sh\\nexit 1\\n\" > /usr/local/bin/docker'",
    );
    let e = format!(
        "{:#}",
        prepare::prepull(&rs, &["busybox:1.36".to_string()], &mut |_| {}).unwrap_err()
    );
    assert!(e.contains("node1: pulling busybox:1.36 failed"), "{e}");
}
