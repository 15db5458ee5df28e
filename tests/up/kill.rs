//! `kill -9` of mlk at random points: the next run completes, nothing is recorded done that
//! did not finish, and every stage finishes exactly once per node.
use super::journal::{self, assert_done_means_finished, assert_final};
use super::lab::Lab;
use super::{cluster, text};
use std::time::Duration;

fn kill_and_resume(nodes: usize, kills: usize) {
    let Some(lab) = Lab::up(nodes) else { return };
    let name = cluster("kill");
    let profile = lab.profile(&name, &journal::stages_yaml("0.15"));
    let only = journal::only();
    for k in 0..kills {
        let mut child = lab.up_cmd(&profile, &["--only", &only]).spawn().unwrap();
        // A whole run takes about 1 s; spread the kills over it (connect, stages, records).
        let at = 30 + rand::random::<u64>() % 1300;
        std::thread::sleep(Duration::from_millis(at));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        eprintln!("kill {k}: after {at} ms");
        assert_done_means_finished(&lab, &name);
    }
    let out = lab.up_cmd(&profile, &["--only", &only]).output().unwrap();
    assert!(
        out.status.success(),
        "resume after kills failed: {}",
        text(&out.stderr)
    );
    assert_final(&lab, &name);
    let again = lab.up_cmd(&profile, &["--only", &only]).output().unwrap();
    assert!(text(&again.stderr).contains("nothing to do"));
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
