//! scripts/testhosts.sh itself: isolated nodes that reach each other, and nothing left behind.
use crate::ssh_support::{TestHosts, have_root, run};
use std::process::Command;

fn sh(cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn ssh_testhosts_are_isolated_and_down_leaves_nothing_behind() {
    if !have_root("ssh_testhosts_are_isolated_and_down_leaves_nothing_behind") {
        return;
    }
    let lab = TestHosts::up(2);
    let (prefix, dir) = (lab.prefix.clone(), lab.dir.clone());
    let pids: Vec<String> = (1..=2)
        .flat_map(|i| ["unshare.pid", "init.pid"].map(|f| dir.join(format!("node{i}/{f}"))))
        .map(|p| {
            std::fs::read_to_string(p)
                .expect("pid file")
                .trim()
                .to_string()
        })
        .collect();
    // The lab namespace can only reach the node network; the host namespace never sees it.
    assert!(!sh(&format!("ip -n {prefix}-lab route")).contains("default"));
    assert!(
        !sh("ip -o addr").contains("192.168.56."),
        "node addresses leaked into the host ns"
    );
    // Nodes are separate machines that reach each other by name.
    let r1 = lab.connect(1);
    let (st, lines) = run(
        &r1,
        "hostname; getent hosts node2; nc -z -w 2 node2 22 && echo reach-node2",
    );
    assert_eq!(st, 0);
    assert_eq!(lines[0], "node1");
    assert!(lines[1].starts_with("192.168.56.11"), "{lines:?}");
    assert_eq!(lines[2], "reach-node2");
    // Writes go to the node's throwaway layer, not to the host's file system.
    let marker = format!("/etc/mlk-marker-{prefix}");
    assert_eq!(
        run(&r1, &format!("sudo touch {marker} && test -e {marker}")).0,
        0
    );
    assert!(
        !std::path::Path::new(&marker).exists(),
        "node write reached the host"
    );
    drop(r1);

    drop(lab);
    assert!(!sh("ip netns list").contains(&prefix), "namespaces left");
    assert!(!dir.exists(), "{} left", dir.display());
    assert!(
        !sh("cat /proc/mounts").contains(&dir.display().to_string()),
        "mounts left"
    );
    for pid in pids {
        let st = sh(&format!("ps -o stat= -p {pid}"));
        assert!(
            st.trim().is_empty() || st.starts_with('Z'),
            "process {pid} still runs"
        );
    }
}

#[test]
fn ssh_testhosts_gc_removes_labs_of_dead_owners_only() {
    if !have_root("ssh_testhosts_gc_removes_labs_of_dead_owners_only") {
        return;
    }
    let live = TestHosts::up(1); // owned by this test process
    // A lab whose owner dies after `up`, like one of a test run killed before its cleanup.
    // The owner lives while the lab comes up: other tests running `gc` meanwhile must not
    // take a half-made lab for garbage.
    let mut child = Command::new("sleep").arg("600").spawn().expect("spawn");
    let dead_pid = child.id().to_string();
    let orphan = format!("mlkt{:06x}", rand::random::<u32>() & 0xff_ffff);
    let orphan_dir = std::env::temp_dir().join(&orphan);
    let orphan_dir_s = orphan_dir.display().to_string();
    let env = [
        ("LAB_PREFIX", orphan.as_str()),
        ("LAB_DIR", orphan_dir_s.as_str()),
        ("LAB_OWNER", dead_pid.as_str()),
    ];
    live.ctl_env(&["up", "1"], &env);
    assert!(sh("ip netns list").contains(&format!("{orphan}-lab")));
    child.kill().expect("kill the owner");
    child.wait().expect("wait");

    live.ctl(&["gc"]);
    assert!(
        !sh("ip netns list").contains(&orphan),
        "gc left the orphan's namespaces"
    );
    assert!(!orphan_dir.exists(), "gc left {}", orphan_dir.display());
    // The live lab is untouched.
    assert!(sh("ip netns list").contains(&format!("{}-lab", live.prefix)));
    assert_eq!(run(&live.connect(1), "hostname").1, ["node1"]);
}
