//! A fleet of 3 clusters × 2 nodes on real sshd test hosts (6 nodes in network namespaces),
//! from one inventory, with a custom stage and the `secrets` stage (so each cluster has a
//! Rancher password): one cluster's first host is down, that cluster fails and the others
//! finish (exit 1, the failed cluster named); after `start-sshd`, `fleet up` runs only that
//! one; then `fleet status` exits 0 and the roster's 3 entries carry each cluster's password.
use crate::up::lab::Lab;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn mlk(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlk"))
        .arg("--dir")
        .arg(home)
        .args(["--progress", "never"])
        .args(args)
        .output()
        .unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn events(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

const CLUSTERS: [&str; 3] = ["lab-01", "lab-02", "lab-03"];

/// The lab's `Host nodeK` blocks renamed `Host lab-0I-nodeJ`: cluster I gets test hosts
/// 2I-1 and 2I (192.168.56.10 + ...), as the fleet's allocation would not matter here: ssh
/// fleets take each node's address from its HostName.
fn fleet_inventory(lab: &Lab) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(&lab.ssh_config).unwrap();
    for k in (1..=6).rev() {
        let (i, j) = ((k - 1) / 2 + 1, (k - 1) % 2 + 1);
        text = text.replace(
            &format!("Host node{k}\n"),
            &format!("Host lab-0{i}-node{j}\n"),
        );
    }
    let path = lab.tmp.path().join("fleet.cfg");
    std::fs::write(&path, text).unwrap();
    path
}

fn profile(lab: &Lab) -> std::path::PathBuf {
    let text = "apiVersion: mlk.io/v1alpha1\nkind: Profile\nname: course\nprovider: libvirt\nbox: {name: mlk/bookworm}\nnodes:\n  - {name: node1, ip: 192.168.56.10, cpus: 2, memory: 3072, roles: [controlplane, etcd, worker]}\n  - {name: node2, ip: 192.168.56.11, cpus: 2, memory: 3072, roles: [worker]}\ncomponents:\n  local-path: {enabled: false}\n  cert-manager: {enabled: true}\n  rancher: {enabled: true}\n  tick: {enabled: false}\n  kubeflow: {enabled: false}\nstages:\n  - {id: probe, after: os-prep, target: all-nodes, run: \"hostname > /tmp/mlk-probe\"}\n";
    let path = lab.tmp.path().join("course.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn fleet_of_three_on_test_hosts_isolates_a_failure_and_resumes_only_it() {
    let Some(lab) = Lab::up(6) else { return };
    let home = lab.tmp.path().join("mlk");
    let inv = fleet_inventory(&lab);
    let prof = profile(&lab);
    let roster = lab.tmp.path().join("students.csv");
    std::fs::write(
        &roster,
        "student,cluster,email\n\"Lovelace, Ada\",lab-01,ada@example.org\nAlan Turing,lab-02,\nGrace Hopper,lab-03,grace@example.org\n",
    )
    .unwrap();
    // Node 3 is lab-02's node1: its sshd is down for the first run.
    lab.ctl(&["kill-sshd", "3"]);
    let o = mlk(
        &home,
        &[
            "fleet",
            "up",
            "-p",
            prof.to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
            "--provider",
            "ssh",
            "--inventory",
            inv.to_str().unwrap(),
            "--only",
            "secrets,probe",
            "--retry-budget",
            "5",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).contains("fleet up: 1 of 3 cluster(s) failed: lab-02 (exit 4)"),
        "{}",
        err(&o)
    );
    let ev = events(&o);
    let end = |c: &str| {
        ev.iter()
            .find(|e| e["event"] == "cluster_end" && e["cluster"] == c)
            .unwrap_or_else(|| panic!("no cluster_end for {c}: {ev:?}"))
            .clone()
    };
    assert_eq!(end("lab-01")["status"], "done");
    assert_eq!(end("lab-03")["status"], "done");
    assert_eq!(
        (
            end("lab-02")["status"].clone(),
            end("lab-02")["exit_code"].clone()
        ),
        ("failed".into(), 4.into())
    );
    // The clusters' own events carry the cluster's name.
    let failed: Vec<&Value> = ev.iter().filter(|e| e["event"] == "stage_failed").collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(
        (failed[0]["cluster"].as_str(), failed[0]["stage"].as_str()),
        (Some("lab-02"), Some("probe"))
    );
    assert!(
        ev.iter()
            .any(|e| e["event"] == "run_end" && e["cluster"] == "lab-01" && e["exit_code"] == 0)
    );
    let fe = ev.last().unwrap();
    assert_eq!(fe["event"], "fleet_end");
    assert_eq!(fe["failed"][0]["cluster"], "lab-02");
    // Each cluster is a normal cluster: its own folder, state and profile with its addresses.
    for (i, c) in CLUSTERS.iter().enumerate() {
        let saved = std::fs::read_to_string(home.join(c).join("profile.yaml")).unwrap();
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&saved).unwrap();
        assert_eq!(v["name"], *c);
        assert_eq!(v["nodes"][1]["ip"], format!("192.168.56.{}", 11 + 2 * i));
    }
    assert_eq!(lab.ssh("node5", "cat /tmp/mlk-probe").trim(), "node5");

    let o = mlk(&home, &["fleet", "status"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(table.contains("lab-02   failed at probe"), "{table}");
    assert!(table.contains("2 of 3 cluster(s) up"), "{table}");

    // Back up: a rerun without flags starts only lab-02 and leaves the others alone.
    lab.ctl(&["start-sshd", "3"]);
    let before = std::fs::read_to_string(home.join("lab-01/state.json")).unwrap();
    let o = mlk(&home, &["fleet", "up", "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    let ev = events(&o);
    let started: Vec<&str> = ev
        .iter()
        .filter(|e| e["event"] == "cluster_start")
        .filter_map(|e| e["cluster"].as_str())
        .collect();
    assert_eq!(started, ["lab-02"]);
    assert_eq!(
        ev.last().unwrap()["already_up"],
        serde_json::json!(["lab-01", "lab-03"])
    );
    assert_eq!(
        before,
        std::fs::read_to_string(home.join("lab-01/state.json")).unwrap()
    );
    assert_eq!(lab.ssh("node3", "cat /tmp/mlk-probe").trim(), "node3");

    let o = mlk(&home, &["fleet", "status", "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    let st: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(st["all_up"], true);
    assert_eq!(
        st["clusters"][2]["dashboards"][0]["url"],
        "https://rancher.192.168.56.14.sslip.io"
    );

    // The roster: 3 entries whose passwords are the clusters' own secret files, all 0600.
    let out = lab.tmp.path().join("roster");
    let o = mlk(&home, &["fleet", "roster", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let csv = std::fs::read_to_string(out.join("index.csv")).unwrap();
    let rows = mlk::fleet::names::parse_csv(&csv).unwrap();
    assert_eq!(rows.len(), 4, "header + 3: {csv}");
    let mut seen = std::collections::HashSet::new();
    // The rerun kept who each cluster is for.
    let students: Vec<&str> = rows[1..].iter().map(|(_, r)| r[1].as_str()).collect();
    assert_eq!(students, ["Lovelace, Ada", "Alan Turing", "Grace Hopper"]);
    assert_eq!(rows[1].1[2], "ada@example.org");
    assert!(
        std::fs::read_to_string(out.join("lab-03.html"))
            .unwrap()
            .contains("For: Grace Hopper")
    );
    for (c, (_, row)) in CLUSTERS.iter().zip(&rows[1..]) {
        let secret =
            std::fs::read_to_string(home.join(c).join("secrets/rancher-bootstrap-password"))
                .unwrap();
        assert_eq!(row[0], *c);
        assert_eq!((row[4].as_str(), row[6].as_str()), ("Rancher", "admin"));
        assert_eq!(row[7], secret.trim_end(), "{c}");
        assert!(
            seen.insert(row[7].clone()),
            "each cluster has its own password"
        );
        let md = std::fs::read_to_string(out.join(format!("{c}.md"))).unwrap();
        assert!(md.contains(&format!("`{}`", secret.trim_end())), "{md}");
        let html = std::fs::read_to_string(out.join(format!("{c}.html"))).unwrap();
        assert!(html.contains(&format!("<code>{}</code>", secret.trim_end())));
    }
    use std::os::unix::fs::PermissionsExt;
    for e in std::fs::read_dir(&out).unwrap() {
        let m = e.unwrap().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(m, 0o600);
    }
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o700
    );

    // Down forgets every cluster's hosts (ssh), in parallel; again is a no-op; --purge deletes.
    let o = mlk(&home, &["fleet", "down", "-f"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = mlk(&home, &["fleet", "status"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("lab-03   destroyed"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(mlk(&home, &["fleet", "down", "-f"]).status.success());
    let o = mlk(&home, &["fleet", "stop"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "ssh hosts are not powered off: {}",
        err(&o)
    );
    let o = mlk(&home, &["fleet", "down", "-f", "--purge"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!home.join("lab-01").exists() && !home.join("fleets.d/lab").exists());
}
