//! The rke2-up host stage and its rendered script, run for real on sshd test hosts
//! (scripts/testhosts.sh) through the real SshRunner, as far as a machine without RKE2 allows.
//!
//! STAND-INS, named so: the test hosts have no systemd, containerd or release tarball, so
//! - the "release tarball" is made here: `bin/rke2` is a STAND-IN script (it records what the
//!   real rke2 would read at start: config.yaml, the token file and their modes, the
//!   manifests folder, and when it started and was up), plus the real tarball's layout
//!   (`lib/systemd/system/rke2-*.service`, `bin/rke2-uninstall.sh`);
//! - `/usr/local/sbin/systemctl` is a STAND-IN that runs that `rke2 server|agent` for `start`;
//! - the RKE2 kubectl a server extracts is a STAND-IN that says every node is Ready, and
//!   mlk's own kubectl (`/opt/mlk/bin/kubectl`) a STAND-IN that lists the nodes' addresses.
//!
//! What is real: the host stage (staging over SSH, token generation and handling, join
//! order, threads for the agents), the rendered script (checksum check of the tarball against
//! its checksum file, unpacking, config placement and modes, timeouts), sudo, OpenSSH.
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::distribution::rke2::{CHECKSUMS, TARBALL};
use mlk::remote::Runner;
use mlk::stages::HostCtx;
use mlk::stages::binaries::Runners;
use mlk::stages::rke2::{Artifacts, run_with, script_cmd};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// Two servers (node1 first) and two agents on the test hosts' addresses, RKE2, no add-ons.
fn profile() -> mlk::profile::Profile {
    let text = "apiVersion: mlk.io/v1alpha1
kind: Profile
name: rke2-order
box: {name: bento/ubuntu-24.04}
kubernetes: {distribution: rke2}
nodes:
  - {name: node1, ip: 192.168.56.10, cpus: 2, memory: 4096, roles: [controlplane, etcd, worker]}
  - {name: node2, ip: 192.168.56.11, cpus: 2, memory: 4096, roles: [controlplane]}
  - {name: node3, ip: 192.168.56.12, cpus: 2, memory: 4096, roles: [worker]}
  - {name: node4, ip: 192.168.56.13, cpus: 2, memory: 4096, roles: [worker]}
components:
  local-path: {enabled: false}
  cert-manager: {enabled: false}
  rancher: {enabled: false}
  tick: {enabled: false}
  kubeflow: {enabled: false}
";
    let src = mlk::profile::Source {
        file: "rke2-order.yaml".into(),
        text: text.into(),
    };
    mlk::profile::load(
        &src,
        &mlk::profile::Overrides::default(),
        &mlk::profile::validate::HostRules {
            vbox_ranges: None,
            vbox_source: "test".into(),
        },
    )
    .unwrap()
}

const STAND_IN_RKE2: &str = r#"#!/bin/sh
# STAND-IN for rke2 (no systemd or containerd on the test hosts): records what the real rke2
# would read at its first start, then behaves as if it came up.
S=/var/lib/mlk-standin
mkdir -p $S
case "$1" in
  --version) echo "rke2 version v1.36.3+rke2r1 (stand-in)"; exit 0 ;;
  server|agent) ;;
  *) exit 64 ;;
esac
echo "start $1 $(date +%s.%N)" >> $S/events
[ -f $S/hang ] && sleep 600
stat -c '%n %a %U' /etc/rancher/rke2/config.yaml /etc/rancher/rke2/mlk-token > $S/modes
sha256sum < /etc/rancher/rke2/mlk-token | cut -d' ' -f1 > $S/token-digest
ls /var/lib/rancher/rke2/server/manifests > $S/manifests 2>/dev/null || true
sleep 2
if [ "$1" = server ]; then
  mkdir -p /var/lib/rancher/rke2/bin
  printf '#!/bin/sh\n# STAND-IN kubectl: every node is Ready\necho True\n' > /var/lib/rancher/rke2/bin/kubectl
  chmod 755 /var/lib/rancher/rke2/bin/kubectl
  cat > /etc/rancher/rke2/rke2.yaml <<'K'
apiVersion: v1
kind: Config
clusters:
- cluster: {certificate-authority-data: AAAA, server: "https://127.0.0.1:6443"}
  name: default
contexts:
- context: {cluster: default, user: default}
  name: default
current-context: default
users:
- name: default
  user: {client-certificate-data: BBBB, client-key-data: CCCC}
K
  chmod 600 /etc/rancher/rke2/rke2.yaml
