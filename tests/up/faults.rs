//! SSH faults in the middle of `mlk up`: recovered by reconnecting within the retry budget,
//! or a clear error (exit 4) once the budget is spent.
use super::journal::{self, assert_final};
use super::lab::Lab;
use super::{cluster, text};
use std::process::Stdio;
use std::time::Duration;

/// Waits until `line` is in the node's journal: the stage's command is running there.
fn wait_journal(lab: &Lab, node: &str, line: &str) {
    let t = std::time::Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        if journal::journal(lab, node).iter().any(|l| l == line) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("`{line}` never appeared in {node}'s journal");
}

#[test]
fn sshd_killed_and_restarted_mid_stage_is_recovered() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("sshd");
    let profile = lab.profile(&name, &journal::stages_yaml("1"));
    let only = journal::only();
    let run = lab
        .up_cmd(&profile, &["--only", &only])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill while a command runs on the node (not while connecting).
    wait_journal(&lab, "node1", "start write-files");
    lab.ctl(&["kill-sshd", "1"]);
    std::thread::sleep(Duration::from_secs(2));
    lab.ctl(&["start-sshd", "1"]);
    let out = run.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = std::fs::read_to_string(lab.cluster_dir(&name).join("mlk.log")).unwrap();
    assert!(
        log.contains("will retry"),
        "the fault should show in the log as a retry"
    );
    assert_final(&lab, &name);
}

#[test]
fn link_down_for_seconds_mid_stage_is_recovered() {
    let Some(lab) = Lab::up(3) else { return };
    let name = cluster("link");
    let profile = lab.profile(&name, &journal::stages_yaml("1"));
    let only = journal::only();
    let run = lab
        .up_cmd(&profile, &["--only", &only])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_journal(&lab, "node2", "start write-files");
    lab.ctl(&["link", "2", "down"]);
    std::thread::sleep(Duration::from_secs(3));
    lab.ctl(&["link", "2", "up"]);
    let out = run.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_final(&lab, &name);
}

#[test]
fn node_gone_past_the_retry_budget_is_a_clear_error_exit_4() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("gone");
    let profile = lab.profile(&name, &journal::stages_yaml("1"));
    let only = journal::only();
    let run = lab
        .up_cmd(&profile, &["--only", &only, "--retry-budget", "3"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_journal(&lab, "node1", "start write-files");
    lab.ctl(&["kill-sshd", "1"]);
    let out = run.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("failed on node `node1`"), "{err}");
    assert!(err.contains("retry budget"), "{err}");
}

#[test]
fn packet_loss_on_one_node_is_survived() {
    let Some(lab) = Lab::up(3) else { return };
    let name = cluster("loss");
    let profile = lab.profile(&name, &journal::stages_yaml("0.3"));
    let only = journal::only();
    // 20% of node3's packets dropped both ways for the whole run.
    lab.ctl(&["loss", "3", "20"]);
    let out = lab
        .up_cmd(&profile, &["--only", &only, "--retry-budget", "60"])
        .output()
        .unwrap();
    lab.ctl(&["loss", "3", "off"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_final(&lab, &name);
}

#[test]
fn changed_host_key_is_refused_with_exit_4() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("rekey");
    let stages = "  - id: first\n    after: docker\n    run: 'true'\n  - id: second\n    after: first\n    run: 'true'\n";
    let profile = lab.profile(&name, stages);
    let ok = lab.up_cmd(&profile, &["--only", "first"]).output().unwrap();
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    lab.ctl(&["rekey", "1"]);
    let out = lab
        .up_cmd(&profile, &["--only", "second"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("failed on node `node1`"), "{err}");
    assert!(err.contains("host key"), "{err}");
    let state = std::fs::read_to_string(lab.cluster_dir(&name).join("state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["stages"]["second"]["node1"]["status"], "failed");
}

/// The retry budget starts at the fault, not at the start of the stage: a stage that runs
/// longer than the budget, with an outage near its end, is retried (it got no retry at all
/// when the budget counted from the stage's start). A successful reconnection gives the next
/// outage a whole budget again.
#[test]
fn an_outage_late_in_a_stage_longer_than_the_budget_is_retried() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("late");
    let stages = "  - id: long\n    after: docker\n    check: test -f /tmp/long-done\n    run: |\n      echo run >> /tmp/long-runs\n      sleep 8\n      touch /tmp/long-done\n";
    let profile = lab.profile(&name, stages);
    let run = lab
        .up_cmd(&profile, &["--only", "long", "--retry-budget", "5"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the run to start on the node, then past the 5 s budget.
    let t = std::time::Instant::now();
    while !lab
        .ssh("node1", "cat /tmp/long-runs 2>/dev/null || true")
        .contains("run")
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the stage never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(6));
    lab.ctl(&["kill-sshd", "1"]);
    std::thread::sleep(Duration::from_secs(1));
    lab.ctl(&["start-sshd", "1"]);
    let out = run.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let log = std::fs::read_to_string(lab.cluster_dir(&name).join("mlk.log")).unwrap();
    assert!(
        log.contains("will retry"),
        "the outage shows in the log as a retry"
    );
    assert_eq!(
        lab.ssh("node1", "test -f /tmp/long-done && echo done"),
        "done\n"
    );
}
