//! The world of the end-to-end first-log-in tests (e2e.rs): one test host (sshd in a network
//! namespace, scripts/testhosts.sh) with a cluster folder as `mlk up` leaves it, a FAKE kubectl
//! on the node, and dnsmasq (Debian) in a network namespace of the test's own, which mlk runs
//! in through `ip netns exec`, so glibc's resolver reads that namespace's
//! /etc/netns/<ns>/resolv.conf. No query leaves the machine.
//!
//! **Fake:** the node's `kubectl` is a script answering mlk's calls with the recorded answers
//! of tests/fixtures/contracts/login (no Kubernetes API server can run here); the CA Secret's
//! JSONPath is evaluated by the real kubectl on the recorded Secret.
use super::{BOOTSTRAP, fixture};
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::remote::Runner;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const FAKE: &str = "/opt/mlk/fake";
pub const POD: &str = "rancher-6d8f9c7b5-abcde";

/// The FAKE kubectl: each call mlk makes, answered from $FAKE; any other call fails loudly.
fn fake_kubectl(real: &str) -> String {
    format!(
        r#"#!/bin/bash
# FAKE kubectl (tests/login/e2e.rs): mlk's calls answered with recorded answers.
F={FAKE}
REAL={real}
args="$*"
printf '%s\n' "$args" >>"$F/calls.log"
case "$args" in
  "get settings.management.cattle.io first-login -o json") cat "$F/setting.json" ;;
  "get users.management.cattle.io -l authz.management.cattle.io/bootstrapping=admin-user -o json") cat "$F/admins.json" ;;
  "-n cattle-local-user-passwords get secret user-x7k2p -o json") cat "$F/password.json" ;;
  "-n cert-manager get secret mlk-ca -o jsonpath="*)
    # The real kubectl evaluates mlk's JSONPath on the recorded Secret.
    KUBECONFIG=/dev/null exec "$REAL" patch --local --type merge -p '{{}}' -f "$F/ca-secret.json" -o "jsonpath=${{args#*-o jsonpath=}}" ;;
  "-n cattle-system get pods -l app=rancher --field-selector=status.phase=Running -o jsonpath={{.items[*].metadata.name}}")
    printf '%s' {POD} ;;
  "-n cattle-system exec {POD} -- reset-password")
    # As rancher's reset-password does: a new random password, stored as its PBKDF2 hash,
    # mustChangePassword set, and the two lines on stdout.
    pw=$(head -c 300 /dev/urandom | tr -dc 'A-Za-z0-9_-' | cut -c1-20)
    printf '%s' "$pw" >"$F/last-reset"
    /usr/bin/python3 - "$pw" "$F/password.json" <<'PY'
import base64, hashlib, json, os, sys
pw, path = sys.argv[1], sys.argv[2]
s = json.load(open(path))
salt = os.urandom(32)
s["data"] = {{"password": base64.b64encode(hashlib.pbkdf2_hmac("sha3_512", pw.encode(), salt, 210000, 32)).decode(),
             "salt": base64.b64encode(salt).decode()}}
json.dump(s, open(path, "w"))
PY
    cp "$F/admins-after-reset.json" "$F/admins.json"
    printf 'New password for default admin user (user-x7k2p):\n%s\n' "$pw" ;;
  "-n tick get service chronograf-chronograf -o jsonpath={{.spec.clusterIP}}"|"-n istio-system get service istio-ingressgateway -o jsonpath={{.spec.clusterIP}}")
    printf '127.0.0.1' ;;
  "-n tick get service chronograf-chronograf -o jsonpath={{.spec.clusterIP}} {{.spec.ports[0].port}}")
    printf '127.0.0.1 80' ;;
  *) echo "error: fake kubectl: unexpected call: $args" >&2; exit 1 ;;
esac
"#
    )
}

/// dnsmasq in a network namespace of its own: the dashboards' domain answered with `answer`
/// (None: NXDOMAIN). Removed on drop.
pub struct Dns {
    ns: String,
    child: Child,
}

