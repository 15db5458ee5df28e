//! Stages run for real on sshd test hosts (scripts/testhosts.sh, network namespaces) through
//! the real SshRunner: os-prep, binary upload with sha256 checked on the node, and the secrets
//! stage (0600 on the node, nothing secret in the log). No Kubernetes API server exists here,
//! so rke-up and the Helm/Kubeflow stages are not run (docs/development.md, "Stages: what is tested").
use crate::secrets_host::profile;
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::lockfile::Binary;
use mlk::remote::Runner;
use mlk::stages::binaries::{self, Runners};
use mlk::stages::cache::Cache;
use mlk::stages::{HostCtx, secrets};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

fn runners(lab: &TestHosts, n: usize) -> Runners {
    (1..=n)
        .map(|i| {
            let r: Arc<dyn Runner> = Arc::new(lab.connect(i));
            (format!("node{i}"), r)
        })
        .collect()
}

/// What the engine does before the first script: /opt/mlk owned by the login user.
fn prepare_node(r: &dyn Runner) {
    let (st, out) = run(
        r,
        "sudo mkdir -p /opt/mlk/stages && sudo chown -R \"$(id -un)\" /opt/mlk",
    );
    assert_eq!(st, 0, "{out:?}");
}

#[test]
fn os_prep_runs_for_real_and_is_idempotent() {
    if !have_root("os_prep_runs_for_real_and_is_idempotent") {
        return;
    }
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    prepare_node(&r);
    let files = mlk::render::render_all(&profile("mono")).unwrap();
    r.upload(
        files["stages/os-prep.sh"].as_bytes(),
        "/opt/mlk/stages/os-prep.sh",
        0o755,
    )
    .unwrap();
    let (st, before) = run(&r, "bash /opt/mlk/stages/os-prep.sh check");
    assert_ne!(st, 0, "a fresh node cannot pass: {before:?}");
    assert!(
        before
            .iter()
            .any(|l| l.contains("/etc/sysctl.d/90-mlk.conf")),
        "{before:?}"
    );
    // The nodes share this machine's kernel: whether it has br_netfilter decides the outcome,
    // and os-prep must say so rather than pretend.
    let kernel_has_br =
        std::path::Path::new("/proc/sys/net/bridge/bridge-nf-call-iptables").exists();
    let (st, out) = run(&r, "bash /opt/mlk/stages/os-prep.sh run");
    if !kernel_has_br {
        assert_ne!(st, 0);
        assert!(
            out.iter()
                .any(|l| l.contains("cannot load kernel module br_netfilter")),
            "{out:?}"
        );
        return;
    }
    assert_eq!(st, 0, "{out:?}");
    let (st, out) = run(&r, "bash /opt/mlk/stages/os-prep.sh check");
    assert_eq!(st, 0, "check after run: {out:?}");
    let (st, out) = run(
        &r,
        "bash /opt/mlk/stages/os-prep.sh run && bash /opt/mlk/stages/os-prep.sh check",
    );
    assert_eq!(st, 0, "a second run: {out:?}");
    let (_, conf) = run(
        &r,
        "cat /etc/sysctl.d/90-mlk.conf; cat /proc/sys/net/ipv4/ip_forward; stat -c %a /opt/mlk/secrets",
    );
    assert!(
        conf.contains(&"fs.inotify.max_user_instances = 2280".to_string()),
        "{conf:?}"
    );
    assert_eq!(conf[conf.len() - 2..], ["1".to_string(), "700".to_string()]);
    // check notices drift and names it.
    let (st, out) = run(
        &r,
        "sudo rm /etc/sysctl.d/90-mlk.conf; bash /opt/mlk/stages/os-prep.sh check",
    );
    assert_ne!(st, 0);
    assert_eq!(out, ["missing: /etc/sysctl.d/90-mlk.conf"]);
}

