//! The first log-in as a student meets it, on a real test host (sshd in a network namespace,
//! scripts/testhosts.sh) and with names resolved by a real DNS server: dnsmasq (Debian) in a
//! network namespace of the test's own, which mlk runs in through `ip netns exec`, so glibc's
//! resolver reads that namespace's /etc/netns/<ns>/resolv.conf. No query leaves the machine.
//!
//! **Fake:** the node's `kubectl` is a script answering mlk's calls with the recorded answers
//! of tests/fixtures/contracts/login (no Kubernetes API server can run here); the CA Secret's
//! JSONPath is evaluated by the real kubectl on the recorded Secret. Behind `mlk open`'s
//! port-forward is a real HTTP server (python3 -m http.server) on the node's port 80.
use super::{BOOTSTRAP, fixture};
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::remote::Runner;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const FAKE: &str = "/opt/mlk/fake";
const POD: &str = "rancher-6d8f9c7b5-abcde";

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
  *) echo "error: fake kubectl: unexpected call: $args" >&2; exit 1 ;;
esac
"#
    )
}

/// dnsmasq in a network namespace of its own: the dashboards' domain answered with `answer`
/// (None: NXDOMAIN). Removed on drop.
struct Dns {
    ns: String,
    child: Child,
}

impl Dns {
    fn start(domain: &str, answer: Option<&str>) -> Dns {
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
    fn cmd(&self, program: &Path) -> Command {
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
struct World {
    hosts: TestHosts,
    node: mlk::remote::SshRunner,
    root: tempfile::TempDir,
    name: String,
    profile_file: PathBuf,
    profile: mlk::profile::Profile,
}

impl World {
    fn dir(&self) -> PathBuf {
        self.root.path().join(&self.name)
    }

    fn mlk(&self, dns: Option<&Dns>, args: &[&str]) -> Command {
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

    /// `mlk <cmd> --profile FILE ARGS`.
    fn run(&self, dns: Option<&Dns>, cmd: &[&str], args: &[&str]) -> Output {
        self.mlk(dns, cmd)
            .arg("--profile")
            .arg(&self.profile_file)
            .args(args)
            .output()
            .unwrap()
    }

    /// Puts recorded answers where the fake kubectl reads them.
    fn answers(&self, setting: &str, admins: &str, password: &str) {
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

    fn domain(&self) -> String {
        mlk::profile::get(&self.profile.ingress.domain).to_string()
    }

    fn ip(&self) -> String {
        mlk::login::ingress_address(&self.profile).to_string()
    }
}

fn setup() -> Option<World> {
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
            store.set(&st.id, &t, rec).unwrap();
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

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&o.stdout), text(&o.stderr)))
}

/// The text with its wrapping folded, for phrases that may span lines.
fn flat(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_ca_file(dir: &Path) {
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

/// Names resolve, Rancher is not set up: `mlk status` (JSON and text) and the summary that
/// `mlk up` prints say so, point at the bootstrap file with the setup page's choices, export
/// the CA and say how to trust it; `mlk open` goes straight to the name.
#[test]
fn status_and_summary_when_names_resolve_and_rancher_awaits_setup() {
    let Some(w) = setup() else { return };
    w.answers(
        "setting-fresh.json",
        "admins.json",
        "password-bootstrap.json",
    );
    let dns = Dns::start(&w.domain(), Some(&w.ip()));
    let o = w.run(Some(&dns), &["status"], &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = json(&o);
    assert_eq!(v["dns_ok"], true, "{v:#}");
    assert!(v.get("hosts_line").is_none());
    let ids: Vec<&str> = v["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["rancher", "chronograf", "kubeflow"]);
    for d in v["dashboards"].as_array().unwrap() {
        assert_eq!(d["dns"]["status"], "resolves", "{d:#}");
        assert_eq!(d["dns"]["addresses"][0].as_str(), Some(w.ip().as_str()));
        let host = d["dns"]["host"].as_str().unwrap();
        assert!(host.ends_with(&w.domain()), "{host}");
        assert!(d["url"].as_str().unwrap().ends_with(host));
    }
    let dir = w.dir();
    let bootstrap = Path::new(&mlk::stages::secrets::path(
        &dir,
        mlk::stages::secrets::RANCHER,
    ))
    .to_path_buf();
    assert_eq!(v["rancher"]["state"], "not-set-up");
    assert_eq!(v["rancher"]["bootstrap_password"], "accepted");
    assert_eq!(v["rancher"]["password_file"].as_str(), bootstrap.to_str());
    assert_eq!(
        v["dashboards"][0]["password_file"].as_str(),
        bootstrap.to_str()
    );
    assert_eq!(v["dashboards"][1]["password_file"], Value::Null);
    assert_eq!(v["ca"]["exported"], true, "{v:#}");
    assert_ca_file(&dir);
    assert_eq!(v["influxdb"]["database"], "telegraf");
    assert_eq!(
        v["influxdb"]["password_file"].as_str(),
        mlk::stages::secrets::path(&dir, mlk::stages::secrets::INFLUXDB).to_str()
    );
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("rancher-login.json")).unwrap())
            .unwrap();
    assert_eq!(record["bootstrap_password"], "accepted");

    // The same as text.
    let o = w.run(Some(&dns), &["status"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    let f = flat(&t);
    assert!(
        f.contains(&format!(
            "Rancher: not set up yet. Log in as admin with the password in {}",
            bootstrap.display()
        )),
        "{t}"
    );
    assert!(
        f.contains(&format!("\"{}\"", mlk::login::text::EULA)),
        "{t}"
    );
    assert!(
        f.contains(&format!("choose \"{}\"", mlk::login::text::USE_MANUAL)),
        "{t}"
    );
    assert!(
        f.contains(&format!(
            "Names: every dashboard name resolves to {}",
            w.ip()
        )),
        "{t}"
    );
    assert!(
        f.contains(&mlk::login::ca::path(&dir).display().to_string()),
        "{t}"
    );
    assert!(
        t.contains("update-ca-certificates")
            && t.contains("Import-Certificate")
            && t.contains("add-trusted-cert"),
        "{t}"
    );
    assert!(f.contains("Chronograf: no log-in of its own"), "{t}");
    assert!(f.contains("database telegraf"), "{t}");
    assert!(!t.contains(BOOTSTRAP), "a password reached the output");

    // `mlk up` runs the summary stage and prints it: a `summary` event with --json.
    let o = w
        .mlk(Some(&dns), &["up"])
        .arg("--profile")
        .arg(&w.profile_file)
        .args(["--provider", "ssh", "--inventory"])
        .arg(w.hosts.dir.join("ssh_config"))
        .args(["--only", "summary", "--skip-preflight", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let events: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let s = events
        .iter()
        .find(|e| e["event"] == "summary")
        .unwrap_or_else(|| panic!("no summary event: {events:?}"));
    assert_eq!(s["dns_ok"], true);
    assert_eq!(s["rancher"]["state"], "not-set-up");
    assert_eq!(s["dashboards"].as_array().unwrap().len(), 3);
    let log = std::fs::read_to_string(dir.join("mlk.log")).unwrap();
    assert!(log.contains("summary | DASHBOARD"), "{log}");
    assert!(!log.contains(BOOTSTRAP));

    // The name resolves: `mlk open` gives the ingress URL, no forward.
    let o = w.run(Some(&dns), &["open", "chronograf"], &["--no-browser"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout).trim(),
        format!(
            "http://{}/",
            mlk::profile::get(&w.profile.ingress.chronograf)
        )
    );
}

/// Names do not resolve (NXDOMAIN) and the student already chose a password: status says
/// which names fail, the hosts-file line and the domain override, that the bootstrap file is
/// used up (with the rejected-log-in hint), and records it; `mlk open` falls back to a
/// port-forward that carries real HTTP from the node.
#[test]
fn status_and_open_when_names_fail_and_the_bootstrap_password_is_used_up() {
    let Some(w) = setup() else { return };
    w.answers(
        "setting-after-setup.json",
        "admins.json",
        "password-chosen.json",
    );
    let dns = Dns::start(&w.domain(), None);
    let o = w.run(Some(&dns), &["status"], &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = json(&o);
    assert_eq!(v["dns_ok"], false);
    let hosts: Vec<String> = v["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["dns"]["status"], "fails", "{d:#}");
            d["dns"]["host"].as_str().unwrap().to_string()
        })
        .collect();
    let line = format!("{} {}", w.ip(), hosts.join(" "));
    assert_eq!(v["hosts_line"].as_str(), Some(line.as_str()));
    assert_eq!(v["hosts_file"], "/etc/hosts");
    assert_eq!(v["rancher"]["state"], "set-up");
    assert_eq!(v["rancher"]["bootstrap_password"], "used");
    assert_eq!(v["rancher"]["password_file"], Value::Null);
    assert_eq!(v["dashboards"][0]["password_file"], Value::Null);
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(w.dir().join("rancher-login.json")).unwrap())
            .unwrap();
    assert_eq!(record["bootstrap_password"], "used");

    let o = w.run(Some(&dns), &["status"], &[]);
    let t = text(&o.stdout);
    let f = flat(&t);
    assert!(
        t.contains(&format!("      {line}\n")),
        "the hosts line:\n{t}"
    );
    assert!(f.contains("add this line to /etc/hosts"), "{t}");
    assert!(f.contains("`ingress: {domain: NAME}`"), "{t}");
    assert!(f.contains("mlk open rancher|chronograf|kubeflow"), "{t}");
    assert!(
        f.contains(&format!("{} does not resolve to {}", hosts[0], w.ip())),
        "{t}"
    );
    assert!(
        f.contains("is used up: Rancher no longer accepts it"),
        "{t}"
    );
    assert!(t.contains("hint [RANCHER_LOGIN_REJECTED]"), "{t}");
    assert!(t.contains("(the one you chose)"), "{t}");

    // A real HTTP server on the node's port 80 (where the fake kubectl's ClusterIP points).
    let (st, out) = run(
        &w.node,
        "mkdir -p /tmp/www && head -c 3000000 /dev/urandom >/tmp/www/big.bin && echo hello-from-the-node >/tmp/www/hello.txt && \
         (sudo setsid /usr/bin/python3 -m http.server 80 --bind 127.0.0.1 --directory /tmp/www >/tmp/www.log 2>&1 </dev/null &) && \
         for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/80) 2>/dev/null && break; sleep 0.1; done; sha256sum </tmp/www/big.bin",
    );
    assert_eq!(st, 0, "{out:?}");
    let want = out
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    for (name, extra) in [("chronograf", None), ("kubeflow", Some("--forward"))] {
        let mut c = w.mlk(Some(&dns), &["open", name]);
        c.arg("--profile").arg(&w.profile_file).arg("--no-browser");
        if let Some(e) = extra {
            c.arg(e);
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        let url = url.trim().to_string();
        let port = url
            .strip_prefix("http://localhost:")
            .and_then(|r| r.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{name}: URL {url:?}"));
        // The listener lives in the namespace mlk runs in: so does the client.
        let curl = Path::new("/usr/bin/curl");
        let get = |path: &str| {
            dns.cmd(curl)
                .args(["-fsS", "--max-time", "30"])
                .arg(format!("http://127.0.0.1:{port}/{path}"))
                .output()
                .unwrap()
        };
        let hello = get("hello.txt");
        assert!(hello.status.success(), "{}", text(&hello.stderr));
        assert_eq!(text(&hello.stdout), "hello-from-the-node\n");
        // Two transfers at once, each on its own SSH session, each byte carried.
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| get("big.bin"));
            let b = s.spawn(|| get("big.bin"));
            (a.join().unwrap(), b.join().unwrap())
        });
        for r in [a, b] {
            assert!(r.status.success(), "{}", text(&r.stderr));
            let got = mlk_sha256(&r.stdout);
            assert_eq!(got, want, "{name}: the forwarded file differs");
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        if extra.is_none() {
            assert!(err.contains("does not resolve"), "{err}");
        }
        assert!(err.contains("through node1"), "{err}");
    }
    let (_, calls) = run(&w.node, &format!("cat {FAKE}/calls.log"));
    assert!(
        calls.iter().any(|c| c == "-n tick get service chronograf-chronograf -o jsonpath={.spec.clusterIP}"),
        "{calls:?}"
    );
}

fn mlk_sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// `mlk rancher reset-password` runs the exact reset command on the node, stores the new
/// password 0600, prints it only on a terminal (once), never into logs or other output; then
/// status finds that file opens admin and that Rancher will ask for a new password.
#[test]
fn reset_password_shows_it_once_on_a_terminal_and_status_follows() {
    let Some(w) = setup() else { return };
    w.answers(
        "setting-after-setup.json",
        "admins.json",
        "password-chosen.json",
    );
    let dir = w.dir();
    let file = mlk::stages::secrets::path(&dir, mlk::login::rancher::RESET_FILE);
    // stdout not a terminal: not printed.
    let o = w.run(None, &["rancher", "reset-password"], &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (_, pw) = run(&w.node, &format!("cat {FAKE}/last-reset"));
    let pw = pw.concat();
    assert_eq!(pw.len(), 20, "{pw}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pw);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!text(&o.stdout).contains(&pw) && !text(&o.stderr).contains(&pw));
    assert!(
        text(&o.stderr).contains("not printed"),
        "{}",
        text(&o.stderr)
    );
    let (_, calls) = run(&w.node, &format!("cat {FAKE}/calls.log"));
    assert!(
        calls.contains(&format!("-n cattle-system exec {POD} -- reset-password")),
        "{calls:?}"
    );
    // On a terminal (script(1) gives it one): printed exactly once.
    let cmd = format!(
        "{} --dir {} --progress never rancher reset-password --profile {}",
        env!("CARGO_BIN_EXE_mlk"),
        w.root.path().display(),
        w.profile_file.display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stdout));
    let (_, pw) = run(&w.node, &format!("cat {FAKE}/last-reset"));
    let pw = pw.concat();
    assert_eq!(
        text(&o.stdout).matches(&pw).count(),
        1,
        "{}",
        text(&o.stdout)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pw);
    // Nothing else in the cluster folder holds it.
    for e in walk(&dir) {
        if e != file {
            let data = std::fs::read(&e).unwrap_or_default();
            assert!(
                !text(&data).contains(&pw),
                "{} holds the password",
                e.display()
            );
        }
    }
    // Status: the reset file opens admin; the next log-in asks for a new password.
    let dns = Dns::start(&w.domain(), Some(&w.ip()));
    let o = w.run(Some(&dns), &["status"], &["--json"]);
    let v = json(&o);
    assert_eq!(v["rancher"]["reset_password"], "accepted", "{v:#}");
    assert_eq!(v["rancher"]["must_change_password"], true);
    assert_eq!(v["rancher"]["password_file"].as_str(), file.to_str());
    let o = w.run(Some(&dns), &["status"], &[]);
    let f = flat(&text(&o.stdout));
    assert!(
        f.contains(&format!(
            "The password in {} still opens admin",
            file.display()
        )),
        "{f}"
    );
    assert!(
        f.contains(&format!(
            "choose \"{}\" there",
            mlk::login::text::USE_MANUAL
        )),
        "{f}"
    );
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
