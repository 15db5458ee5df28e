//! Registry mirrors and logins with REAL components, no internet: Debian's `docker-registry`
//! (distribution 2.8, htpasswd auth) serves on test host node1 (192.168.56.10:5000), and
//! Debian's `docker.io` engine (dockerd 20.10 + containerd) runs on node2. mlk's rendered
//! docker stage writes daemon.json and reloads dockerd, mlk's secrets stage puts the login on
//! the nodes, and `docker pull tiny:1` (that is docker.io/library/tiny:1) then comes through
//! the mirror. The only deviation from a real node: the stage's pinned version (28.1) is set
//! to the engine Debian ships (20.10), and dockerd is started by the test (no systemd here).
use crate::node_render::{embedded, load_text};
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::remote::Runner;
use mlk::stages::HostCtx;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// Runs `script` with bash as root inside test host `i` (its namespaces and root fs).
fn exec_node(lab: &TestHosts, i: usize, script: &str) -> String {
    let mut child =
        Command::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testhosts.sh"))
            .args(["exec", &i.to_string(), "bash", "-s"])
            .env("LAB_PREFIX", &lab.prefix)
            .env("LAB_DIR", &lab.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "node{i}: {script}\n{text}");
    text
}

fn have_tools(test: &str, tools: &[&str]) -> bool {
    for t in tools {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: {t} is not installed, but CI=true: .ci/apt-packages must list it"
            );
            eprintln!("SKIP {test}: {t} is not installed (see .ci/apt-packages)");
            return false;
        }
    }
    true
}

const REGISTRY: &str = "192.168.56.10:5000";

/// distribution's registry with htpasswd auth (bcrypt, as its htpasswd backend requires).
fn start_registry(lab: &TestHosts, bcrypt: &str) {
    exec_node(
        lab,
        1,
        &format!(
            r#"set -e
mkdir -p /tmp/registry/data
cat > /tmp/registry/config.yml <<'C'
version: 0.1
storage:
  filesystem:
    rootdirectory: /tmp/registry/data
http:
  addr: {REGISTRY}
auth:
  htpasswd:
    realm: mlk-test
    path: /tmp/registry/htpasswd
C
echo 'mlk:{bcrypt}' > /tmp/registry/htpasswd
nohup docker-registry serve /tmp/registry/config.yml </dev/null >/tmp/registry/log 2>&1 &
for i in $(seq 1 50); do (exec 3<>/dev/tcp/192.168.56.10/5000) 2>/dev/null && exit 0; sleep 0.1; done
cat /tmp/registry/log; exit 1
"#
        ),
    );
}

/// dockerd on node2, with the cgroup v1 hierarchies a fresh mount namespace lacks (as
/// ../shared/docs/lab/docker-netns.sh does). vfs storage: the node's root is an overlay.
/// The insecure-registry flag is only for the test's push of the image into the registry.
fn start_dockerd(lab: &TestHosts) {
    exec_node(
        lab,
        2,
        &format!(
            r#"set -e
mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
  mkdir -p /sys/fs/cgroup/$c; mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c
done
mkdir -p /sys/fs/cgroup/systemd; mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
nohup dockerd --storage-driver vfs --bridge none --iptables=false --ip-masq=false \
  --insecure-registry {REGISTRY} </dev/null >/tmp/dockerd.log 2>&1 &
for i in $(seq 1 120); do docker version >/dev/null 2>&1 && exit 0; sleep 0.25; done
cat /tmp/dockerd.log; exit 1
"#
        ),
    );
}

/// A one-file image, imported and pushed as library/tiny:1 with a separate client config
/// (so root's config.json stays mlk's), then removed from the engine.
fn push_image(lab: &TestHosts, password: &str) {
    exec_node(
        lab,
        2,
        &format!(
            r#"set -e
mkdir -p /tmp/tiny && echo mlk-mirror-ok > /tmp/tiny/hello.txt
tar -C /tmp/tiny -cf /tmp/tiny.tar .
docker import /tmp/tiny.tar {REGISTRY}/library/tiny:1 >/dev/null
printf '%s' '{password}' | docker --config /tmp/pushcfg login {REGISTRY} -u mlk --password-stdin >/dev/null 2>&1
docker --config /tmp/pushcfg push {REGISTRY}/library/tiny:1 >/dev/null
rm -rf /tmp/pushcfg
docker rmi {REGISTRY}/library/tiny:1 >/dev/null
"#
        ),
    );
}

