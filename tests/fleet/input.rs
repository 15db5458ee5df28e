//! Bad fleet input is exit 2 with the place named: a roster CSV's line, a duplicate name.
use std::process::{Command, Output};

fn mlk(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlk"))
        .arg("--dir")
        .arg(home)
        .args(args)
        .output()
        .unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_roster_and_duplicate_names_exit_2_naming_the_line() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("mlk");
    let csv = t.path().join("students.csv");
    let cases: [(&str, &str); 5] = [
        (
            "cluster,student\nada,Ada\nbob,Bob\nada,Ada again\n",
            "students.csv:4: cluster `ada` is given twice (first at line 2)",
        ),
        (
            "cluster,student\nada,Ada\nBob Smith,Bob\n",
            "students.csv:3: cluster: `Bob Smith` is not a cluster name",
        ),
        (
            "cluster,student\nada,Ada,extra\n",
            "students.csv:2: 3 field(s), but the header has 2",
        ),
        (
            "name,student\nada,Ada\n",
            "students.csv:1: column 1 `name` is not one mlk knows",
        ),
        (
            "cluster,student\n\"ada,Ada\n",
            "students.csv:2: a quoted field is not closed",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&csv, text).unwrap();
        for cmd in ["plan", "up"] {
            let o = mlk(
                &home,
                &[
                    "fleet",
                    cmd,
                    "-p",
                    "mono",
                    "--roster",
                    csv.to_str().unwrap(),
                ],
            );
            assert_eq!(o.status.code(), Some(2), "{cmd} {text:?}: {}", err(&o));
            assert!(err(&o).contains(want), "{cmd} {text:?}: {}", err(&o));
        }
    }
    let o = mlk(
        &home,
        &[
            "fleet", "plan", "-p", "mono", "--names", "ada,bob", "--names", "ada",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains(
            "--names item 3: cluster name `ada` is given twice (first at --names item 1)"
        ),
        "{}",
        err(&o)
    );
    // Nothing was recorded or created by the refused commands.
    assert!(!home.join("fleets.d/lab/fleet.json").exists());
    assert!(!home.join("ada").exists());
}

#[test]
fn a_fleet_that_does_not_fit_is_refused_with_the_numbers() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("mlk");
    // 60 mono clusters: 1080 GiB and 480 vCPUs, beyond any CI machine.
    let o = mlk(&home, &["fleet", "plan", "-p", "mono", "--count", "60"]);
    assert_eq!(o.status.code(), Some(5), "{}", err(&o));
    assert!(
        err(&o).contains("60 clusters × 18.0 GiB = 1080.0 GiB of VMs, this host has"),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("60 clusters × 8 vCPUs = 480 vCPUs"),
        "{}",
        err(&o)
    );
    // The range: 2 clusters of 3 nodes in a /30.
    let o = mlk(
        &home,
        &[
            "fleet",
            "plan",
            "-p",
            "distributed",
            "--count",
            "2",
            "--provider",
            "libvirt",
            "--network",
            "192.168.56.0/30",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("2 clusters of 3 node(s) need 6 addresses in 192.168.56.0/30"),
        "{}",
        err(&o)
    );
}

const TINY: &str = "apiVersion: mlk.io/v1alpha1\nkind: Profile\nname: tiny\nprovider: libvirt\nbox: {name: mlk/bookworm}\nnodes:\n  - {name: node1, ip: 192.168.56.10, cpus: 1, memory: 2048, roles: [controlplane, etcd, worker]}\ncomponents:\n  local-path: {enabled: false}\n  cert-manager: {enabled: false}\n  rancher: {enabled: false}\n  tick: {enabled: false}\n  kubeflow: {enabled: false}\n";

fn plan_json(home: &std::path::Path, args: &[&str]) -> (serde_json::Value, String) {
    let mut all = vec!["fleet", "plan", "--json"];
    all.extend_from_slice(args);
    let o = mlk(home, &all);
    assert!(o.status.success(), "{args:?}: {}", err(&o));
    (serde_json::from_slice(&o.stdout).unwrap(), err(&o))
}

fn ips(v: &serde_json::Value) -> Vec<String> {
    v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["nodes"].as_array().unwrap().iter())
        .map(|n| n["ip"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn plan_allocates_around_other_clusters_and_warns_about_docker_hub() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("mlk");
    let prof = t.path().join("tiny.yaml");
    std::fs::write(&prof, TINY).unwrap();
    let p = prof.to_str().unwrap();
    let (v, e) = plan_json(
        &home,
        &["-p", p, "--count", "3", "--network", "192.168.56.0/24"],
    );
    assert_eq!(ips(&v), ["192.168.56.10", "192.168.56.11", "192.168.56.12"]);
    assert_eq!(v["clusters"][2]["cluster"], "lab-03");
    assert!(
        e.contains("Docker Hub allows 10 anonymous pulls an hour per address"),
        "{e}"
    );
    // Another cluster of the home renders 192.168.56.11: the fleet goes around it.
    std::fs::create_dir_all(home.join("other/rendered")).unwrap();
    std::fs::write(
        home.join("other/rendered/cluster.yml"),
        "nodes:\n  - address: 192.168.56.11\n    internal_address: 192.168.56.11\n",
    )
    .unwrap();
    let (v, _) = plan_json(
        &home,
        &["-p", p, "--count", "3", "--network", "192.168.56.0/24"],
    );
    assert_eq!(ips(&v), ["192.168.56.10", "192.168.56.12", "192.168.56.13"]);
    // Its name is taken too.
    let o = mlk(&home, &["fleet", "plan", "-p", p, "--names", "other,mine"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("cluster name(s) already in use"),
        "{}",
        err(&o)
    );
    // A Docker Hub mirror: no warning.
    std::fs::write(
        &prof,
        format!("{TINY}registries:\n  mirrors:\n    docker.io: {{endpoints: [\"https://cache.campus.example\"]}}\n"),
    )
    .unwrap();
    let (_, e) = plan_json(&home, &["-p", p, "--count", "2"]);
    assert!(!e.contains("Docker Hub"), "{e}");
}

#[test]
fn ssh_fleet_takes_addresses_from_the_inventory_and_names_missing_blocks() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("mlk");
    let prof = t.path().join("tiny.yaml");
    std::fs::write(&prof, TINY).unwrap();
    let inv = t.path().join("hosts.cfg");
    std::fs::write(
        &inv,
        "Host g-01-node1\n  HostName 192.168.56.31\n  User v\nHost g-02-node1\n  HostName 192.168.56.30\n",
    )
    .unwrap();
    let base = [
        "-p",
        prof.to_str().unwrap(),
        "--provider",
        "ssh",
        "--inventory",
        inv.to_str().unwrap(),
        "--prefix",
        "g",
    ];
    let mut args = base.to_vec();
    args.extend(["--count", "2"]);
    let (v, _) = plan_json(&home, &args);
    assert_eq!(ips(&v), ["192.168.56.31", "192.168.56.30"]);
    assert_eq!(v["provider"], "ssh");
    let mut args: Vec<&str> = vec!["fleet", "plan"];
    args.extend(base);
    args.extend(["--count", "3"]);
    let o = mlk(&home, &args);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("no Host block for g-03-node1"),
        "{}",
        err(&o)
    );
}

#[test]
fn distribution_flag_reaches_every_cluster_profile_and_the_record() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("mlk");
    let prof = t.path().join("tiny.yaml");
    std::fs::write(&prof, TINY).unwrap();
    let p = prof.to_str().unwrap();
    let (v, _) = plan_json(&home, &["-p", p, "--count", "2"]);
    assert_eq!(v["distribution"], "rke", "{v}");
    let (v, _) = plan_json(&home, &["-p", p, "--count", "2", "--distribution", "rke2"]);
    assert_eq!(v["distribution"], "rke2", "{v}");
    // Each cluster's profile is validated as RKE2: flannel is RKE-only, so the flag refuses it.
    let flannel = t.path().join("flannel.yaml");
    std::fs::write(
        &flannel,
        TINY.replace(
            "components:",
            "kubernetes: {networkPlugin: flannel}\ncomponents:",
        ),
    )
    .unwrap();
    let c = flannel.to_str().unwrap();
    plan_json(&home, &["-p", c, "--count", "2"]);
    let o = mlk(
        &home,
        &[
            "fleet",
            "plan",
            "-p",
            c,
            "--count",
            "2",
            "--distribution",
            "rke2",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("kubernetes.networkPlugin"), "{}", err(&o));
    let o = mlk(
        &home,
        &[
            "fleet",
            "plan",
            "-p",
            p,
            "--count",
            "2",
            "--distribution",
            "k3s",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("allowed: rke"), "{}", err(&o));
}
