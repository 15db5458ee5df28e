//! SshRunner against real sshd nodes: commands, streaming, exit codes, files, tunnels.
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::remote::{RemoteError, Runner};
use std::time::{Duration, Instant};

#[test]
fn ssh_exec_streams_lines_and_returns_exit_codes() {
    if !have_root("ssh_exec_streams_lines_and_returns_exit_codes") {
        return;
    }
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    assert_eq!(r.node(), "node1");
    let (st, lines) = run(
        &r,
        "hostname; id -un; sudo -n id -u; echo to-stderr >&2; printf 'no-newline'",
    );
    assert_eq!(st, 0);
    // stderr is a separate SSH stream: its lines are whole, but their order relative to
    // stdout's is only the order of arrival.
    let stdout: Vec<_> = lines.iter().filter(|l| *l != "to-stderr").collect();
    assert_eq!(stdout, ["node1", "vagrant", "0", "no-newline"]);
    assert_eq!(
        lines.iter().filter(|l| *l == "to-stderr").count(),
        1,
        "{lines:?}"
    );
    // stdin is closed: a command that reads it ends instead of hanging.
    let (st, lines) = run(&r, "cat; read x || echo stdin-closed");
    assert_eq!((st, lines), (0, vec!["stdin-closed".to_string()]));
    let (st, _) = run(&r, "exit 7");
    assert_eq!(st, 7);
    // Killed by a signal: 128 + the signal's number, like a shell reports it.
    let (st, _) = run(&r, "kill -TERM $$");
    assert_eq!(st, 143);
    // The tail keeps the last 30 lines of a long output.
    let out = r.exec("seq 1 100; exit 3", None, &mut |_| {}).expect("seq");
    assert_eq!(out.status, 3);
    assert_eq!(out.tail.len(), 30);
    assert_eq!(out.tail.first().map(String::as_str), Some("71"));
    assert_eq!(out.tail.last().map(String::as_str), Some("100"));
    // Lines arrive while the command still runs, not at its end.
    let t0 = Instant::now();
    let mut first_at = None;
    r.exec("echo first; sleep 2; echo second", None, &mut |l| {
        if l == "first" {
            first_at = Some(t0.elapsed());
        }
    })
    .expect("streaming");
    let first_at = first_at.expect("saw the first line");
    assert!(
        first_at < Duration::from_millis(1500),
        "first line came after {first_at:?}"
    );
}

#[test]
fn ssh_exec_timeout_kills_the_command_and_reports_its_tail() {
    if !have_root("ssh_exec_timeout_kills_the_command_and_reports_its_tail") {
        return;
    }
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    let t0 = Instant::now();
    let err = r
        .exec(
            "echo started; sleep 1000 & echo $! > /tmp/child; wait",
            Some(Duration::from_secs(2)),
            &mut |_| {},
        )
        .expect_err("must time out");
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
    match &err {
        RemoteError::Timeout { tail, message, .. } => {
            assert_eq!(tail, &["started"]);
            assert!(message.contains("timed out after 2s"), "{message}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(!err.is_transient());
    // The whole process group is gone, including the background child; the session still works.
    let (st, _) = run(&r, "! kill -0 $(cat /tmp/child) 2>/dev/null");
    assert_eq!(st, 0, "the background sleep survived the timeout");
}

#[test]
fn ssh_silent_command_longer_than_the_dead_link_budget_survives_on_keepalives() {
    if !have_root("ssh_silent_command_longer_than_the_dead_link_budget_survives_on_keepalives") {
        return;
    }
    let lab = TestHosts::up(1);
    // keepalive 1 s, dead after 2 missed: 3 s of silence would mean a dead link, but the
    // node answers every keepalive, so a 6 s silent command is fine.
    let r = lab.connect(1);
    let t0 = Instant::now();
    let (st, lines) = run(&r, "sleep 6; echo done");
    assert_eq!((st, lines), (0, vec!["done".to_string()]));
    assert!(t0.elapsed() >= Duration::from_secs(6));
}
