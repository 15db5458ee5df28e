//! `mlk up` runs the doctor's FAIL-level checks first and stops on them (exit 5) before it
//! creates anything; `--skip-preflight` goes on, and a failed run leaves a diagnostics bundle; the
//! preflight reads the render the run makes (one render per `mlk up`).
use mlk::provider::ProviderKind;
use std::path::Path;
use std::process::Command;

fn mlk(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(assert_cmd::cargo::cargo_bin("mlk"))
        .arg("--dir")
        .arg(home)
        .args(args)
        .env_remove("MLK_HOME")
        .env("MLK_PROGRESS", "never")
        .output()
        .unwrap()
}

/// A running cluster `other` on 192.168.56.10 (rendered files and a state with a stage done).
fn running_other(home: &Path) {
    let yaml = mlk::profile::embedded_source("mono")
        .unwrap()
        .replace("name: mono", "name: other");
    let file = home.join("other.yaml");
    std::fs::write(&file, yaml).unwrap();
    let out = mlk(
        home,
        &[
            "render",
            "-p",
            file.to_str().unwrap(),
            "--out",
            home.join("other/rendered").to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    std::fs::write(
        home.join("other/state.json"),
        r#"{"format":1,"cluster":"other","stages":{"os-prep":{"node1":{"status":"done","input_hash":"x"}}}}"#,
    )
    .unwrap();
}

#[test]
fn up_stops_on_a_preflight_failure_and_skip_preflight_goes_on() {
    let home = tempfile::tempdir().unwrap();
    running_other(home.path());
    // Loopback port 1: nothing listens, so a connect fails at once and sends nothing outside.
    let inv = home.path().join("inventory");
    std::fs::write(
        &inv,
        "Host node1\n  HostName 127.0.0.1\n  Port 1\n  User vagrant\n",
    )
    .unwrap();
    let args = [
        "up",
        "-p",
        "mono",
        "--provider",
        "ssh",
        "--inventory",
        inv.to_str().unwrap(),
        "--connect-timeout",
        "2",
        "--retry-budget",
        "1",
    ];

    let out = mlk(home.path(), &args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("FAIL [other-clusters]") && err.contains("fix: "),
        "{err}"
    );
    assert!(
        !home.path().join("mono").exists(),
        "preflight must run before anything is created"
    );

    let mut skip = args.to_vec();
    skip.push("--skip-preflight");
    let out = mlk(home.path(), &skip);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(5), "{err}");
    assert_ne!(out.status.code(), Some(0), "{err}");
    // The failed run left a bundle in the cluster folder and printed its path.
    let bundle: Vec<_> = std::fs::read_dir(home.path().join("mono"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("diagnostics-")
        })
        .collect();
    assert_eq!(bundle.len(), 1, "{err}");
    assert!(
        err.contains(&format!("diagnostics: {}", bundle[0].display())),
        "{err}"
    );
}

/// One `mlk up` renders the tree once: the preflight reads os-prep's sysctls from the render
/// the run makes, not from a render of its own (issue 15: two renders before). In-process, so
/// the render hook (a per-thread count) sees the command's renders; the nodes are loopback
/// port 1, so the run fails at its first connection, after the render and the preflight.
#[test]
fn up_renders_once_with_the_preflight_on() {
    let home = tempfile::tempdir().unwrap();
    let inv = home.path().join("inventory");
    std::fs::write(
        &inv,
        "Host node1\n  HostName 127.0.0.1\n  Port 1\n  User vagrant\n",
    )
    .unwrap();
    let g = mlk::cli::Global {
        dir: Some(home.path().to_path_buf()),
        progress: mlk::progress::ProgressMode::Never,
    };
    let args = |skip_preflight| mlk::commands::up::UpArgs {
        profile: Some("mono".into()),
        cluster: None,
        provider: Some(ProviderKind::Ssh),
        inventory: Some(inv.clone()),
        distribution: None,
        from: None,
        only: vec!["os-prep".into()],
        skip: Vec::new(),
        json: false,
        retry_budget: 1,
        destroy_on_failure: false,
        skip_preflight,
        connect_timeout: 2,
    };
    for skip_preflight in [false, true] {
        let before = mlk::render::renders_on_this_thread();
        let err = mlk::commands::up::run(&g, &args(skip_preflight)).unwrap_err();
        let msg = format!("{err:#}");
        // It got past the preflight and the render, to the nodes.
        assert!(msg.contains("os-prep"), "{msg}");
        assert_ne!(
            mlk::exit::class_of(&err),
            mlk::exit::Class::Preflight,
            "{msg}"
        );
        assert!(
            home.path()
                .join("mono/rendered/stages/os-prep.sh")
                .is_file(),
            "{msg}"
        );
        assert_eq!(
            mlk::render::renders_on_this_thread() - before,
            1,
            "renders of one `mlk up` (skip_preflight {skip_preflight})"
        );
    }
}
