//! One way to name a cluster: `--cluster NAME` (`-c`) on every command after `up`; no name →
//! the only cluster; several → a list and exit 2; never silently `mono`. Clusters live in
//! `$XDG_DATA_HOME/mlk`, those in `./.mlk` are still found (and mlk says where they are).
use super::{Sandbox, code, err, json, out};

/// Every command that acts on an existing cluster, with the arguments it needs besides it.
const AFTER_UP: &[&[&str]] = &[
    &["status"],
    &["ssh", "node1", "--", "true"],
    &["kubeconfig"],
    &["stop"],
    &["start", "--wait", "1"],
    &["diagnose"],
    &["run-workload", "--name", "r1"],
    &["report", "r1"],
];

#[test]
fn no_name_means_the_only_cluster_and_several_are_listed_with_exit_2() {
    let s = Sandbox::new();
    for args in AFTER_UP {
        let o = s.mlk(args);
        assert_eq!(code(&o), 2, "{args:?} with no cluster: {}", err(&o));
        assert!(err(&o).contains("no cluster in"), "{args:?}: {}", err(&o));
    }
    // `down` of nothing is not an error: it is idempotent.
    let o = s.mlk(&["down"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(err(&o).contains("nothing to destroy"), "{}", err(&o));

    s.up_ok("mono", "192.168.56.10", "mark");
    // The only cluster is used without a name (exit 1: its host does not answer).
    let o = s.mlk(&["status"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(
        out(&o).starts_with("cluster mono (ssh): partial"),
        "{}",
        out(&o)
    );

    s.up_ok("lab", "192.168.56.11", "mark");
    // Two clusters, one of them `mono`: still no guess.
    for args in AFTER_UP {
        let o = s.mlk(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", err(&o));
        let e = err(&o);
        assert!(
            e.contains("2 clusters; name one with --cluster NAME"),
            "{args:?}: {e}"
        );
        for name in ["mono", "lab"] {
            assert!(
                e.lines()
                    .any(|l| l.trim_start().starts_with(name) && l.contains("ssh")),
                "{args:?} does not list {name}: {e}"
            );
        }
    }
    let o = s.mlk(&["status", "-c", "lab", "--json"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert_eq!(json(&o)["cluster"], "lab");
    let o = s.mlk(&["status", "--cluster", "mono", "--json"]);
    assert_eq!(json(&o)["cluster"], "mono");
}

#[test]
fn names_are_checked_and_unknown_ones_list_what_exists() {
    let s = Sandbox::new();
    s.up_ok("lab", "192.168.56.10", "mark");
    for bad in ["../lab", "/etc", "Lab", "a/b", ".."] {
        for cmd in ["status", "down", "diagnose", "kubeconfig"] {
            let o = s.mlk(&[cmd, "-c", bad]);
            assert_eq!(code(&o), 2, "{cmd} -c {bad}: {}", err(&o));
            assert!(
                err(&o).contains(&format!("`{bad}` is not a cluster name")),
                "{cmd} -c {bad}: {}",
                err(&o)
            );
        }
    }
    let o = s.mlk(&["report", "../lab/r1"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("`..` is not a cluster name"),
        "{}",
        err(&o)
    );
    let o = s.mlk(&["status", "-c", "nosuch"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("no cluster nosuch in") && err(&o).contains("clusters: lab (partial"),
        "{}",
        err(&o)
    );
    // The old spelling says what to use instead.
    let o = s.mlk(&["status", "-p", "mono"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("use --cluster NAME"), "{}", err(&o));
}

#[test]
fn clusters_live_in_the_data_dir_and_dot_mlk_ones_are_still_found() {
    let s = Sandbox::new();
    s.up_ok("lab", "192.168.56.10", "mark");
    let dir = s.home().join("lab");
    assert!(
        dir.join("cluster.json").is_file(),
        "not in $XDG_DATA_HOME/mlk"
    );
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cluster.json")).unwrap()).unwrap();
    assert_eq!(rec["dir"], dir.display().to_string());
    assert_eq!(rec["provider"], "ssh");
    assert!(
        !s.path("work/.mlk").exists(),
        "nothing in the current folder"
    );

    // A cluster made with a relative --dir: recorded with its absolute path.
    let p = s.profile("old", "192.168.56.11");
    let inv = s.path("inventory");
    let o = s.mlk(&[
        "--dir",
        ".mlk",
        "up",
        "-p",
        p.to_str().unwrap(),
        "--provider",
        "ssh",
        "--inventory",
        inv.to_str().unwrap(),
        "--only",
        "mark",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let old = s.path("work/.mlk/old");
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(old.join("cluster.json")).unwrap()).unwrap();
    assert_eq!(rec["dir"], old.display().to_string());
    assert_eq!(
        rec["inventory"],
        inv.display().to_string(),
        "the inventory's path is absolute"
    );

    // Without --dir, from that folder: both, and mlk says where the old one is.
    let o = s.mlk(&["list"]);
    assert!(o.status.success(), "{}", err(&o));
    let table = out(&o);
    let row = |n: &str| {
        table
            .lines()
            .find(|l| l.starts_with(n))
            .unwrap_or_else(|| panic!("{n} missing:\n{table}"))
            .to_string()
    };
    assert!(!row("lab ").contains(".mlk"), "{table}");
    assert!(
        row("old ").contains(&format!("in {}", old.display())),
        "{table}"
    );
    assert!(err(&o).contains("note: cluster old is in"), "{}", err(&o));
    let o = s.mlk(&["status", "-c", "old", "--json"]);
    assert_eq!(json(&o)["dir"], old.display().to_string());
    assert!(
        err(&o).contains(&format!("cluster old is in {}", old.display())),
        "{}",
        err(&o)
    );
    // From another folder only the data dir counts; MLK_HOME picks one folder alone.
    let o = s.cmd_in(&s.path("home")).arg("list").output().unwrap();
    assert!(
        out(&o).contains("lab") && !out(&o).contains("old"),
        "{}",
        out(&o)
    );
    let o = s
        .cmd_in(&s.path("home"))
        .env("MLK_HOME", s.path("work/.mlk"))
        .args(["list", "--json"])
        .output()
        .unwrap();
    let names: Vec<String> = json(&o)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["old"]);
    assert!(!err(&o).contains("note:"), "{}", err(&o));
}

#[test]
fn kubeconfig_prints_an_absolute_path_from_a_relative_dir() {
    let s = Sandbox::new();
    let p = s.profile("lab", "192.168.56.10");
    let inv = s.path("inventory");
    let o = s.mlk(&[
        "--dir",
        "rel",
        "up",
        "-p",
        p.to_str().unwrap(),
        "--provider",
        "ssh",
        "--inventory",
        inv.to_str().unwrap(),
        "--only",
        "mark",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let o = s.mlk(&["--dir", "rel", "kubeconfig"]);
    assert_eq!(code(&o), 2, "not written yet");
    assert!(
        err(&o).contains("the kubeconfig stage of `mlk up -c lab`"),
        "{}",
        err(&o)
    );
    let file = s.path("work/rel/lab/kubeconfig");
    std::fs::write(&file, "apiVersion: v1\n").unwrap();
    let o = s.mlk(&["--dir", "rel", "kubeconfig"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o).trim(), file.display().to_string());
    assert!(std::path::Path::new(out(&o).trim()).is_absolute());
}
