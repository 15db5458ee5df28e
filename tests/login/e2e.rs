//! The first log-in as a student meets it, end to end on a test host (world.rs): `mlk status`
//! (text and JSON) and the summary `mlk up` prints, with the dashboards' names resolving or
//! not (a real dnsmasq) and Rancher before setup, after a password change and after a reset;
//! `mlk open` through its port-forward to a real HTTP server (python3 -m http.server) on the
//! node's port 80; `mlk rancher reset-password` on a terminal and on a pipe.
use super::BOOTSTRAP;
use super::world::{Dns, FAKE, POD, assert_ca_file, flat, json, setup, text};
use crate::ssh_support::run;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
        format!("http://{}/", w.profile.ingress.chronograf.as_str())
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
    // The summary `mlk up` prints at its end says the same.
    let o = w
        .mlk(Some(&dns), &["up"])
        .arg("--profile")
        .arg(&w.profile_file)
        .args(["--provider", "ssh", "--inventory"])
        .arg(w.hosts.dir.join("ssh_config"))
        .args(["--only", "summary", "--skip-preflight"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let up = text(&o.stdout);
    assert!(
        up.contains("DASHBOARD") && up.contains(&format!("      {line}\n")),
        "{up}"
    );
    assert!(up.contains("hint [RANCHER_LOGIN_REJECTED]"), "{up}");

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
        c.arg("-c").arg(&w.name).arg("--no-browser");
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
        "{} --dir {} --progress never rancher reset-password -c {}",
        env!("CARGO_BIN_EXE_mlk"),
        w.root.path().display(),
        w.name
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
