//! Friendlier errors: `run-workload` and `report` on a cluster that is not up, destroyed or has
//! TICK disabled say so (not kubectl's or InfluxDB's errors); `status` lists only the password
//! files that exist.
use super::{Sandbox, code, err, json};

/// The embedded mono profile (every add-on on) under another name, with a host stage.
fn full_profile(s: &Sandbox, name: &str) -> std::path::PathBuf {
    let text = format!(
        "{}stages:\n  - {{id: mark, after: docker, target: host, run: \"true\"}}\n",
        mlk::profile::embedded_source("mono")
            .unwrap()
            .replace("name: mono", &format!("name: {name}"))
    );
    let p = s.path(&format!("{name}.yaml"));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn workload_and_report_explain_a_cluster_that_is_not_ready() {
    let s = Sandbox::new();
    let inv = s.path("inventory");
    let p = full_profile(&s, "full");
    let o = s.mlk(&[
        "up",
        "-p",
        p.to_str().unwrap(),
        "--provider",
        "ssh",
        "--inventory",
        inv.to_str().unwrap(),
        "--only",
        "mark",
        "--skip-preflight",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let o = s.mlk(&["run-workload", "--name", "r1"]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(
        err(&o).contains("cluster full is not up (partial")
            && err(&o).contains("stage rke-up: pending")
            && err(&o).contains("`mlk up -c full` finishes it"),
        "{}",
        err(&o)
    );
    // A run without exported samples must be read from the live InfluxDB, which is not there.
    let r1 = |cluster: &str| mlk::runs::RunRecord {
        name: "r1".into(),
        cluster: cluster.into(),
        profile: cluster.into(),
        workload: "mnist".into(),
        start: "2026-01-01T00:00:00Z".into(),
        end: Some("2026-01-01T00:10:00Z".into()),
        outcome: mlk::runs::Outcome::Failed,
        nodes: vec![],
        controlplane: String::new(),
        measure: None,
        samples: None,
        samples_error: None,
    };
    mlk::runs::save(&s.home().join("full"), &r1("full")).unwrap();
    let o = s.mlk(&["report", "r1"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("run full/r1: it has no exported samples")
            && err(&o).contains("its InfluxDB is not ready (stage tick: pending)"),
        "{}",
        err(&o)
    );

    // Dashboards: no password file exists yet, so none is listed; then only the one made.
    let o = s.mlk(&["status", "--json"]);
    let rows = json(&o)["dashboards"].clone();
    assert_eq!(rows.as_array().unwrap().len(), 3, "{rows}");
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["password_file"].is_null()),
        "{rows}"
    );
    let secret = s.home().join("full/secrets/rancher-bootstrap-password");
    std::fs::create_dir_all(secret.parent().unwrap()).unwrap();
    std::fs::write(&secret, "x").unwrap();
    let o = s.mlk(&["status", "--json"]);
    let rows = json(&o)["dashboards"].clone();
    assert_eq!(rows[0]["password_file"], secret.display().to_string());
    assert!(rows[2]["password_file"].is_null(), "{rows}");

    // TICK disabled: nothing was measured, and report says so.
    s.up_ok("bare", "192.168.56.11", "mark");
    mlk::runs::save(&s.home().join("bare"), &r1("bare")).unwrap();
    let o = s.mlk(&["report", "-c", "bare", "r1"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("cluster bare has TICK disabled"),
        "{}",
        err(&o)
    );
    // Destroyed: the command that brings it back.
    assert!(s.mlk(&["down", "-c", "full"]).status.success());
    // A run without exported samples went with the destroyed cluster's InfluxDB: bringing
    // the cluster back would not bring them back, and report says so.
    let o = s.mlk(&["report", "full/r1"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("cluster full was destroyed by `mlk down`")
            && err(&o).contains("so this run cannot be reported"),
        "{}",
        err(&o)
    );
    for args in [
        &["run-workload", "-c", "full"][..],
        &["ssh", "-c", "full", "node1"],
    ] {
        let o = s.mlk(args);
        assert_eq!(code(&o), 2, "{args:?}");
        assert!(
            err(&o).contains("cluster full was destroyed by `mlk down`")
                && err(&o).contains("`mlk up -c full` brings it back"),
            "{args:?}: {}",
            err(&o)
        );
    }
}
