//! Bad fleet input is exit 2 with the place named: a roster CSV's line, a duplicate name.
use std::process::{Command, Output};

fn mlk(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlk"))
        .arg("--dir")
        .arg(home)
        .args(args)
        .output()
        .unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_roster_and_duplicate_names_exit_2_naming_the_line() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("mlk");
    let csv = t.path().join("students.csv");
    let cases: [(&str, &str); 5] = [
        (
            "cluster,student\nada,Ada\nbob,Bob\nada,Ada again\n",
            "students.csv:4: cluster `ada` is given twice (first at line 2)",
        ),
        (
            "cluster,student\nada,Ada\nBob Smith,Bob\n",
            "students.csv:3: cluster: `Bob Smith` is not a cluster name",
        ),
        (
            "cluster,student\nada,Ada,extra\n",
            "students.csv:2: 3 field(s), but the header has 2",
        ),
        (
            "name,student\nada,Ada\n",
            "students.csv:1: column 1 `name` is not one mlk knows",
        ),
        (
            "cluster,student\n\"ada,Ada\n",
            "students.csv:2: a quoted field is not closed",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&csv, text).unwrap();
        for cmd in ["plan", "up"] {
            let o = mlk(
                &home,
                &[
                    "fleet",
                    cmd,
                    "-p",
                    "mono",
                    "--roster",
                    csv.to_str().unwrap(),
                ],
            );
            assert_eq!(o.status.code(), Some(2), "{cmd} {text:?}: {}", err(&o));
            assert!(err(&o).contains(want), "{cmd} {text:?}: {}", err(&o));
        }
    }
    let o = mlk(
        &home,
        &[
            "fleet", "plan", "-p", "mono", "--names", "ada,bob", "--names", "ada",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains(
            "--names item 3: cluster name `ada` is given twice (first at --names item 1)"
        ),
        "{}",
        err(&o)
    );
    // Nothing was recorded or created by the refused commands.
    assert!(!home.join("fleets.d/lab/fleet.json").exists());
    assert!(!home.join("ada").exists());
}

#[test]
fn a_fleet_that_does_not_fit_is_refused_with_the_numbers() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("mlk");
    // 60 mono clusters: 1080 GiB and 480 vCPUs, beyond any CI machine.
    let o = mlk(&home, &["fleet", "plan", "-p", "mono", "--count", "60"]);
    assert_eq!(o.status.code(), Some(5), "{}", err(&o));
    assert!(
        err(&o).contains("60 clusters × 18.0 GiB = 1080.0 GiB of VMs, this host has"),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("60 clusters × 8 vCPUs = 480 vCPUs"),
        "{}",
        err(&o)
    );
    // The range: 2 clusters of 3 nodes in a /30.
    let o = mlk(
        &home,
        &[
            "fleet",
            "plan",
            "-p",
            "distributed",
            "--count",
            "2",
            "--provider",
            "libvirt",
            "--network",
            "192.168.56.0/30",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("2 clusters of 3 node(s) need 6 addresses in 192.168.56.0/30"),
        "{}",
        err(&o)
    );
}
