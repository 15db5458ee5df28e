//! The journaled custom stages complete on 1 and 3 nodes; a second run does nothing.
use super::journal::{self, assert_final};
use super::lab::Lab;
use super::{cluster, text};
use serde_json::Value;

fn completes_then_nothing_to_do(nodes: usize) {
    let Some(lab) = Lab::up(nodes) else { return };
    let name = cluster("happy");
    let profile = lab.profile(&name, &journal::stages_yaml("0.1"));
    let only = journal::only();
    let out = lab
        .up_cmd(&profile, &["--only", &only, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "first up failed: {}",
        text(&out.stderr)
    );
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stdout line is one JSON event"))
        .collect();
    let ends: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "stage_end")
        .collect();
    assert_eq!(ends.len(), journal::STAGES.len(), "{events:?}");
    for (k, e) in ends.iter().enumerate() {
        assert_eq!(e["status"], "done");
        assert_eq!(e["current"], k + 1);
        assert_eq!(e["total"], journal::STAGES.len());
    }
    assert_eq!(events.last().unwrap()["event"], "run_end");
    assert_final(&lab, &name);
    let log = std::fs::read_to_string(lab.cluster_dir(&name).join("mlk.log")).unwrap();
    assert!(
        log.contains("node1 write-files | $ "),
        "log has the commands"
    );
    // What later commands (status, report, run-workload) read back.
    let dir = lab.cluster_dir(&name);
    let saved = std::fs::read_to_string(dir.join("profile.yaml")).unwrap();
    assert_eq!(saved, std::fs::read_to_string(&profile).unwrap());
    let inv = mlk::inventory::parse(
        &std::fs::read_to_string(dir.join("ssh-config")).unwrap(),
        "ssh-config",
    )
    .unwrap();
    assert_eq!(inv.len(), nodes);

    let before: Vec<Vec<String>> = lab
        .node_names()
        .iter()
        .map(|n| journal::journal(&lab, n))
        .collect();
    let again = lab.up_cmd(&profile, &["--only", &only]).output().unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let err = text(&again.stderr);
    assert!(err.contains("nothing to do"), "{err}");
    assert_eq!(
        err.matches("already done").count(),
        journal::STAGES.len() + 1
    );
    let after: Vec<Vec<String>> = lab
        .node_names()
        .iter()
        .map(|n| journal::journal(&lab, n))
        .collect();
    assert_eq!(before, after, "a second up touched the nodes");
}

#[test]
fn up_custom_stages_on_one_node() {
    completes_then_nothing_to_do(1);
}

#[test]
fn up_custom_stages_on_three_nodes() {
    completes_then_nothing_to_do(3);
}
