//! `kill -9` of mlk at random points: the next run completes, nothing is recorded done that
//! did not finish, and every stage finishes exactly once per node.
use super::journal::{self, assert_done_means_finished, assert_final};
use super::lab::Lab;
use super::{cluster, text};
use std::path::Path;
use std::time::{Duration, Instant};

/// Starts a new round: the nodes' journals and files gone, no state. Only called after a
/// run completed, so no command of a killed run is still running on a node (each one held
/// its node's stage lock, which the completed run had to take after it).
fn reset(lab: &Lab, name: &str) {
    for n in lab.node_names() {
        lab.ssh(
            &n,
            "kill $(cat /tmp/mlk-t/daemon.pid 2>/dev/null) 2>/dev/null; rm -rf /tmp/mlk-t",
        );
    }
    let _ = std::fs::remove_file(lab.cluster_dir(name).join("state.json"));
}

fn complete(lab: &Lab, profile: &Path, name: &str, only: &str) {
    let out = lab.up_cmd(profile, &["--only", only]).output().unwrap();
    assert!(
        out.status.success(),
        "resume after kills failed: {}",
        text(&out.stderr)
    );
    assert_final(lab, name);
}

/// Kills `kills` runs mid-way. A run that ends before its kill completes the round: it is
/// checked, and the next kills start a fresh round, so kills land all over the plan.
fn kill_and_resume(nodes: usize, kills: usize) {
    let Some(lab) = Lab::up(nodes) else { return };
    let name = cluster("kill");
    let profile = lab.profile(&name, &journal::stages_yaml("0.15"));
    let only = journal::only();
    // One clean run measures how long a whole run takes.
    let t = Instant::now();
    complete(&lab, &profile, &name, &only);
    let mut full = t.elapsed().as_millis() as u64;
    reset(&lab, &name);
    let (mut landed, mut rounds, mut tries, mut fresh) = (0, 0, 0, true);
    while landed < kills {
        tries += 1;
        assert!(tries < kills * 5, "kills keep missing the runs");
        let started = Instant::now();
        let mut child = lab.up_cmd(&profile, &["--only", &only]).spawn().unwrap();
        let at = rand::random::<u64>() % full.max(1);
        std::thread::sleep(Duration::from_millis(at));
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "a run that was not killed failed");
            if fresh {
                // A whole run from scratch: a better estimate of how long one takes.
                full = full.min(started.elapsed().as_millis() as u64);
            }
            assert_final(&lab, &name);
            reset(&lab, &name);
            rounds += 1;
            fresh = true;
            continue;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        fresh = false;
        landed += 1;
        eprintln!("kill {landed}: {at} ms into a run (full run {full} ms)");
        assert_done_means_finished(&lab, &name);
    }
    complete(&lab, &profile, &name, &only);
    let again = lab.up_cmd(&profile, &["--only", &only]).output().unwrap();
    assert!(text(&again.stderr).contains("nothing to do"));
    eprintln!("{landed} kills landed in runs, {rounds} extra rounds completed");
}

/// Kills per test: 10 (20 in the suite); scripts/soak-kill.sh sets MLK_KILLS for a long soak.
fn kills() -> usize {
    std::env::var("MLK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

#[test]
fn kill_9_at_random_points_then_resume_one_node() {
    kill_and_resume(1, kills());
}

#[test]
fn kill_9_at_random_points_then_resume_three_nodes() {
    kill_and_resume(3, kills());
}
