//! Property test of the profile loader on random and mutated profiles, seeded with the
//! embedded profiles and every fixture (good and bad). For every input mlk must finish within
//! a bound and never panic, and either accept it, and then its plan builds and its render
//! passes `bash -n` (stage scripts), `ruby -c` (Vagrantfile), a YAML parse (values, cluster.yml,
//! Kubeflow overlay) and, for a sample, `vagrant validate --ignore-provider`; or refuse it as
//! bad input (exit 2). A sample goes through the real binary, which must agree.
//!
//! `MLK_FUZZ_CASES` sets the number of cases (default 300, well under a minute);
//! `MLK_FUZZ_VAGRANT` how many accepted cases `vagrant validate` checks (default 3).
mod inputs;
mod mutate;

use inputs::{case, load, to_text};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use serde::Deserialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the loader made of one input, computed on a thread so a hang is caught.
enum Verdict {
    Accepted(mlk::render::Rendered),
    Refused(String),
}

fn judge(text: &str) -> Result<Verdict, TestCaseError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let t = text.to_string();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| match load(&t) {
            Ok(p) => {
                let _ = mlk::plan::build(&p, "fuzz.yaml");
                mlk::render::render_all(&p)
                    .map(Verdict::Accepted)
                    .map_err(|e| format!("accepted, but the render failed: {e:#}"))
            }
            Err(e) => {
                let class = mlk::exit::class_of(&anyhow::Error::new(e.clone()));
                if class == mlk::exit::Class::Usage {
                    Ok(Verdict::Refused(e.to_string()))
                } else {
                    Err(format!(
                        "refused with exit class {class:?}, not bad input: {e}"
                    ))
                }
            }
        });
        let _ = tx.send(r);
    });
    // A hang detector, not a benchmark: every real input takes milliseconds.
    match rx.recv_timeout(Duration::from_secs(20)) {
        Err(_) => Err(TestCaseError::fail("the loader did not finish within 20 s")),
        Ok(Err(_)) => Err(TestCaseError::fail("the loader panicked")),
        Ok(Ok(Err(m))) => Err(TestCaseError::fail(m)),
        Ok(Ok(Ok(v))) => Ok(v),
    }
}

fn run_tool(cmd: &mut std::process::Command, what: &str) -> Result<(), TestCaseError> {
    let out = cmd
        .output()
        .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "{what} rejects the render: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

static VAGRANT_LEFT: std::sync::OnceLock<AtomicUsize> = std::sync::OnceLock::new();
static CASE_NO: AtomicUsize = AtomicUsize::new(0);

/// The rendered files pass bash, ruby, a YAML parser and (a sample) vagrant.
fn check_render(files: &mlk::render::Rendered) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        if rel.ends_with(".yaml") || rel.ends_with(".yml") {
            for doc in serde_yaml_ng::Deserializer::from_str(text) {
                serde_yaml_ng::Value::deserialize(doc)
                    .map_err(|e| TestCaseError::fail(format!("{rel} is not YAML: {e}")))?;
            }
        }
    }
    run_tool(
        std::process::Command::new("bash")
            .args([
                "-c",
                r#"for f in stages/*.sh; do bash -n "$f" || exit 1; done"#,
            ])
            .current_dir(dir.path()),
        "bash -n",
    )?;
    run_tool(
        std::process::Command::new("ruby")
            .args(["-c", "Vagrantfile"])
            .current_dir(dir.path()),
        "ruby -c",
    )?;
    let left = VAGRANT_LEFT.get_or_init(|| AtomicUsize::new(env_count("MLK_FUZZ_VAGRANT", 3)));
    if left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        let home = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("vagrant")
            .args(["validate", "--ignore-provider"])
            .current_dir(dir.path())
            .env("VAGRANT_CHECKPOINT_DISABLE", "1")
            .env("VAGRANT_HOME", home.path())
            .output()
            .map_err(|e| TestCaseError::fail(format!("vagrant: {e}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        prop_assert!(
            out.status.success() && stdout.contains("validated successfully"),
            "vagrant validate: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// One in this many cases also goes through the real binary (`mlk plan`).
const BINARY_EVERY: usize = 8;

fn through_the_binary(text: &str, accepted: bool) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(&f, text).unwrap();
    let mut cmd = super::mlk();
    cmd.args(["plan", "-p", f.to_str().unwrap()]);
    let out = super::run_bounded(cmd, 30)
        .ok_or_else(|| TestCaseError::fail("mlk plan did not finish within 30 s"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    prop_assert!(!err.contains("panicked"), "mlk panicked: {err}");
    let want = if accepted { 0 } else { 2 };
    prop_assert_eq!(out.status.code(), Some(want), "{}", err);
    Ok(())
}

fn have_tools() -> bool {
    ["bash", "ruby", "vagrant"].iter().all(|t| {
        let ok = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{t} is not installed, but CI=true"
            );
            eprintln!("SKIP: {t} is not installed");
        }
        ok
    })
}

#[test]
fn the_profile_loader_never_panics_hangs_or_accepts_what_it_cannot_render() {
    if !have_tools() {
        return;
    }
    let cases = env_count("MLK_FUZZ_CASES", 300) as u32;
    let accepted = AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    });
    let result = runner.run(&case(), |c| {
        let text = to_text(&c);
        let verdict = judge(&text)?;
        let is_ok = matches!(verdict, Verdict::Accepted(_));
        match &verdict {
            Verdict::Accepted(files) => {
                accepted.fetch_add(1, Ordering::Relaxed);
                check_render(files)?;
            }
            Verdict::Refused(msg) => {
                prop_assert!(msg.len() < 64 * 1024, "a {} byte error message", msg.len());
            }
        }
        if CASE_NO
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(BINARY_EVERY)
        {
            through_the_binary(&text, is_ok)?;
        }
        Ok(())
    });
    let accepted = accepted.load(Ordering::Relaxed);
    eprintln!("fuzz: {cases} cases, {accepted} accepted and rendered");
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both sides are exercised: a generator that only makes garbage proves little.
    assert!(
        accepted * 10 >= cases as usize,
        "only {accepted} of {cases} cases were accepted"
    );
    assert!(accepted < cases as usize, "every case was accepted");
}
