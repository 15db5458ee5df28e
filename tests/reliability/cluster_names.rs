//! Finding 8: a cluster name is a name, never a path, in every command that takes one.
use super::{mlk, text};

#[test]
fn diagnose_refuses_a_cluster_name_that_is_a_path() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let victim = tmp.path().join("victim");
    std::fs::create_dir_all(home.join("lab")).unwrap();
    std::fs::create_dir_all(&victim).unwrap();
    let abs = victim.to_str().unwrap().to_string();
    for bad in [
        "../victim",
        abs.as_str(),
        "lab/..",
        ".",
        "..",
        "lab/../../victim",
        "Lab",
    ] {
        let out = mlk()
            .arg("--dir")
            .arg(&home)
            .args(["diagnose", "--cluster", bad])
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--cluster {bad}: {err}");
        assert!(err.contains("not a cluster name"), "--cluster {bad}: {err}");
    }
    assert_eq!(
        std::fs::read_dir(&victim).unwrap().count(),
        0,
        "nothing written outside the mlk home"
    );
}

#[test]
fn run_workload_and_report_refuse_paths_too() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(home.join("lab")).unwrap();
    for args in [
        vec!["run-workload", "--cluster", "../lab"],
        vec!["report", "r1", "--cluster", "/etc"],
        vec!["report", "../lab/r1"],
    ] {
        let out = mlk().arg("--dir").arg(&home).args(&args).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("not a cluster name"), "{args:?}: {err}");
    }
}
