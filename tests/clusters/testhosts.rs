//! `--provider ssh` on real sshd test hosts (root): up → status (each host answers or not) →
//! ssh → start's health check → stop refused → down forgets the hosts → up -c resumes.
use super::{code, err, out};
use crate::up::lab::Lab;
use std::process::{Command, Output};

fn mlk(lab: &Lab, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlk"))
        .arg("--dir")
        .arg(lab.tmp.path().join("mlk"))
        .args(["--progress", "never"])
        .args(args)
        .env("HOME", lab.tmp.path())
        .env("KUBECONFIG", lab.tmp.path().join("kubeconfig"))
        .output()
        .unwrap()
}

fn machines(o: &Output) -> Vec<(String, String, bool)> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
                m["running"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn ssh_provider_up_status_start_down_on_test_hosts() {
    let Some(lab) = Lab::up(2) else { return };
    let name = crate::up::cluster("hosts");
    let stages =
        "  - {id: probe, after: os-prep, target: all-nodes, run: \"hostname > /tmp/mlk-probe\"}\n";
    let profile = lab.profile(&name, stages);
    let o = lab.up_cmd(&profile, &["--only", "probe"]).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));

    // Status logs in to each host instead of printing `listed`.
    let o = mlk(&lab, &["status", "--json"]);
    assert_eq!(code(&o), 1, "not every stage ran: {}", err(&o));
    assert_eq!(
        machines(&o),
        [
            ("node1".to_string(), "reachable".to_string(), true),
            ("node2".to_string(), "reachable".to_string(), true)
        ]
    );
    let o = mlk(&lab, &["ssh", "node2", "--", "cat", "/tmp/mlk-probe"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o).trim(), "node2");

    lab.ctl(&["kill-sshd", "2"]);
    let o = mlk(&lab, &["status", "--json"]);
    let m = machines(&o);
    assert!(m[0].2 && !m[1].2, "{m:?}");
    assert!(m[1].1.starts_with("unreachable: "), "{m:?}");
    let o = mlk(&lab, &["status"]);
    assert!(out(&o).contains("node2    unreachable"), "{}", out(&o));
    // start's health check names the host that does not answer (exit 4)...
    let o = mlk(&lab, &["start", "-c", &name, "--wait", "2"]);
    assert_eq!(code(&o), 4, "{}", err(&o));
    assert!(
        err(&o).contains("node2") && err(&o).contains("not healthy"),
        "{}",
        err(&o)
    );
    lab.ctl(&["start-sshd", "2"]);
    // ...and passes once it answers again; Kubernetes was never installed here.
    let o = mlk(&lab, &["start", "-c", &name]);
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("✓ node1 answers over SSH") && e.contains("✓ node2 answers over SSH"),
        "{e}"
    );
    assert!(e.contains("Kubernetes: not installed yet"), "{e}");
    let o = mlk(&lab, &["stop"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("does not power them off"), "{}", err(&o));

    let o = mlk(&lab, &["down"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("forgetting the hosts"), "{}", err(&o));
    assert_eq!(
        lab.ssh("node1", "cat /tmp/mlk-probe").trim(),
        "node1",
        "hosts untouched"
    );
    let o = mlk(&lab, &["status"]);
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains(": destroyed") && out(&o).contains(&format!("mlk up -c {name}")));
    let o = mlk(&lab, &["ssh", "node1", "--", "true"]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(
        err(&o).contains("was destroyed by `mlk down`"),
        "{}",
        err(&o)
    );
    // Back with the recorded profile and inventory copy: no flags but the stage.
    let o = mlk(&lab, &["up", "-c", &name, "--only", "probe"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = mlk(&lab, &["status", "--json"]);
    assert!(machines(&o).iter().all(|m| m.2), "{}", out(&o));
}
