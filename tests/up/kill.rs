//! `kill -9` of mlk at random points: the next run completes, nothing is recorded done that
//! did not finish, and every stage finishes exactly once per node.
//!
//! In the suite, the first wrong kill point fails the test. With `MLK_SOAK=1`
//! (scripts/soak-kill.sh) every kill point is judged, wrong ones are reported and the round
//! starts over, and the test prints `soak: correct=K/N` before it fails on any wrong one.
use super::journal::{self, assert_done_means_finished, assert_final};
use super::lab::Lab;
use super::{cluster, text};
use std::panic::{AssertUnwindSafe, catch_unwind};
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

/// Runs `check`, turning a failed assertion into its message.
fn judged(check: impl FnOnce()) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(check)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a check failed".into())
    })
}

/// Runs to the end and checks every stage finished exactly once on each node.
fn complete(lab: &Lab, profile: &Path, name: &str, only: &str) -> Result<(), String> {
    let out = lab.up_cmd(profile, &["--only", only]).output().unwrap();
    if !out.status.success() {
        return Err(format!("resume after kills failed: {}", text(&out.stderr)));
    }
    judged(|| assert_final(lab, name))
}

/// Kill points judged so far; in the suite the first wrong one panics at once.
struct Tally {
    soak: bool,
    correct: usize,
    wrong: Vec<String>,
}

impl Tally {
    /// `points` kill points of a round ended in `result`.
    fn record(&mut self, points: usize, result: Result<(), String>) -> bool {
        match result {
            Ok(()) => {
                self.correct += points;
                true
            }
            Err(e) => {
                assert!(self.soak, "{e}");
                eprintln!("WRONG after {points} kill point(s): {e}");
                self.wrong.extend(std::iter::repeat_n(e, points));
                false
            }
        }
    }
}

/// Kills `kills` runs mid-way. A run that ends before its kill completes the round: it is
/// checked, and the next kills start a fresh round, so kills land all over the plan. A kill
/// point is correct when, right after it, nothing is recorded done that did not finish, and
/// the round it belongs to then completes with every stage finished exactly once.
fn kill_and_resume(nodes: usize, kills: usize) {
    let Some(lab) = Lab::up(nodes) else { return };
    let soak = std::env::var_os("MLK_SOAK").is_some();
    let mut tally = Tally {
        soak,
        correct: 0,
        wrong: Vec::new(),
    };
    let name = cluster("kill");
    let profile = lab.profile(&name, &journal::stages_yaml("0.15"));
    let only = journal::only();
    // Two clean runs measure how long a whole run takes (the first one also pins host keys
    // and warms caches, so it is slower than the rest).
    let mut full = u64::MAX;
    for _ in 0..2 {
        let t = Instant::now();
        complete(&lab, &profile, &name, &only).unwrap();
        full = full.min(t.elapsed().as_millis() as u64);
        reset(&lab, &name);
    }
    let (mut landed, mut rounds, mut tries, mut fresh, mut pending) = (0, 0, 0, true, 0);
    while landed < kills {
        tries += 1;
        assert!(tries < kills * 5 + 20, "kills keep missing the runs");
        let started = Instant::now();
        let mut child = lab.up_cmd(&profile, &["--only", &only]).spawn().unwrap();
        let at = rand::random::<u64>() % full.max(1);
        std::thread::sleep(Duration::from_millis(at));
        if let Some(status) = child.try_wait().unwrap() {
            let result = if status.success() {
                judged(|| assert_final(&lab, &name))
            } else {
                Err("a run that was not killed failed".into())
            };
            if fresh {
                // A whole run from scratch: a better estimate of how long one takes.
                full = full.min(started.elapsed().as_millis() as u64);
            }
            tally.record(pending, result);
            pending = 0;
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
        if let Err(e) = judged(|| assert_done_means_finished(&lab, &name)) {
            // This kill point is wrong whatever the round does next: judge it now and start over.
            tally.record(1, Err(e));
            let _ = complete(&lab, &profile, &name, &only);
            tally.record(pending, judged(|| assert_final(&lab, &name)));
            pending = 0;
            reset(&lab, &name);
            continue;
        }
        pending += 1;
    }
    let result = complete(&lab, &profile, &name, &only);
    let again = lab.up_cmd(&profile, &["--only", &only]).output().unwrap();
    let result = result.and_then(|()| {
        if text(&again.stderr).contains("nothing to do") {
            Ok(())
        } else {
            Err(format!(
                "a run after the last one did something: {}",
                text(&again.stderr)
            ))
        }
    });
    tally.record(pending, result);
    eprintln!("{landed} kills landed in runs, {rounds} extra rounds completed");
    if soak {
        // scripts/soak-kill.sh sums these lines.
        println!("soak: nodes={nodes} correct={}/{landed}", tally.correct);
    }
    assert!(
        tally.wrong.is_empty(),
        "{} wrong kill point(s): {:#?}",
        tally.wrong.len(),
        tally.wrong
    );
    assert_eq!(tally.correct, landed);
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