/// Serves `body` on loopback for each request, counting them.
fn serve(body: Vec<u8>) -> (String, Arc<Mutex<usize>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/helm.tar.gz", l.local_addr().unwrap());
    let hits = Arc::new(Mutex::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            *h.lock().unwrap() += 1;
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut s, &mut buf);
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

#[test]
fn binaries_are_downloaded_once_extracted_uploaded_and_checked_on_every_node() {
    if !have_root("binaries_are_downloaded_once_extracted_uploaded_and_checked_on_every_node") {
        return;
    }
    // A helm-like tar.gz with its binary at linux-amd64/helm, served on loopback.
    let exe: Vec<u8> = b"#!/bin/sh\necho mlk-test-binary\n".repeat(2000);
    let mut tgz = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut tgz, flate2::Compression::fast());
        let mut t = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(exe.len() as u64);
        h.set_mode(0o755);
        h.set_cksum();
        t.append_data(&mut h, "linux-amd64/helm", exe.as_slice())
            .unwrap();
        t.into_inner().unwrap().finish().unwrap();
    }
    let (url, hits) = serve(tgz.clone());
    let b = Binary {
        version: "v0-test".into(),
        url,
        sha256: hex::encode(Sha256::digest(&tgz)),
        sha256_url: None,
        member: Some("linux-amd64/helm".into()),
    };
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(cache_dir.path().to_path_buf(), false);
    let (p, _) = binaries::prepare(&cache, "helm", &b).unwrap();
    assert_eq!(p.data, exe);
    // A second cluster: from the cache, no request.
    let (p2, src) = binaries::prepare(
        &Cache::new(cache_dir.path().to_path_buf(), false),
        "helm",
        &b,
    )
    .unwrap();
    assert_eq!(
        (src, p2.sha256.as_str(), *hits.lock().unwrap()),
        (mlk::stages::cache::Source::Cache, p.sha256.as_str(), 1)
    );

    let lab = TestHosts::up(2);
    let rs = runners(&lab, 2);
    for r in rs.values() {
        prepare_node(r.as_ref());
    }
    let log = Mutex::new(Vec::new());
    binaries::upload_and_verify(&rs, std::slice::from_ref(&p), &|l| {
        log.lock().unwrap().push(l.to_string())
    })
    .unwrap();
    let want = vec![("helm".to_string(), p.sha256.clone())];
    assert!(binaries::nodes_have(&rs, &want).unwrap());
    for r in rs.values() {
        let (st, out) = run(
            r.as_ref(),
            "stat -c %a /opt/mlk/bin/helm && /opt/mlk/bin/helm | head -1",
        );
        assert_eq!(
            (st, out),
            (0, vec!["755".to_string(), "mlk-test-binary".to_string()])
        );
    }
    // A changed file on one node is caught by the check.
    run(rs["node2"].as_ref(), "echo tampered >> /opt/mlk/bin/helm");
    assert!(!binaries::nodes_have(&rs, &want).unwrap());
}

#[test]
fn secrets_stage_uploads_0600_and_never_logs_a_secret() {
    if !have_root("secrets_stage_uploads_0600_and_never_logs_a_secret") {
        return;
    }
    let lab = TestHosts::up(1);
    let rs = runners(&lab, 1);
    prepare_node(rs["node1"].as_ref());
    let p = profile("mono");
    let cluster = tempfile::tempdir().unwrap();
    let rendered = mlk::render::render_all(&p).unwrap();
    let log = Mutex::new(Vec::<String>::new());
    let log_fn = |l: &str| log.lock().unwrap().push(l.to_string());
    let ctx = HostCtx {
        profile: &p,
        stages: &mlk::plan::stages::build(&p),
        cluster_dir: cluster.path(),
        rendered: &rendered,
        runners: &rs,
        log: &log_fn,
    };
    let stage = mlk::stages::host_stage(mlk::catalogue::HostWork::Secrets);
    assert!(!stage.check(&ctx).unwrap());
    stage.run(&ctx).unwrap();
    assert!(stage.check(&ctx).unwrap(), "check after run");
    let r = rs["node1"].as_ref();
    for (name, to_node) in secrets::wanted(&p) {
        let host = std::fs::read(secrets::path(cluster.path(), name)).unwrap();
        let (st, out) = run(
            r,
            &format!(
                "stat -c '%a %U' {0}; sha256sum < {0}",
                secrets::remote_path(name)
            ),
        );
        if to_node {
            assert_eq!(st, 0, "{out:?}");
            assert_eq!(out[0], "600 vagrant", "{name}");
            assert!(
                out[1].starts_with(&hex::encode(Sha256::digest(&host))),
                "{name}"
            );
        } else {
            assert_ne!(st, 0, "{name} must stay on the host: {out:?}");
        }
    }
    let (_, dir) = run(r, "stat -c %a /opt/mlk/secrets");
    assert_eq!(dir, ["700"]);
    // Nothing secret in the log; only names and paths.
    let text = log.lock().unwrap().join("\n");
    assert!(text.contains("rancher-bootstrap-password"), "{text}");
    for (name, _) in secrets::wanted(&p) {
        let secret = std::fs::read_to_string(secrets::path(cluster.path(), name)).unwrap();
        assert!(!text.contains(secret.trim()), "{name} leaked into the log");
    }
    // Drift on the node (mode or content) makes check fail and run repair it.
    run(
        r,
        &format!("chmod 644 {}", secrets::remote_path(secrets::INFLUXDB)),
    );
    assert!(!stage.check(&ctx).unwrap());
    stage.run(&ctx).unwrap();
    assert!(stage.check(&ctx).unwrap());
}

