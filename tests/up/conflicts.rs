//! A second concurrent run refuses; a failing command is reported with node, stage, command
//! and output, exit 4; Ctrl-C records the interruption and exits 130.
use super::lab::Lab;
use super::{cluster, text};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn slow_stage() -> &'static str {
    "  - id: slow\n    after: docker\n    run: sleep 3; echo slept\n"
}

/// Waits until the first run holds the lock and has started its stage.
pub fn wait_running(lab: &Lab, name: &str) {
    let state = lab.cluster_dir(name).join("state.json");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        if std::fs::read_to_string(&state).is_ok_and(|s| s.contains("\"running\"")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the first run never recorded a running stage");
}

#[test]
fn second_concurrent_up_refuses_naming_the_holder() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("lock");
    let profile = lab.profile(&name, slow_stage());
    let mut first = lab
        .up_cmd(&profile, &["--only", "slow"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_running(&lab, &name);
    let second = lab.up_cmd(&profile, &["--only", "slow"]).output().unwrap();
    assert_eq!(second.status.code(), Some(1), "{}", text(&second.stderr));
    let err = text(&second.stderr);
    assert!(err.contains("is locked by pid "), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    assert!(err.contains("host "), "{err}");
    assert!(first.wait().unwrap().success(), "the first run must finish");
}

#[test]
fn failing_command_shows_node_stage_command_and_output_exit_4() {
    let Some(lab) = Lab::up(3) else { return };
    let name = cluster("fail");
    let stages = "  - id: breaks\n    after: docker\n    run: |\n      echo preparing on $MLK_NODE\n      if [ \"$MLK_NODE\" = node2 ]; then echo 'disk on fire' >&2; exit 7; fi\n";
    let profile = lab.profile(&name, stages);
    let out = lab
        .up_cmd(&profile, &["--only", "breaks", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let events: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let failed = events
        .iter()
        .find(|e| e["event"] == "stage_failed")
        .expect("a stage_failed event");
    assert_eq!(failed["current"], 1);
    assert_eq!(failed["total"], 1);
    let f = &failed["failures"][0];
    assert_eq!(f["node"], "node2");
    assert_eq!(f["exit_status"], 7);
    assert!(f["command"].as_str().unwrap().contains("bash -c"));
    // stdout and stderr arrive on separate SSH streams: their relative order may vary.
    let tail = f["tail"].as_array().unwrap();
    assert!(
        tail.contains(&serde_json::json!("disk on fire")),
        "{tail:?}"
    );
    assert!(
        tail.contains(&serde_json::json!("preparing on node2")),
        "{tail:?}"
    );
    assert_eq!(events.last().unwrap()["status"], "failed");
    let err = text(&out.stderr);
    assert!(
        err.contains("stage `breaks` failed on node `node2`: the command exited with status 7"),
        "{err}"
    );
    assert!(
        err.contains("MLK_STAGE='breaks' MLK_NODE='node2' bash -c '"),
        "{err}"
    );
    assert!(err.contains("| preparing on node2"), "{err}");
    assert!(err.contains("| disk on fire"), "{err}");
    assert!(!err.contains("failed on node `node1`"), "{err}");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(lab.cluster_dir(&name).join("state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["stages"]["breaks"]["node1"]["status"], "done");
    assert_eq!(state["stages"]["breaks"]["node2"]["status"], "failed");
}

#[test]
fn sigint_records_the_interruption_and_exits_130() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("int");
    let profile = lab.profile(&name, slow_stage());
    let run = lab
        .up_cmd(&profile, &["--only", "slow"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_running(&lab, &name);
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(run.id() as i32, libc::SIGINT) };
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("interrupted"));
    let state = std::fs::read_to_string(lab.cluster_dir(&name).join("state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["stages"]["slow"]["node1"]["status"], "failed");
    assert_eq!(
        state["stages"]["slow"]["node1"]["message"],
        "interrupted by a signal"
    );
}

#[test]
fn remote_stage_timeout_keeps_the_output_tail_and_is_not_a_connection_fault() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("tmo");
    let stages = "  - id: hangs\n    after: docker\n    timeout: 2\n    run: |\n      echo started on $MLK_NODE\n      sleep 60\n";
    let profile = lab.profile(&name, stages);
    let out = lab
        .up_cmd(&profile, &["--only", "hangs", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let failed: serde_json::Value = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "stage_failed")
        .expect("a stage_failed event");
    let f = &failed["failures"][0];
    assert_eq!(f["node"], "node1");
    assert_eq!(f["ssh_fault"], false, "{f}");
    let tail = f["tail"].as_array().unwrap();
    assert!(
        tail.contains(&serde_json::json!("started on node1")),
        "{tail:?}"
    );
}
