//! Finding 12: a state file of another format or cluster is refused, garbage gets the "move it
//! away" advice, temp files of killed runs are cleaned and never bundled, and bundles written
//! in the same second do not overwrite each other.
use super::{HostCluster, NOOP_STAGE, text};

fn seed_state(c: &HostCluster, bytes: &[u8]) {
    std::fs::create_dir_all(c.dir()).unwrap();
    std::fs::write(c.dir().join("state.json"), bytes).unwrap();
}

#[test]
fn a_state_file_of_an_unknown_format_is_refused() {
    let c = HostCluster::new(NOOP_STAGE);
    seed_state(
        &c,
        format!(
            "{{\"format\": 999, \"cluster\": \"{}\", \"stages\": {{}}}}",
            c.name
        )
        .as_bytes(),
    );
    let out = c.up("noop", &[]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "accepted: {err}");
    assert!(
        err.contains("format 999") && err.contains("move it away"),
        "{err}"
    );
}

#[test]
fn a_state_file_of_another_cluster_is_refused() {
    let c = HostCluster::new(NOOP_STAGE);
    seed_state(
        &c,
        b"{\"format\": 1, \"cluster\": \"someone-else\", \"stages\": {}}",
    );
    let out = c.up("noop", &[]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "accepted: {err}");
    assert!(
        err.contains("someone-else") && err.contains(&c.name),
        "{err}"
    );
}

#[test]
fn garbage_bytes_get_the_move_it_away_advice() {
    let c = HostCluster::new(NOOP_STAGE);
    seed_state(&c, &[0xff, 0xfe, 0x00, 0x9c, 0x1b, b'[', b'2', b'J']);
    let out = c.up("noop", &[]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("move it away"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
}

#[test]
fn temp_files_of_a_killed_run_are_cleaned_and_never_bundled() {
    let c = HostCluster::new(NOOP_STAGE);
    let dir = c.dir();
    let left = [
        "rendered/stages/.mlk-tmp-AbC123",
        "rendered/.mlk-tmp-x1",
        "secrets/.mlk-tmp-y2",
        ".mlk-tmp-z3",
    ];
    for rel in left {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "half-written Pl4nted-TMP-secret").unwrap();
    }
    // A bundle made before the next run does not include them.
    let out = super::mlk()
        .arg("--dir")
        .arg(c.home())
        .args(["diagnose", "--cluster", &c.name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bundle = std::path::PathBuf::from(text(&out.stdout).trim());
    let list = std::process::Command::new("tar")
        .arg("tzf")
        .arg(&bundle)
        .output()
        .unwrap();
    let names = text(&list.stdout);
    assert!(!names.contains(".mlk-tmp-"), "{names}");
    let out = c.up("noop", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for rel in left {
        assert!(!dir.join(rel).exists(), "{rel} is still there");
    }
}

#[test]
fn bundles_written_in_the_same_second_are_all_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mlk.log"), "a line\n").unwrap();
    let paths: Vec<_> = (0..4)
        .map(|_| mlk::diagnose::write(&dir).unwrap())
        .collect();
    let unique: std::collections::BTreeSet<_> = paths.iter().collect();
    assert_eq!(unique.len(), paths.len(), "{paths:?}");
    for p in &paths {
        assert!(p.is_file(), "{}", p.display());
    }
}