/// rke itself cannot run here (no Docker daemon on the test hosts, no Kubernetes), so a
/// STAND-IN `rke` on the node records what it found and writes new state, then fails like a
/// half-finished `rke up`. What is real: the rke-up host stage, the rendered script, SSH.
#[test]
fn rke_up_restores_state_before_and_saves_it_after_a_failed_run_with_a_stand_in_rke() {
    if !have_root(
        "rke_up_restores_state_before_and_saves_it_after_a_failed_run_with_a_stand_in_rke",
    ) {
        return;
    }
    let lab = TestHosts::up(1);
    let rs = runners(&lab, 1);
    let r = rs["node1"].as_ref();
    prepare_node(r);
    let stand_in = "#!/bin/sh\n# stand-in for rke: no Docker here\ncat cluster.rkestate > seen-state 2>/dev/null || echo none > seen-state\necho \"$@\" > seen-args\nprintf STATE-B > cluster.rkestate\nexit 1\n";
    run(r, "mkdir -p /opt/mlk/bin");
    r.upload(stand_in.as_bytes(), "/opt/mlk/bin/rke", 0o755)
        .unwrap();
    let p = profile("mono");
    let cluster = tempfile::tempdir().unwrap();
    let state = mlk::layout::of(cluster.path()).rke_state();
    std::fs::write(&state, "STATE-A").unwrap();
    let rendered = mlk::render::render_all(&p).unwrap();
    let log = Mutex::new(Vec::<String>::new());
    let log_fn = |l: &str| log.lock().unwrap().push(l.to_string());
    let ctx = HostCtx {
        profile: &p,
        stages: &mlk::plan::stages::build(&p),
        cluster_dir: cluster.path(),
        rendered: &rendered,
        runners: &rs,
        log: &log_fn,
    };
    let stage = mlk::stages::host_stage(mlk::catalogue::HostWork::RkeUp);
    assert!(!stage.check(&ctx).unwrap());
    let err = format!("{:#}", stage.run(&ctx).unwrap_err());
    assert!(
        err.contains("exited with status") && err.contains("saved"),
        "{err}"
    );
    let (_, seen) = run(
        r,
        "cat /opt/mlk/seen-state; echo; cat /opt/mlk/seen-args; stat -c %a /opt/mlk/cluster.yml",
    );
    assert_eq!(
        seen,
        [
            "STATE-A",
            "up --config cluster.yml --ignore-docker-version",
            "644"
        ],
        "the host's state was restored first"
    );
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        "STATE-B",
        "the node's new state came back despite the failure"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // rke's key exists on node1 and every node authorizes it, once however often the stage runs.
    let _ = stage.run(&ctx);
    let (st, out) = run(
        r,
        "cut -d' ' -f2 /opt/mlk/ssh/id_ed25519.pub > /tmp/k; grep -c -F -f /tmp/k ~/.ssh/authorized_keys; stat -c %a /opt/mlk/ssh/id_ed25519",
    );
    assert_eq!((st, out), (0, vec!["1".to_string(), "600".to_string()]));
}

/// The kubeconfig stage over SSH: RKE's file (written here as rke writes it, since rke cannot
/// run) is fetched from node1, rewritten, stored 0600, and read back by the real kubectl.
#[test]
fn kubeconfig_stage_fetches_rewrites_and_checks_against_the_node() {
    if !have_root("kubeconfig_stage_fetches_rewrites_and_checks_against_the_node") {
        return;
    }
    let lab = TestHosts::up(1);
    let rs = runners(&lab, 1);
    let r = rs["node1"].as_ref();
    prepare_node(r);
    let rke = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n    server: \"https://10.0.2.15:6443\"\n  name: \"mono\"\ncontexts:\n- context:\n    cluster: \"mono\"\n    user: \"kube-admin-mono\"\n  name: \"mono\"\ncurrent-context: \"mono\"\nusers:\n- name: \"kube-admin-mono\"\n  user:\n    client-certificate-data: Q0VSVA==\n    client-key-data: S0VZ\n";
    r.upload(rke.as_bytes(), "/opt/mlk/kube_config_cluster.yml", 0o600)
        .unwrap();
    let p = profile("mono");
    let cluster = tempfile::tempdir().unwrap();
    let rendered = mlk::render::render_all(&p).unwrap();
    let log_fn = |_: &str| {};
    let ctx = HostCtx {
        profile: &p,
        stages: &mlk::plan::stages::build(&p),
        cluster_dir: cluster.path(),
        rendered: &rendered,
        runners: &rs,
        log: &log_fn,
    };
    let stage = mlk::stages::host_stage(mlk::catalogue::HostWork::Kubeconfig);
    assert!(!stage.check(&ctx).unwrap());
    stage.run(&ctx).unwrap();
    assert!(stage.check(&ctx).unwrap());
    let kc = mlk::layout::of(cluster.path()).kubeconfig();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&kc).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    if let Some(kubectl) = crate::tools::find("kubectl") {
        let out = std::process::Command::new(kubectl)
            .args([
                "config",
                "view",
                "--minify",
                "-o",
                "jsonpath={.current-context} {.clusters[0].cluster.server}",
            ])
            .env("KUBECONFIG", &kc)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "mlk-mono https://192.168.56.10:6443"
        );
    }
    // New certificates on the node (rke up again): the host copy is stale.
    r.upload(
        rke.replace("S0VZ", "TkVX").as_bytes(),
        "/opt/mlk/kube_config_cluster.yml",
        0o600,
    )
    .unwrap();
    assert!(!stage.check(&ctx).unwrap());
}