fi
echo "up $1 $(date +%s.%N)" >> $S/events
"#;

const STAND_IN_SYSTEMCTL: &str = r#"#!/bin/sh
# STAND-IN for systemctl (the test hosts run no systemd): `start rke2-X` runs the stand-in rke2.
case "$1" in
  enable|daemon-reload) exit 0 ;;
  is-active) [ -f "/var/lib/mlk-standin/active-$3" ] ;;
  start) /usr/local/bin/rke2 "${2#rke2-}" && mkdir -p /var/lib/mlk-standin && touch "/var/lib/mlk-standin/active-$2" ;;
  *) exit 0 ;;
esac
"#;

/// A tarball with the release's layout and the stand-in rke2, and its checksum file.
fn stand_in_release() -> Artifacts {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    for d in ["bin", "lib/systemd/system", "share/rke2"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("bin/rke2"), STAND_IN_RKE2).unwrap();
    std::fs::write(
        root.join("bin/rke2-uninstall.sh"),
        "#!/bin/sh\n# stand-in\n",
    )
    .unwrap();
    #[cfg(unix)]
    for f in ["bin/rke2", "bin/rke2-uninstall.sh"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join(f), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for u in ["rke2-server", "rke2-agent"] {
        std::fs::write(
            root.join(format!("lib/systemd/system/{u}.service")),
            format!("[Service]\nExecStart=/usr/local/bin/rke2 {}\n", &u[5..]),
        )
        .unwrap();
    }
    let tb = tmp.path().join(TARBALL);
    let st = std::process::Command::new("tar")
        .args(["czf"])
        .arg(&tb)
        .args(["--owner=0", "--group=0", "-C"])
        .arg(&root)
        .args(["bin", "lib", "share"])
        .status()
        .unwrap();
    assert!(st.success());
    let data = std::fs::read(&tb).unwrap();
    let sums = format!(
        "{}  {TARBALL}\n0000000000000000000000000000000000000000000000000000000000000000  rke2-images.linux-amd64.tar.zst\n",
        hex::encode(Sha256::digest(&data))
    );
    Artifacts {
        files: vec![(TARBALL, data), (CHECKSUMS, sums.into_bytes())],
    }
}

fn prepare(r: &dyn Runner, ips: &[&str]) {
    let (st, out) = run(
        r,
        "sudo mkdir -p /opt/mlk/stages /opt/mlk/bin /usr/local/sbin && sudo chown -R \"$(id -un)\" /opt/mlk && sudo rm -rf /etc/rancher /var/lib/rancher /var/lib/mlk-standin /usr/local/bin/rke2",
    );
    assert_eq!(st, 0, "{out:?}");
    r.upload(STAND_IN_SYSTEMCTL.as_bytes(), "/tmp/systemctl", 0o755)
        .unwrap();
    assert_eq!(
        run(
            r,
            "sudo install -m 0755 /tmp/systemctl /usr/local/sbin/systemctl"
        )
        .0,
        0
    );
    // mlk's kubectl on the node (STAND-IN): the nodes with their profile addresses.
    let items: Vec<String> = ips
        .iter()
        .enumerate()
        .map(|(i, ip)| {
            format!(
                r#"{{"metadata":{{"name":"node{}"}},"status":{{"addresses":[{{"type":"InternalIP","address":"{ip}"}}]}}}}"#,
                i + 1
            )
        })
        .collect();
    let kubectl = format!(
        "#!/bin/sh\n# STAND-IN kubectl\necho '{{\"items\":[{}]}}'\n",
        items.join(",")
    );
    r.upload(kubectl.as_bytes(), "/opt/mlk/bin/kubectl", 0o755)
        .unwrap();
}

fn events(r: &dyn Runner) -> Vec<(String, f64)> {
    let (_, out) = run(r, "sudo cat /var/lib/mlk-standin/events");
    out.iter()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let what = it.next()?.to_string();
            let _kind = it.next()?;
            Some((what, it.next()?.parse().ok()?))
        })
        .collect()
}

fn time_of(ev: &[(String, f64)], what: &str) -> f64 {
    ev.iter()
        .find(|(w, _)| w == what)
        .unwrap_or_else(|| panic!("no `{what}` in {ev:?}"))
        .1
}