impl Dns {
    pub fn start(domain: &str, answer: Option<&str>) -> Dns {
        let ns = format!("mlkdns{:06x}", rand::random::<u32>() & 0xff_ffff);
        let sh = |args: &[&str]| {
            let st = Command::new("ip").args(args).status().unwrap();
            assert!(st.success(), "ip {args:?}");
        };
        sh(&["netns", "add", &ns]);
        sh(&["-n", &ns, "link", "set", "lo", "up"]);
        let etc = PathBuf::from("/etc/netns").join(&ns);
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
        let mut args: Vec<String> = [
            "netns",
            "exec",
            &ns,
            "dnsmasq",
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--user=root",
            "--pid-file=",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(ip) = answer {
            args.push(format!("--address=/{domain}/{ip}"));
        }
        // `--address=/D/` with no address: NXDOMAIN for D (or NODATA for the other family).
        args.push(format!("--address=/{domain}/"));
        let child = Command::new("ip")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let dns = Dns { ns, child };
        let t0 = Instant::now();
        loop {
            let out = Command::new("ip")
                .args(["netns", "exec", &dns.ns, "ss", "-Hlun", "sport = :53"])
                .output()
                .unwrap();
            if !out.stdout.is_empty() {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "dnsmasq did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        dns
    }

    /// A command run inside the namespace.
    pub fn cmd(&self, program: &Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns]).arg(program);
        c
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
        let _ = std::fs::remove_dir_all(PathBuf::from("/etc/netns").join(&self.ns));
    }
}

/// One node, a cluster folder as `mlk up` leaves it (every stage done) and the fake kubectl.
pub struct World {
    pub hosts: TestHosts,
    pub node: mlk::remote::SshRunner,
    pub root: tempfile::TempDir,
    pub name: String,
    pub profile_file: PathBuf,
    pub profile: mlk::profile::Profile,
}

impl World {
    pub fn dir(&self) -> PathBuf {
        self.root.path().join(&self.name)
    }

    pub fn mlk(&self, dns: Option<&Dns>, args: &[&str]) -> Command {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_mlk"));
        let mut c = match dns {
            Some(d) => d.cmd(&bin),
            None => Command::new(&bin),
        };
        c.arg("--dir")
            .arg(self.root.path())
            .args(["--progress", "never"])
            .args(args);
        c
    }

    /// `mlk <cmd> -c CLUSTER ARGS`.
    pub fn run(&self, dns: Option<&Dns>, cmd: &[&str], args: &[&str]) -> Output {
        self.mlk(dns, cmd)
            .arg("-c")
            .arg(&self.name)
            .args(args)
            .output()
            .unwrap()
    }

    /// Puts recorded answers where the fake kubectl reads them.
    pub fn answers(&self, setting: &str, admins: &str, password: &str) {
        for (file, to) in [
            (setting, "setting.json"),
            (admins, "admins.json"),
            (password, "password.json"),
        ] {
            let data = std::fs::read(fixture(file)).unwrap();
            self.node
                .upload(&data, &format!("{FAKE}/{to}"), 0o644)
                .unwrap();
        }
    }

    pub fn domain(&self) -> String {
        self.profile.ingress.domain.clone()
    }

