//! Custom stages that leave evidence: each appends `start <id>` and `end <id>` to a journal
//! on its node, under a lock and only once (the idempotency every stage must have), so the
//! tests can tell exactly which stages finished where.
use super::lab::Lab;
use serde_json::Value;

/// Stage ids in plan order, with their targets.
pub const STAGES: &[(&str, &str)] = &[
    ("write-files", "all-nodes"),
    ("pkg-installed", "all-nodes"),
    ("start-daemon", "all-nodes"),
    ("cp-marker", "first-controlplane"),
];

const DIR: &str = "/tmp/mlk-t";

/// One journaled stage: `work` runs between the start and end lines.
fn stage(id: &str, target: &str, after: &str, work: &str) -> String {
    let run = format!(
        "mkdir -p {DIR}\nexec 9>{DIR}/lock\nflock 9\nif grep -qx \"end $MLK_STAGE\" {DIR}/journal 2>/dev/null; then exit 0; fi\necho \"start $MLK_STAGE\" >> {DIR}/journal\n{work}\necho \"end $MLK_STAGE\" >> {DIR}/journal\n"
    );
    let indent = |s: &str| {
        s.lines()
            .map(|l| format!("      {l}\n"))
            .collect::<String>()
    };
    format!(
        "  - id: {id}\n    after: {after}\n    target: {target}\n    check: grep -qx \"end $MLK_STAGE\" {DIR}/journal\n    run: |\n{}",
        indent(&run)
    )
}

/// The YAML `stages:` items; `pause` (seconds) stretches each stage so kills land inside.
pub fn stages_yaml(pause: &str) -> String {
    let works = [
        format!(
            "sleep {pause}\nprintf 'hello from %s\\n' \"$MLK_NODE\" > {DIR}/hello.tmp\nmv {DIR}/hello.tmp {DIR}/hello.txt"
        ),
        format!("sleep {pause}\ndpkg -s openssh-server | grep -qx 'Status: install ok installed'"),
        format!(
            "sleep {pause}\nsetsid nohup bash -c 'exec -a mlk-test-daemon sleep 100000' </dev/null >/dev/null 2>&1 9>&- &\necho $! > {DIR}/daemon.pid"
        ),
        format!("sleep {pause}\nhostname > {DIR}/cp-marker"),
    ];
    let mut after = "docker";
    let mut out = String::new();
    for ((id, target), work) in STAGES.iter().zip(works) {
        out.push_str(&stage(id, target, after, &work));
        after = id;
    }
    out
}

/// `--only` value selecting the journaled stages.
pub fn only() -> String {
    STAGES
        .iter()
        .map(|(id, _)| *id)
        .collect::<Vec<_>>()
        .join(",")
}

/// The journal of `node` (empty when none yet).
pub fn journal(lab: &Lab, node: &str) -> Vec<String> {
    lab.ssh(node, &format!("cat {DIR}/journal 2>/dev/null || true"))
        .lines()
        .map(str::to_string)
        .collect()
}

/// Nodes a stage runs on.
fn targets(lab: &Lab, target: &str) -> Vec<String> {
    if target == "first-controlplane" {
        vec!["node1".into()]
    } else {
        lab.node_names()
    }
}

/// No stage is recorded done on a node whose journal lacks its end line.
pub fn assert_done_means_finished(lab: &Lab, cluster: &str) {
    let path = lab.cluster_dir(cluster).join("state.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return; // killed before the first record
    };
    let state: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON after kill -9: {e}", path.display()));
    for node in lab.node_names() {
        let j = journal(lab, &node);
        for (id, _) in STAGES {
            let status = state["stages"][id][&node]["status"].as_str();
            if status == Some("done") {
                assert!(
                    j.contains(&format!("end {id}")),
                    "{id} recorded done on {node} but its journal has no end line: {j:?}"
                );
            }
        }
    }
}

/// Every stage finished exactly once on each of its nodes, and left its effect.
pub fn assert_final(lab: &Lab, cluster: &str) {
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(lab.cluster_dir(cluster).join("state.json")).expect("state"),
    )
    .expect("state JSON");
    for (id, target) in STAGES {
        for node in targets(lab, target) {
            let j = journal(lab, &node);
            let ends = j.iter().filter(|l| **l == format!("end {id}")).count();
            assert_eq!(ends, 1, "{id} on {node} finished {ends} times: {j:?}");
            assert_eq!(
                state["stages"][id][&node]["status"], "done",
                "{id} on {node} not recorded done"
            );
        }
    }
    for node in lab.node_names() {
        assert_eq!(
            lab.ssh(&node, &format!("cat {DIR}/hello.txt")),
            format!("hello from {node}\n")
        );
        let cmdline = lab.ssh(
            &node,
            &format!("tr '\\0' ' ' < /proc/$(cat {DIR}/daemon.pid)/cmdline"),
        );
        assert!(cmdline.contains("mlk-test-daemon"), "{node}: {cmdline}");
    }
    assert_eq!(lab.ssh("node1", &format!("cat {DIR}/cp-marker")), "node1\n");
}