#[test]
fn rke2_up_installs_from_the_artifacts_places_config_and_token_and_keeps_the_join_order() {
    if !have_root(
        "rke2_up_installs_from_the_artifacts_places_config_and_token_and_keeps_the_join_order",
    ) {
        return;
    }
    let p = profile();
    let lab = TestHosts::up(4);
    let rs: Runners = (1..=4)
        .map(|i| {
            let r: Arc<dyn Runner> = Arc::new(lab.connect(i));
            (format!("node{i}"), r)
        })
        .collect();
    let ips: Vec<String> = p.nodes.iter().map(|n| n.ip.to_string()).collect();
    let ip_refs: Vec<&str> = ips.iter().map(String::as_str).collect();
    for r in rs.values() {
        prepare(r.as_ref(), &ip_refs);
    }
    let cluster = tempfile::tempdir().unwrap();
    let rendered = mlk::render::render_all(&p).unwrap();
    let log = Mutex::new(Vec::<String>::new());
    let log_fn = |l: &str| log.lock().unwrap().push(l.to_string());
    let ctx = HostCtx {
        profile: &p,
        stages: &[],
        cluster_dir: cluster.path(),
        rendered: &rendered,
        runners: &rs,
        log: &log_fn,
    };
    // The configuration goes in place before any release file is needed (the stage does
    // this first, so a failed download still leaves every node configured).
    mlk::stages::rke2::place_all(&ctx).unwrap();
    for r in rs.values() {
        let (st, out) = run(
            r.as_ref(),
            "sudo stat -c '%a %U' /etc/rancher/rke2/config.yaml /etc/rancher/rke2/mlk-token && ! test -e /usr/local/bin/rke2",
        );
        assert_eq!(
            (st, out),
            (0, vec!["600 root".to_string(), "600 root".to_string()])
        );
    }
    let art = stand_in_release();
    run_with(&ctx, &art).unwrap_or_else(|e| panic!("{e:#}\n{:#?}", log.lock().unwrap()));

    // The token: generated once on the host (0600), on every node only as root's 0600 file,
    // the staging copy gone, and never in the log.
    let token_file = mlk::layout::of(cluster.path()).secret("rke2-token");
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(token.len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(m & 0o777, 0o600);
    }
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    for (name, r) in &rs {
        let r = r.as_ref();
        let (_, modes) = run(r, "sudo cat /var/lib/mlk-standin/modes");
        assert_eq!(
            modes,
            [
                "/etc/rancher/rke2/config.yaml 600 root",
                "/etc/rancher/rke2/mlk-token 600 root"
            ],
            "{name}"
        );
        assert_eq!(
            run(r, "sudo cat /var/lib/mlk-standin/token-digest").1,
            std::slice::from_ref(&digest)
        );
        assert_eq!(
            run(r, "test -e /opt/mlk/secrets/rke2-token").0,
            1,
            "{name}: staging copy removed"
        );
        // config.yaml is the rendered one for this node.
        let (_, have) = run(r, "sudo sha256sum /etc/rancher/rke2/config.yaml");
        let want = hex::encode(Sha256::digest(
            rendered[&format!("rke2/{name}/config.yaml")].as_bytes(),
        ));
        assert!(have[0].starts_with(&want), "{name}: {have:?}");
        // Installed from the artifact path: the release files there with their digests, and
        // the unpacked stand-in binary and units.
        let (st, out) = run(
            r,
            "cd /opt/mlk/artifacts/rke2 && grep ' rke2.linux-amd64.tar.gz$' sha256sum-amd64.txt | sha256sum -c - && test -x /usr/local/bin/rke2 && test -f /usr/local/lib/systemd/system/rke2-server.service",
        );
        assert_eq!(st, 0, "{name}: {out:?}");
        // The canal HelmChartConfig is in the manifests folder of servers, before their start.
        let (_, manifests) = run(r, "sudo cat /var/lib/mlk-standin/manifests");
        let server = name == "node1" || name == "node2";
        assert_eq!(
            manifests.contains(&"rke2-canal-config.yaml".to_string()),
            server,
            "{name}: {manifests:?}"
        );
        let (_, regs) = run(r, "sudo stat -c '%a %U' /etc/rancher/rke2/registries.yaml");
        assert_eq!(regs, ["600 root"], "{name}");
    }
    for l in log.lock().unwrap().iter() {
        assert!(!l.contains(token.trim()), "the token reached the log: {l}");
    }

    // Order: node2 (server) started only after node1 was up; the agents started after both
    // servers were up, and together (each started before the other was up).
    let ev: Vec<Vec<(String, f64)>> = (1..=4)
        .map(|i| events(rs[&format!("node{i}")].as_ref()))
        .collect();
    assert!(time_of(&ev[1], "start") >= time_of(&ev[0], "up"), "{ev:?}");
    for a in [2, 3] {
        assert!(time_of(&ev[a], "start") >= time_of(&ev[1], "up"), "{ev:?}");
    }
    assert!(
        time_of(&ev[2], "start") < time_of(&ev[3], "up"),
        "agents together: {ev:?}"
    );
    assert!(
        time_of(&ev[3], "start") < time_of(&ev[2], "up"),
        "agents together: {ev:?}"
    );

    // The kubeconfig for the shared flow: RKE2's, 127.0.0.1 rewritten to the first server,
    // 0600 and owned by the login user.
    let first = rs["node1"].as_ref();
    let (_, kc) = run(
        first,
        "stat -c '%a %U' /opt/mlk/kube_config_cluster.yml; grep server: /opt/mlk/kube_config_cluster.yml",
    );
    assert_eq!(kc[0], "600 vagrant");
    assert!(kc[1].contains("https://192.168.56.10:6443"), "{kc:?}");

    // The stage's check agrees: installed, active, Ready, config as rendered.
    let stage = mlk::stages::host_stage(mlk::catalogue::HostWork::Rke2Up);
    assert!(stage.check(&ctx).unwrap());
    // A second run keeps the token (same digest on the nodes).
    run_with(&ctx, &art).unwrap();
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), token);
}