    pub fn ip(&self) -> String {
        mlk::login::ingress_address(&self.profile).to_string()
    }
}

pub fn setup() -> Option<World> {
    if !have_root("first log-in on a test host") {
        return None;
    }
    if !Path::new("/usr/sbin/dnsmasq").is_file() {
        assert!(
            std::env::var("CI").is_err(),
            "dnsmasq missing in CI (apt package dnsmasq-base)"
        );
        eprintln!("SKIP: /usr/sbin/dnsmasq missing (apt-get install dnsmasq-base)");
        return None;
    }
    let kubectl = crate::tools::find("kubectl")?;
    let hosts = TestHosts::up(1);
    let ep = hosts.endpoint(1);
    let node = hosts.connect(1);
    let root = tempfile::tempdir().unwrap();
    let name = format!("login-{:04x}", rand::random::<u16>());
    // One node at the test host's address, every add-on on (the sizes are mono's).
    let profile_file = root.path().join(format!("{name}.yaml"));
    std::fs::write(
        &profile_file,
        format!(
            "apiVersion: mlk.io/v1alpha1\nkind: Profile\nname: {name}\nprovider: libvirt\nbox: {{name: mlk/bookworm}}\nnodes:\n  - {{name: {}, ip: {}, cpus: 8, memory: 18432, roles: [controlplane, etcd, worker]}}\n",
            ep.name, ep.host
        ),
    )
    .unwrap();
    let src = mlk::profile::Source::resolve(profile_file.to_str().unwrap()).unwrap();
    let profile = mlk::profile::load(
        &src,
        &mlk::profile::Overrides::default(),
        &mlk::profile::validate::host_rules_from_env(),
    )
    .unwrap();
    // The cluster folder: the inventory, the secrets, every stage recorded done.
    let dir = root.path().join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(hosts.dir.join("ssh_config"), dir.join("ssh-config")).unwrap();
    std::fs::copy(&profile_file, dir.join("profile.yaml")).unwrap();
    super::secrets(&dir, Some(BOOTSTRAP), None);
    for f in [
        mlk::stages::secrets::INFLUXDB,
        mlk::stages::secrets::KUBEFLOW_DEX,
    ] {
        let p = mlk::stages::secrets::path(&dir, f);
        mlk::fsutil::write_atomic(&p, b"x2Yc8Qz1w3Er5Ty7Ui9Op0As", Some(0o600)).unwrap();
    }
    let store = mlk::state::Store::open(&dir, &name).unwrap();
    for st in mlk::plan::stages::build(&profile) {
        let targets = if st.nodes.is_empty() {
            vec![mlk::state::HOST.to_string()]
        } else {
            st.nodes.clone()
        };
        for t in targets {
            let rec = mlk::state::Record {
                status: mlk::state::Status::Done,
                started: None,
                ended: None,
                input_hash: "recorded-by-the-test".into(),
                message: None,
            };
            store.set(st.id.as_str(), &t, rec).unwrap();
        }
    }
    // The node: the fake kubectl where the stages' PATH finds it, the recorded answers.
    let (st, out) = run(
        &node,
        &format!("sudo mkdir -p /opt/mlk/bin {FAKE} && sudo chown -R \"$(id -un)\" /opt/mlk"),
    );
    assert_eq!(st, 0, "{out:?}");
    let real = std::fs::canonicalize(&kubectl).unwrap();
    let real = real.to_str().unwrap().to_string();
    let (st, _) = run(&node, &format!("test -x {real}"));
    let real = if st == 0 {
        real
    } else {
        // This node's root does not show the host's copy: bring one.
        let target = "/opt/mlk/bin/kubectl-real";
        node.upload(&std::fs::read(&real).unwrap(), target, 0o755)
            .unwrap();
        target.to_string()
    };
    node.upload(
        fake_kubectl(&real).as_bytes(),
        "/opt/mlk/bin/kubectl",
        0o755,
    )
    .unwrap();
    for f in ["ca-secret.json", "admins-after-reset.json"] {
        node.upload(
            &std::fs::read(fixture(f)).unwrap(),
            &format!("{FAKE}/{f}"),
            0o644,
        )
        .unwrap();
    }
    Some(World {
        hosts,
        node,
        root,
        name,
        profile_file,
        profile,
    })
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&o.stdout), text(&o.stderr)))
}

/// The text with its wrapping folded, for phrases that may span lines.
pub fn flat(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn assert_ca_file(dir: &Path) {
    let file = mlk::login::ca::path(dir);
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("CA:TRUE"));
    let pem = std::fs::read_to_string(&file).unwrap();
    assert!(!pem.contains("PRIVATE KEY"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644
    );
}
