//! `mlk list`, `mlk down` (idempotent, frees addresses, keeps run records), `mlk up -c NAME`
//! resuming with what was recorded, and `up`'s JSON events and progress lines.
use super::{Sandbox, code, err, json, out};
use serde_json::Value;

fn state_of(s: &Sandbox, name: &str) -> Value {
    let o = s.mlk(&["list", "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    json(&o)
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} not listed"))
}

#[test]
fn list_shows_provider_nodes_state_and_age() {
    let s = Sandbox::new();
    let o = s.mlk(&["list"]);
    assert!(o.status.success());
    assert!(err(&o).contains("no cluster in"), "{}", err(&o));
    s.up_ok("alpha", "192.168.56.10", "mark");
    let o = s.up("beta", "192.168.56.11", "mark,fail-here", &[]);
    assert_eq!(code(&o), 4, "{}", err(&o));
    s.up_ok("gamma", "192.168.56.12", "mark");
    assert!(s.mlk(&["down", "-c", "gamma"]).status.success());

    let a = state_of(&s, "alpha");
    assert_eq!(a["provider"], "ssh");
    assert_eq!(a["nodes"], 1);
    assert_eq!(a["state"], "partial");
    assert_eq!(a["stages_done"], 1);
    assert!(a["age_seconds"].as_u64().unwrap() < 600, "{a}");
    let b = state_of(&s, "beta");
    assert_eq!(b["state"], "failed");
    assert_eq!(b["stage"], "fail-here");
    assert_eq!(state_of(&s, "gamma")["state"], "destroyed");

    let o = s.mlk(&["list"]);
    let t = out(&o);
    let lines: Vec<&str> = t.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("PROVIDER"),
        "{t}"
    );
    assert!(lines[0].contains("NODES") && lines[0].contains("STATE") && lines[0].contains("AGE"));
    assert!(
        lines[2].starts_with("beta") && lines[2].contains("failed at fail-here"),
        "{t}"
    );
    assert!(
        lines[3].starts_with("gamma") && lines[3].contains("destroyed"),
        "{t}"
    );
    assert!(
        err(&o).contains(&s.home().display().to_string()),
        "{}",
        err(&o)
    );
}

