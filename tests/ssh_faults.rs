//! Network and server faults on real sshd nodes: each ends in a transient error within the
//! keepalive budget (so the engine can retry) and the same runner reconnects afterwards.
use crate::ssh_support::{TestHosts, have_root, run, with_retries};
use mlk::remote::{RemoteError, Runner, SshRunner};
use std::time::{Duration, Instant};

/// Runs `cmd` while `fault` is injected from another thread after `after`.
fn exec_during(
    r: &SshRunner,
    cmd: &str,
    after: Duration,
    fault: impl FnOnce() + Send,
) -> (
    Result<mlk::remote::ExecOutput, RemoteError>,
    Vec<String>,
    Duration,
) {
    let mut lines = Vec::new();
    let t0 = Instant::now();
    let res = std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(after);
            fault();
        });
        r.exec(cmd, Some(Duration::from_secs(60)), &mut |l| {
            lines.push(l.to_string())
        })
    });
    (res, lines, t0.elapsed())
}

#[test]
fn ssh_sshd_killed_mid_command_is_transient_and_the_runner_reconnects() {
    if !have_root("ssh_sshd_killed_mid_command_is_transient_and_the_runner_reconnects") {
        return;
    }
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    r.upload(b"kept", "/home/vagrant/before-crash", 0o644)
        .expect("upload");
    let (res, lines, took) = exec_during(
        &r,
        "echo started; sleep 30; echo finished",
        Duration::from_secs(1),
        || {
            lab.ctl(&["kill-sshd", "1"]);
        },
    );
    let err = res.expect_err("the command's connection died");
    eprintln!("sshd killed reads: {err}");
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(lines, ["started"]);
    assert!(
        took < Duration::from_secs(10),
        "noticed only after {took:?}"
    );
    // While sshd is down, reconnecting fails transiently (and says what the proxy saw).
    let err = r.exec("true", None, &mut |_| {}).expect_err("sshd is down");
    eprintln!("sshd down at reconnect reads: {err}");
    assert!(err.is_transient(), "{err:?}");
    assert!(
        err.to_string()
            .contains("ProxyCommand exited with exit status: 1"),
        "{err}"
    );
    lab.ctl(&["start-sshd", "1"]);
    // The same runner opens a new session: what the engine's retry relies on.
    with_retries("reconnect after sshd restart", || {
        r.exec("true", None, &mut |_| {})
    });
    assert_eq!(run(&r, "hostname").1, ["node1"]);
    // Only sshd died, not the node: what it had written is still there.
    assert_eq!(
        r.download("/home/vagrant/before-crash").expect("download"),
        b"kept"
    );
}

#[test]
fn ssh_link_down_beyond_the_keepalive_budget_is_transient_then_recovers() {
    if !have_root("ssh_link_down_beyond_the_keepalive_budget_is_transient_then_recovers") {
        return;
    }
    let lab = TestHosts::up(1);
    // keepalive every 1 s, dead after 2 missed: silence budget 3 s.
    let r = lab.connect(1);
    let (res, lines, took) = exec_during(
        &r,
        "echo started; sleep 20; echo finished",
        Duration::from_secs(1),
        || {
            lab.ctl(&["link", "1", "down"]);
        },
    );
    let err = res.expect_err("the link is down");
    eprintln!("link down mid-command reads: {err}");
    assert!(err.is_transient(), "{err:?}");
    assert!(err.to_string().contains("no answer from the node"), "{err}");
    assert_eq!(lines, ["started"]);
    assert!(took < Duration::from_secs(8), "noticed only after {took:?}");
    lab.ctl(&["link", "1", "up"]);
    with_retries("reconnect after link up", || {
        r.exec("true", None, &mut |_| {})
    });
    assert_eq!(run(&r, "echo back").1, ["back"]);
}

