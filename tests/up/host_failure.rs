//! A host stage that drives a node (rke-up runs its script on node1 from the host): a remote
//! failure there exits 4 like every remote failure, and shows the command's last output.
use super::lab::Lab;
use super::{cluster, text};

#[test]
fn rke_up_failing_on_the_node_exits_4_with_its_output() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("rkefail");
    let profile = lab.profile(&name, "  - {id: dummy, after: docker, run: 'true'}\n");
    // The test nodes have no rke binary: the script's `rke up` fails with status 127.
    let out = lab
        .up_cmd(&profile, &["--only", "rke-up"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("rke: command not found"), "{err}");
    assert!(err.contains("status 127"), "{err}");
    assert!(err.contains("node1"), "{err}");
}
