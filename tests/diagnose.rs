//! The diagnostics bundle: built by the real `mlk diagnose` from a cluster folder with planted
//! secrets, unpacked with the real `tar`, and searched for every secret.
use std::path::{Path, PathBuf};
use std::process::Command;

/// Secrets planted in the inputs; none may appear in the unpacked bundle.
const FILE_SECRET: &str = "Zq8-planted-bootstrap-7Hw2";
const LOG_PASSWORD: &str = "hunter2-planted-LOG";
const TOKEN: &str = "kubeadm-tok3n-planted-abcdef";
const KEY_DATA: &str = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpwbGFudGVk";
const PEM_BODY: &str = "MIIEpAIBAAKCAQEAplantedPEMbodyLineThatMustNotLeak";

pub fn mlk() -> PathBuf {
    assert_cmd::cargo::cargo_bin("mlk")
}

/// Unpacks `bundle` with the system tar into a new temp dir; returns (dir, top folder).
pub fn unpack(bundle: &Path) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let st = Command::new("tar")
        .arg("xzf")
        .arg(bundle)
        .arg("-C")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(st.success(), "tar xzf {}", bundle.display());
    let top = std::fs::read_dir(out.path())
        .unwrap()
        .next()
        .expect("one folder in the bundle")
        .unwrap()
        .path();
    (out, top)
}

/// Every file under `dir` with its text.
pub fn all_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let t = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                v.push((p, t));
            }
        }
    }
    v
}

fn plant(cluster: &Path) {
    std::fs::create_dir_all(cluster.join("secrets")).unwrap();
    std::fs::create_dir_all(cluster.join("rendered/stages")).unwrap();
    std::fs::write(
        cluster.join("secrets/rancher-bootstrap-password"),
        format!("{FILE_SECRET}\n"),
    )
    .unwrap();
    let log = format!(
        "2026-11-23T10:00:00Z node1 rke-up | INFO[0016] [addons] Executing deploy job rke-network-plugin\n\
2026-11-23T10:00:01Z node1 rke-up | FATA[0051] Failed to get job complete status for job rke-network-plugin-deploy-job in namespace kube-system\n\
2026-11-23T10:00:02Z node1 rancher | using bootstrap {FILE_SECRET} from file\n\
2026-11-23T10:00:03Z node1 tick | influx -username admin -password={LOG_PASSWORD}\n\
2026-11-23T10:00:04Z node1 boom | kubeadm join --token: {TOKEN}\n"
    );
    std::fs::write(cluster.join("mlk.log"), log).unwrap();
    std::fs::write(
        cluster.join("state.json"),
        r#"{"format":1,"cluster":"c1","stages":{"rke-up":{"node1":{"status":"failed","input_hash":"ab"}}}}"#,
    )
    .unwrap();
    std::fs::write(
        cluster.join("rendered/stages/rancher.sh"),
        "PASSWORD_FILE=\"$MLK_DIR/secrets/rancher-bootstrap-password\"\nhelm install --set-file \"bootstrapPassword=$PASSWORD_FILE\"\n",
    )
    .unwrap();
    std::fs::write(
        cluster.join("rendered/leaked.yaml"),
        format!(
            "users:\n- name: admin\n  user:\n    client-key-data: {KEY_DATA}\nbootstrapPassword: \"{FILE_SECRET}x\"\nkey: |\n  -----BEGIN RSA PRIVATE KEY-----\n  {PEM_BODY}\n  -----END RSA PRIVATE KEY-----\n"
        ),
    )
    .unwrap();
}