#[test]
fn ssh_link_flap_within_the_budget_does_not_break_the_command() {
    if !have_root("ssh_link_flap_within_the_budget_does_not_break_the_command") {
        return;
    }
    let lab = TestHosts::up(1);
    let mut opts = lab.options();
    opts.keepalive_max_missed = 8;
    let r = SshRunner::connect(&lab.endpoint(1), &opts).expect("connect");
    let (res, lines, _) = exec_during(
        &r,
        "for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 0.5; done",
        Duration::from_millis(700),
        || {
            lab.ctl(&["link", "1", "down"]);
            std::thread::sleep(Duration::from_millis(1500));
            lab.ctl(&["link", "1", "up"]);
        },
    );
    let out = res.expect("TCP retransmits across a 1.5 s outage");
    assert_eq!(out.status, 0);
    assert_eq!(lines, ["1", "2", "3", "4", "5", "6", "7", "8"]);
}

#[test]
fn ssh_packet_loss_still_completes_and_total_loss_is_a_clear_transient_error() {
    if !have_root("ssh_packet_loss_still_completes_and_total_loss_is_a_clear_transient_error") {
        return;
    }
    let lab = TestHosts::up(1);
    let mut opts = lab.options();
    opts.keepalive_max_missed = 10;
    opts.io_timeout = Duration::from_secs(30);
    let r = SshRunner::connect(&lab.endpoint(1), &opts).expect("connect");
    // 10% of packets dropped both ways (nftables; this kernel has no sch_netem). Much more
    // and TCP's exponential retransmit backoff can exceed any sensible I/O timeout.
    lab.ctl(&["loss", "1", "10"]);
    let mut n = 0;
    let out = with_retries("output under loss", || {
        n = 0;
        r.exec("seq 1 20000", Some(Duration::from_secs(60)), &mut |_| {
            n += 1
        })
    });
    assert_eq!((out.status, n), (0, 20000));
    assert_eq!(out.tail.last().map(String::as_str), Some("20000"));
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    // Under loss an operation may still fail transiently (TCP backoff beyond io_timeout on a
    // busy machine); then a retry on a fresh session must succeed and the bytes must match.
    with_retries("upload under loss", || {
        r.upload(&data, "/tmp/lossy.bin", 0o600)
    });
    let back = with_retries("download under loss", || r.download("/tmp/lossy.bin"));
    assert_eq!(back, data);

    // Everything dropped: a transient error once the keepalive budget is spent, not a hang.
    lab.ctl(&["loss", "1", "100"]);
    let t0 = Instant::now();
    let err = r
        .exec("sleep 30", None, &mut |_| {})
        .expect_err("nothing gets through");
    assert!(err.is_transient(), "{err:?}");
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t0.elapsed()
    );
    lab.ctl(&["loss", "1", "off"]);
    with_retries("reconnect after loss ends", || {
        r.exec("true", None, &mut |_| {})
    });
    assert_eq!(run(&r, "echo clear").1, ["clear"]);
}

#[test]
fn ssh_link_down_during_an_upload_is_transient_within_the_io_timeout() {
    if !have_root("ssh_link_down_during_an_upload_is_transient_within_the_io_timeout") {
        return;
    }
    let lab = TestHosts::up(1);
    let r = lab.connect(1); // io_timeout 5 s
    let data = vec![0x5au8; 64 << 20];
    let t0 = Instant::now();
    let res = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            lab.ctl(&["link", "1", "down"]);
        });
        r.upload(&data, "/tmp/big.bin", 0o600)
    });
    let took = t0.elapsed();
    let err = res.expect_err("the link went down mid-upload");
    eprintln!("link down mid-upload reads: {err} (after {took:?})");
    assert!(err.is_transient(), "{err:?}");
    // io_timeout (5 s) plus slack, and no hang while dropping the dead session.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    lab.ctl(&["link", "1", "up"]);
    with_retries("reconnect after link up", || {
        r.exec("true", None, &mut |_| {})
    });
    let (_, left) = run(&r, "ls /tmp | grep -c mlk-tmp || true");
    assert_eq!(left, ["1"], "the interrupted upload's temp file is there");
    r.upload(b"small", "/tmp/big.bin", 0o600)
        .expect("upload after recovery");
    assert_eq!(run(&r, "cat /tmp/big.bin").1, ["small"]);
    let (_, left) = run(&r, "ls /tmp | grep -c mlk-tmp || true");
    assert_eq!(left, ["0"], "the next upload to the path sweeps it");
}
