//! A command that exits non-zero is retried only when its stage says that is safe.
use super::lab::Lab;
use super::{cluster, text};

/// A stage that fails on its first two runs and succeeds on the third, counting attempts.
fn flaky(retry: bool) -> String {
    format!(
        "  - id: flaky\n    after: docker\n    retry: {retry}\n    run: |\n      n=$(( $(cat /tmp/flaky-count 2>/dev/null || echo 0) + 1 ))\n      echo $n > /tmp/flaky-count\n      echo attempt $n\n      [ $n -ge 3 ]\n"
    )
}

#[test]
fn retry_safe_stage_is_retried_until_it_passes() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("retry");
    let profile = lab.profile(&name, &flaky(true));
    let out = lab.up_cmd(&profile, &["--only", "flaky"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.ssh("node1", "cat /tmp/flaky-count"), "3\n");
}

#[test]
fn non_zero_exit_is_not_retried_by_default() {
    let Some(lab) = Lab::up(1) else { return };
    let name = cluster("noretry");
    let profile = lab.profile(&name, &flaky(false));
    let out = lab.up_cmd(&profile, &["--only", "flaky"]).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("| attempt 1"), "{err}");
    assert_eq!(lab.ssh("node1", "cat /tmp/flaky-count"), "1\n", "ran once");
}