/// A tarball that does not match its checksum file is refused before anything is unpacked,
/// and a start that never finishes ends at the timeout with a message naming unit and node.
#[test]
fn rke2_script_refuses_a_bad_tarball_and_times_out_a_hanging_start() {
    if !have_root("rke2_script_refuses_a_bad_tarball_and_times_out_a_hanging_start") {
        return;
    }
    let p = profile();
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    prepare(&r, &["192.168.56.10"]);
    let rendered = mlk::render::render_all(&p).unwrap();
    let script = &rendered["stages/rke2-up.sh"];
    run(
        &r,
        "mkdir -p /opt/mlk/artifacts/rke2 /opt/mlk/rke2 /opt/mlk/secrets",
    );
    r.upload(script.as_bytes(), "/opt/mlk/stages/rke2-up.sh", 0o755)
        .unwrap();
    r.upload(
        rendered["rke2/node1/config.yaml"].as_bytes(),
        "/opt/mlk/rke2/config.yaml",
        0o600,
    )
    .unwrap();
    r.upload(b"t0k3n-for-the-test", "/opt/mlk/secrets/rke2-token", 0o600)
        .unwrap();
    let art = stand_in_release();
    let mut bad = art.files[0].1.clone();
    bad.extend_from_slice(b"tampered");
    r.upload(
        &bad,
        "/opt/mlk/artifacts/rke2/rke2.linux-amd64.tar.gz",
        0o644,
    )
    .unwrap();
    r.upload(
        &art.files[1].1,
        "/opt/mlk/artifacts/rke2/sha256sum-amd64.txt",
        0o644,
    )
    .unwrap();
    let (st, out) = run(&r, &format!("{} 2>&1", script_cmd("install server")));
    assert_ne!(st, 0);
    assert!(
        out.iter().any(|l| l.contains("does not match its sha256")),
        "{out:?}"
    );
    assert_eq!(
        run(&r, "test -e /usr/local/bin/rke2").0,
        1,
        "nothing unpacked"
    );
    // The good tarball installs; a start that hangs is cut at RKE2_START_TIMEOUT.
    r.upload(
        &art.files[0].1,
        "/opt/mlk/artifacts/rke2/rke2.linux-amd64.tar.gz",
        0o644,
    )
    .unwrap();
    let (st, out) = run(&r, &format!("{} 2>&1", script_cmd("install server")));
    assert_eq!(st, 0, "{out:?}");
    run(
        &r,
        "sudo mkdir -p /var/lib/mlk-standin && sudo touch /var/lib/mlk-standin/hang",
    );
    let t = std::time::Instant::now();
    let (st, out) = run(
        &r,
        "sudo env RKE2_START_TIMEOUT=2 bash /opt/mlk/stages/rke2-up.sh start server 2>&1",
    );
    assert_ne!(st, 0);
    assert!(
        out.iter()
            .any(|l| l.contains("rke2-server did not come up within 2s on node1")),
        "{out:?}"
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(60));
    // The hanging stand-in ends with the test host (its PID namespace) when `lab` drops.
}