fn profile_text(password_file: &std::path::Path) -> String {
    format!(
        "{}registries:\n  mirrors:\n    docker.io:\n      endpoints: [http://{REGISTRY}]\n  credentials:\n    docker.io:\n      username: mlk\n      passwordFile: {}\n",
        embedded("distributed"),
        password_file.display()
    )
}

/// Every file under `dir`, recursively, and each member of the diagnostics bundle.
fn everything_in(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(d: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                let data = std::fs::read(&p).unwrap();
                if p.to_string_lossy().ends_with(".tar.gz") {
                    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&data[..]));
                    for entry in tar.entries().unwrap() {
                        let mut entry = entry.unwrap();
                        let name = format!("{}!{}", p.display(), entry.path().unwrap().display());
                        let mut buf = Vec::new();
                        entry.read_to_end(&mut buf).unwrap();
                        out.push((name, buf));
                    }
                }
                out.push((p.display().to_string(), data));
            }
        }
    }
    walk(dir, &mut out);
    out
}

#[test]
fn docker_pulls_through_the_mirror_with_the_login_mlk_put_on_the_node() {
    let test = "docker_pulls_through_the_mirror_with_the_login_mlk_put_on_the_node";
    if !have_root(test) || !have_tools(test, &["dockerd", "docker", "docker-registry"]) {
        return;
    }
    let password = mlk::stages::secrets::generate_password();
    let lab = TestHosts::up(2);
    start_registry(&lab, &mlk::stages::secrets::bcrypt_hash(&password).unwrap());
    start_dockerd(&lab);
    push_image(&lab, &password);

    let host = tempfile::tempdir().unwrap();
    let pw_file = host.path().join("dockerhub-password");
    std::fs::write(&pw_file, format!("{password}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let p = load_text(&profile_text(&pw_file), None);
    let rendered = mlk::render::render_all(&p).unwrap();
    let lock = mlk::lockfile::get();
    let script = rendered["stages/docker.sh"]
        .replace(&format!("WANT='{}'", lock.docker.version), "WANT='20.10'");
    assert_ne!(
        script, rendered["stages/docker.sh"],
        "the version line moved"
    );

    let node2 = lab.connect(2);
    let (st, _) = run(
        &node2,
        "sudo mkdir -p /opt/mlk/stages && sudo chown -R \"$(id -un)\" /opt/mlk",
    );
    assert_eq!(st, 0);
    node2
        .upload(script.as_bytes(), "/opt/mlk/stages/docker.sh", 0o755)
        .unwrap();
    // Without mlk's settings docker.io is all there is, and it cannot be reached.
    let (st, out) = run(&node2, "sudo docker pull tiny:1 2>&1");
    assert_ne!(st, 0, "{out:?}");
    let no_mirror = out.join("\n");
    let hints: Vec<&str> = mlk::advice::match_output(&no_mirror)
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(hints, ["NAME_RESOLUTION"], "{no_mirror}");
    assert!(
        no_mirror.contains("lookup registry-1.docker.io"),
        "{no_mirror}"
    );
    let (st, out) = run(&node2, "bash /opt/mlk/stages/docker.sh check");
    assert_ne!(st, 0, "{out:?}");

    // The docker stage: daemon.json written, dockerd reloaded (SIGHUP) and using it.
    let (st, stage_out) = run(&node2, "bash /opt/mlk/stages/docker.sh run 2>&1");
    assert_eq!(st, 0, "{stage_out:?}");
    let (st, out) = run(&node2, "bash /opt/mlk/stages/docker.sh check 2>&1");
    assert_eq!(st, 0, "{out:?}");
    let (_, mirrors) = run(
        &node2,
        "sudo docker info --format '{{json .RegistryConfig.Mirrors}}'",
    );
    assert_eq!(mirrors, [format!("[\"http://{REGISTRY}/\"]")]);
    // Debian's docker.io made group docker with its own GID and dockerd the socket for it:
    // the stage renumbered the group and moved the live socket with it.
    let gid = mlk::render::context::DOCKER_GID.to_string();
    assert!(
        stage_out
            .iter()
            .any(|l| l.starts_with("group docker had GID ") && l.ends_with(&gid)),
        "{stage_out:?}"
    );
    let (_, g) = run(
        &node2,
        "getent group docker | cut -d: -f3; stat -c %g /var/run/docker.sock; sudo docker version --format '{{.Server.Version}}'",
    );
    assert_eq!(g[..2], [gid.clone(), gid]);
    assert!(g[2].starts_with("20.10"), "the daemon still answers: {g:?}");
    // Drift is named.
    let (st, out) = run(
        &node2,
        "sudo mv /etc/docker/daemon.json /tmp/dj; bash /opt/mlk/stages/docker.sh check; st=$?; sudo mv /tmp/dj /etc/docker/daemon.json; exit $st",
    );
    assert_ne!(st, 0);
    assert_eq!(
        out,
        ["/etc/docker/daemon.json does not hold the profile's registry mirrors"]
    );

    // The mirror wants a login: without it Docker falls back to docker.io and fails.
    let (st, out) = run(&node2, "sudo docker pull tiny:1 2>&1");
    assert_ne!(st, 0, "{out:?}");

    // The secrets stage (with every node connected) puts the login on the nodes.
    let runners: BTreeMap<String, Arc<dyn Runner>> = [
        (
            "node1".to_string(),
            Arc::new(lab.connect(1)) as Arc<dyn Runner>,
        ),
        (
            "node2".to_string(),
            Arc::new(lab.connect(2)) as Arc<dyn Runner>,
        ),
    ]
    .into();
    for r in runners.values() {
        run(
            r.as_ref(),
            "sudo mkdir -p /opt/mlk && sudo chown -R \"$(id -un)\" /opt/mlk",
        );
    }
    let cluster = tempfile::tempdir().unwrap();
    let log = Mutex::new(Vec::<String>::new());
    let log_fn = |l: &str| log.lock().unwrap().push(l.to_string());
    let ctx = HostCtx {
        profile: &p,
        stages: &mlk::plan::stages::build(&p),
        cluster_dir: cluster.path(),
        rendered: &rendered,
        runners: &runners,
        log: &log_fn,
    };
    let secrets = mlk::stages::host_stage(mlk::catalogue::HostWork::Secrets);
    assert!(!secrets.check(&ctx).unwrap());
    secrets.run(&ctx).unwrap();
    assert!(secrets.check(&ctx).unwrap(), "check after run");
    let (_, files) = run(
        &node2,
        "sudo stat -c '%a %U %n' /root/.docker/config.json /var/lib/kubelet/config.json; ls /opt/mlk/secrets",
    );
    assert_eq!(
        files[..2],
        [
            "600 root /root/.docker/config.json",
            "600 root /var/lib/kubelet/config.json"
        ]
    );
    assert!(
        !files.iter().any(|l| l.contains("registry-auth")),
        "{files:?}"
    );

    // Now the pull comes through the mirror, and the image is the one pushed there.
    let (st, pull) = run(&node2, "sudo docker pull tiny:1 2>&1");
    assert_eq!(st, 0, "{pull:?}");
    assert!(
        pull.iter().any(|l| l.contains("docker.io/library/tiny:1")),
        "{pull:?}"
    );
    let (st, out) = run(
        &node2,
        "sudo docker create --name mlk-probe tiny:1 /none >/dev/null && sudo docker cp mlk-probe:/hello.txt - | tar -xO",
    );
    assert_eq!((st, out), (0, vec!["mlk-mirror-ok".to_string()]));

    // A changed password is seen by check and repaired by run.
    std::fs::write(&pw_file, "another-password\n").unwrap();
    assert!(!secrets.check(&ctx).unwrap());
    std::fs::write(&pw_file, format!("{password}\n")).unwrap();
    assert!(secrets.check(&ctx).unwrap());

    // The password is in no rendered file, no log line, no stage output, nothing in the
    // cluster folder, and not in the diagnostics bundle of that folder.
    let logged = log.lock().unwrap().join("\n");
    assert!(
        logged.contains("registry logins for docker.io on node2"),
        "{logged}"
    );
    std::fs::write(
        cluster.path().join("mlk.log"),
        format!("{logged}\n{}\n{}\n", stage_out.join("\n"), pull.join("\n")),
    )
    .unwrap();
    mlk::render::write(&cluster.path().join("rendered"), &rendered).unwrap();
    let bundle = mlk::diagnose::write(cluster.path()).unwrap();
    assert!(bundle.exists());
    let b64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("mlk:{password}"),
    );
    let mut seen = 0;
    for (name, data) in everything_in(cluster.path()) {
        let text = String::from_utf8_lossy(&data);
        assert!(!text.contains(&password), "the password is in {name}");
        assert!(!text.contains(&b64), "the encoded login is in {name}");
        seen += 1;
    }
    assert!(seen > 10, "{seen} files scanned");
    for (path, text) in &rendered {
        assert!(!text.contains(&password) && !text.contains(&b64), "{path}");
    }
    assert!(!no_mirror.contains(&password) && !logged.contains(&password));
}