#[test]
fn bundle_has_the_pieces_and_no_secret() {
    let home = tempfile::tempdir().unwrap();
    let cluster = home.path().join("c1");
    plant(&cluster);
    // A kubeconfig pointing at a closed loopback port: kubectl runs and fails, and that
    // failure is recorded in the bundle instead of failing it.
    std::fs::write(
        cluster.join("kubeconfig"),
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"https://127.0.0.1:1\"}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: {TOKEN}}}\n"),
    )
    .unwrap();
    let out = Command::new(mlk())
        .args(["--dir", home.path().to_str().unwrap(), "diagnose"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(path.starts_with(&cluster), "{}", path.display());
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("diagnostics-") && name.ends_with(".tar.gz"),
        "{name}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Written atomically: no temp file left next to it.
    let leftovers: Vec<_> = std::fs::read_dir(&cluster)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".mlk-tmp-"))
        .collect();
    assert!(leftovers.is_empty());

    let (_tmp, top) = unpack(&path);
    let files = all_files(&top);
    let names: Vec<String> = files
        .iter()
        .map(|(p, _)| p.strip_prefix(&top).unwrap().display().to_string())
        .collect();
    for want in [
        "mlk.log",
        "rke-up.log",
        "state.json",
        "rendered/stages/rancher.sh",
        "rendered/leaked.yaml",
        "NOTES.txt",
        "host.txt",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    for (p, text) in &files {
        for secret in [FILE_SECRET, LOG_PASSWORD, TOKEN, KEY_DATA, PEM_BODY] {
            assert!(
                !text.contains(secret),
                "{} leaks {secret}:\n{text}",
                p.display()
            );
        }
    }
    let get = |n: &str| &files.iter().find(|(p, _)| p.ends_with(n)).unwrap().1;
    // Redacted, not dropped: the lines are still there to read.
    assert!(
        get("mlk.log").contains("-password=[REDACTED]"),
        "{}",
        get("mlk.log")
    );
    assert!(get("mlk.log").contains("using bootstrap [REDACTED] from file"));
    assert!(get("leaked.yaml").contains("[REDACTED PRIVATE KEY]"));
    // References to secret files are kept: they name a secret, they are not one.
    assert!(
        get("rancher.sh").contains("bootstrapPassword=$PASSWORD_FILE"),
        "{}",
        get("rancher.sh")
    );
    assert!(get("rke-up.log").contains("rke-network-plugin-deploy-job"));
    // The known-error advice for what the log shows.
    assert!(
        get("advice.txt").contains("[RKE_ADDON_JOB_TIMEOUT]"),
        "{}",
        get("advice.txt")
    );
    assert!(!get("rke-up.log").contains("tick |"));
    // An RKE cluster: NOTES.txt names the Docker containers' logs on the nodes.
    assert!(
        get("NOTES.txt").contains("node logs (RKE)")
            && get("NOTES.txt").contains("docker logs --tail 300 kubelet"),
        "{}",
        get("NOTES.txt")
    );
    let notes = get("NOTES.txt");
    assert!(
        notes.contains("vagrant: no .vagrant machine folder"),
        "{notes}"
    );
    assert!(
        notes.contains("cluster.rkestate: never included"),
        "{notes}"
    );
    // kubectl ran (and failed against the closed port); or, where it is absent, a note says so.
    let ran = names.iter().any(|n| n == "kubectl-get-nodes-pods.txt");
    assert!(
        ran || notes.contains("kubectl-get-nodes-pods.txt: `kubectl"),
        "{names:?}\n{notes}"
    );
    if ran {
        assert!(get("kubectl-get-nodes-pods.txt").contains("127.0.0.1:1"));
    }
}

#[test]
fn diagnose_names_the_clusters_when_it_cannot_choose() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("a")).unwrap();
    std::fs::create_dir_all(home.path().join("b")).unwrap();
    let out = Command::new(mlk())
        .args(["--dir", home.path().to_str().unwrap(), "diagnose"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 clusters") && err.contains("--cluster NAME"),
        "{err}"
    );
    let names: Vec<&str> = err
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.contains(&"a") && names.contains(&"b"), "{err}");
}

#[test]
fn redactor_masks_values_and_patterns() {
    use mlk::diagnose::redact::Redactor;
    let mut r = Redactor::default();
    r.learn("s3cr3t-value\nsecond-line-secret\n");
    let text = "a s3cr3t-value b second-line-secret c password: abc123 token=xyz789 Authorization: Bearer eyJhbGciOi.planted";
    let red = r.redact(text);
    for s in [
        "s3cr3t-value",
        "second-line-secret",
        "abc123",
        "xyz789",
        "eyJhbGciOi.planted",
    ] {
        assert!(!red.contains(s), "{s} in {red}");
    }
    // A key whose value is on the next lines (YAML mapping) does not swallow that line.
    let yaml = "rancher:\n  password:\n    existing: keep-this-line\n";
    assert_eq!(r.redact(yaml), yaml);
    assert_eq!(
        r.redact("no secrets here: 192.168.56.10 node1"),
        "no secrets here: 192.168.56.10 node1"
    );
}