#[test]
fn down_is_idempotent_frees_the_addresses_and_keeps_run_records() {
    let s = Sandbox::new();
    s.up_ok("first", "192.168.56.10", "mark");
    // Another profile on the same address: the doctor refuses while `first` is there.
    let other = s.profile("second", "192.168.56.10");
    let doctor = || {
        let o = s.mlk(&[
            "doctor",
            "-p",
            other.to_str().unwrap(),
            "--provider",
            "ssh",
            "--json",
        ]);
        let checks = json(&o)["checks"].clone();
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "other-clusters")
            .cloned()
            .unwrap()
    };
    let c = doctor();
    assert_eq!(c["status"], "FAIL", "{c}");
    assert!(
        c["fix"].as_str().unwrap().contains("mlk down -c first"),
        "{c}"
    );
    let o = s.up("second", "192.168.56.10", "mark", &[]);
    assert_eq!(code(&o), 5, "preflight: {}", err(&o));

    let dir = s.home().join("first");
    std::fs::create_dir_all(dir.join("runs")).unwrap();
    std::fs::write(dir.join("runs/r1.json"), "{}").unwrap();
    let o = s.mlk(&["down", "-c", "first"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("forgotten"), "{}", err(&o));
    assert!(dir.join("runs/r1.json").is_file(), "run records are kept");
    assert!(
        !dir.join("state.json").exists(),
        "the stage records went with the hosts"
    );
    // The address is free now: the doctor passes and the other cluster comes up.
    assert_eq!(doctor()["status"], "PASS");
    s.up_ok("second", "192.168.56.10", "mark");

    let o = s.mlk(&["down", "-c", "first"]);
    assert!(o.status.success());
    assert!(err(&o).contains("already destroyed"), "{}", err(&o));
    let o = s.mlk(&["down", "-c", "never-made"]);
    assert!(o.status.success());
    assert!(err(&o).contains("no cluster never-made"), "{}", err(&o));
    // With `first` destroyed, `second` is the only live cluster: no name needed.
    let o = s.mlk(&["status", "--json"]);
    assert_eq!(json(&o)["cluster"], "second");
    // A destroyed cluster comes back with what its first `up` recorded.
    let o = s.mlk(&["down", "-c", "second", "-f"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = s.mlk(&["up", "-c", "first", "--only", "mark2"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(state_of(&s, "first")["state"], "partial");
    let o = s.mlk(&["down", "-c", "first", "--purge"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!dir.exists(), "--purge deletes the folder and its runs");
}

#[test]
fn up_resumes_with_what_it_recorded_and_refuses_mismatches() {
    let s = Sandbox::new();
    s.up_ok("lab", "192.168.56.10", "mark");
    // Profile, provider and inventory come from the record.
    let o = s.mlk(&["up", "-c", "lab", "--only", "mark,mark2"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        err(&o).contains("up finished: 1 stage(s) run, 1 already done"),
        "{}",
        err(&o)
    );
    let o = s.mlk(&["up", "-c", "lab", "--provider", "libvirt", "--only", "mark"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("was brought up with provider ssh"),
        "{}",
        err(&o)
    );
    // Kubernetes runs on the machines: another distribution needs `down` first.
    let o = s.mlk(&[
        "up",
        "-c",
        "lab",
        "--distribution",
        "rke2",
        "--only",
        "mark",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("was brought up with distribution rke; to use rke2"),
        "{}",
        err(&o)
    );
    let o = s.mlk(&["up", "-c", "nosuch"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("no cluster nosuch"), "{}", err(&o));
    let p = s.profile("lab", "192.168.56.10");
    let o = s.mlk(&["up", "-c", "other", "-p", p.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("names its cluster `lab`"), "{}", err(&o));
    // --inventory is for existing hosts only.
    let q = s.profile("vms", "192.168.56.20");
    let inv = s.path("inventory");
    let o = s.mlk(&[
        "up",
        "-p",
        q.to_str().unwrap(),
        "--inventory",
        inv.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("--inventory lists existing hosts and needs --provider ssh"),
        "{}",
        err(&o)
    );
    assert!(!s.home().join("vms").exists());
    // A bare `mlk up` with one unfinished cluster suggests it.
    let o = s.mlk(&["up"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("resume it with `mlk up -c lab`"),
        "{}",
        err(&o)
    );
}

#[test]
fn json_events_cover_preflight_and_run_end_has_the_exit_class_and_bundle() {
    let s = Sandbox::new();
    let events = |o: &std::process::Output| -> Vec<Value> {
        out(o)
            .lines()
            .map(|l| serde_json::from_str(l).expect("each stdout line is one JSON event"))
            .collect()
    };
    s.up_ok("first", "192.168.56.10", "mark");
    // A preflight failure: one event per check, then run_end with exit 5.
    let o = s.up("second", "192.168.56.10", "mark", &["--json"]);
    assert_eq!(code(&o), 5, "{}", err(&o));
    let ev = events(&o);
    let checks: Vec<&Value> = ev.iter().filter(|e| e["event"] == "preflight").collect();
    assert!(checks.len() >= 2, "{ev:?}");
    let other = checks
        .iter()
        .find(|c| c["check"] == "other-clusters")
        .unwrap();
    assert_eq!(other["status"], "FAIL");
    assert!(other["fix"].is_string());
    let end = ev.last().unwrap();
    assert_eq!(end["event"], "run_end");
    assert_eq!(end["exit_code"], 5);
    assert_eq!(end["exit_class"], "preflight");
    assert!(end["diagnostics"].is_null());
    assert_eq!(ev.iter().filter(|e| e["event"] == "run_end").count(), 1);
    // A failed stage: exit 4, and the diagnostics bundle the run wrote.
    let o = s.up("first", "192.168.56.10", "fail-here", &["--json"]);
    assert_eq!(code(&o), 4, "{}", err(&o));
    let end = events(&o).pop().unwrap();
    assert_eq!(end["exit_class"], "remote");
    let bundle = end["diagnostics"].as_str().expect("a bundle path");
    assert!(std::path::Path::new(bundle).is_file(), "{bundle}");
    assert!(err(&o).contains(&format!("diagnostics: {bundle}")));
    // Success: exit 0.
    let o = s.up("first", "192.168.56.10", "mark2", &["--json"]);
    let end = events(&o).pop().unwrap();
    assert_eq!(
        (end["exit_code"].clone(), end["status"].clone()),
        (0.into(), "done".into())
    );
}

#[test]
fn finished_stages_stay_on_screen_as_check_lines() {
    let s = Sandbox::new();
    // What stays on a terminal: lines that end the redraws (erase-line, carriage return).
    let screen = |o: &std::process::Output| err(o).replace("\x1b[2K", "\n").replace('\r', "\n");
    let o = s.up(
        "lab",
        "192.168.56.10",
        "mark,mark2",
        &["--progress", "always"],
    );
    assert!(o.status.success(), "{}", err(&o));
    let e = screen(&o);
    for (i, id) in [(1, "mark"), (2, "mark2")] {
        let line = e
            .lines()
            .find(|l| l.contains(&format!("✓ [{i}/2] {id} ")))
            .unwrap_or_else(|| panic!("no ✓ line for {id}:\n{e}"));
        assert!(
            line.contains("done, ran") && line.trim_end().ends_with('s'),
            "{line}"
        );
    }
    let o = s.up(
        "lab",
        "192.168.56.10",
        "fail-here",
        &["--progress", "always"],
    );
    assert_eq!(code(&o), 4);
    assert!(
        screen(&o).contains("✗ [1/1] fail-here  FAILED"),
        "{}",
        err(&o)
    );
}