#[test]
fn vagrant_status_and_ssh_config_of_a_vagrant_cluster() {
    let home = tempfile::tempdir().unwrap();
    let cluster = home.path().join("v1");
    let yaml = mlk::profile::embedded_source("mono")
        .unwrap()
        .replace("name: mono", "name: v1")
        .replace("provider: virtualbox", "provider: libvirt");
    let file = home.path().join("v1.yaml");
    std::fs::write(&file, yaml).unwrap();
    let st = Command::new(mlk())
        .args(["render", "-p", file.to_str().unwrap(), "--out"])
        .arg(cluster.join("rendered"))
        .output()
        .unwrap();
    assert!(st.status.success());
    // The machine folder `vagrant up` leaves next to the Vagrantfile (no machine created yet).
    std::fs::create_dir_all(cluster.join("rendered/.vagrant/machines")).unwrap();
    let out = Command::new(mlk())
        .args([
            "--dir",
            home.path().to_str().unwrap(),
            "diagnose",
            "--cluster",
            "v1",
        ])
        .env("VAGRANT_HOME", home.path().join("vagrant-home"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_tmp, top) = unpack(Path::new(String::from_utf8_lossy(&out.stdout).trim()));
    let notes = std::fs::read_to_string(top.join("NOTES.txt")).unwrap();
    let have_vagrant = Command::new("vagrant").arg("--version").output().is_ok();
    if have_vagrant {
        // Real vagrant ran in the machine folder's directory; its answer (machine states, or
        // its error when no provider is usable) is in the bundle, whatever it was.
        let status = std::fs::read_to_string(top.join("vagrant-status.txt")).unwrap();
        assert!(
            status.starts_with("$ vagrant status --machine-readable"),
            "{status}"
        );
        assert!(
            status.contains("node1") || status.contains("error-exit"),
            "{status}"
        );
        assert!(top.join("vagrant-ssh-config.txt").is_file());
    } else {
        assert!(
            notes.contains("vagrant-status.txt: `vagrant status"),
            "{notes}"
        );
    }
    // Vagrant's machine folder (private keys) is never copied.
    assert!(
        !all_files(&top)
            .iter()
            .any(|(p, _)| p.to_string_lossy().contains(".vagrant"))
    );
}

/// An RKE2 cluster (its saved profile says `distribution: rke2`): the bundle carries the
/// rke2-up stage's output, and NOTES.txt names RKE2's node logs (the units' journal, the
/// embedded containerd's log), not RKE's Docker containers.
#[test]
fn rke2_bundle_takes_the_rke2_up_stage_and_names_its_node_logs() {
    let home = tempfile::tempdir().unwrap();
    let cluster = home.path().join("c2");
    std::fs::create_dir_all(&cluster).unwrap();
    std::fs::write(
        cluster.join("profile.yaml"),
        "name: c2\nkubernetes:\n  distribution: rke2\n",
    )
    .unwrap();
    std::fs::write(
        cluster.join("mlk.log"),
        "2026-11-30T10:00:00Z node1 rke2-up | systemctl start rke2-server failed with status 1 on node1\n\
2026-11-30T10:00:01Z node1 kubeconfig | not reached\n",
    )
    .unwrap();
    let out = Command::new(mlk())
        .args(["--dir", home.path().to_str().unwrap(), "diagnose"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_tmp, top) = unpack(Path::new(String::from_utf8_lossy(&out.stdout).trim()));
    let stage = std::fs::read_to_string(top.join("rke2-up.log")).unwrap();
    assert!(stage.contains("rke2-server failed"), "{stage}");
    assert!(!stage.contains("not reached"), "{stage}");
    assert!(!top.join("rke-up.log").exists());
    let notes = std::fs::read_to_string(top.join("NOTES.txt")).unwrap();
    for want in [
        "node logs (RKE2)",
        "journalctl -u rke2-server -u rke2-agent",
        "/var/lib/rancher/rke2/agent/containerd/containerd.log",
    ] {
        assert!(notes.contains(want), "{want} not in\n{notes}");
    }
    assert!(!notes.contains("docker logs"), "{notes}");
}
