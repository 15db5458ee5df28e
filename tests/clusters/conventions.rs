//! What users expect of a CLI: completions, man pages, version, examples in every `--help`,
//! and the embedded profiles to copy.
use super::{Sandbox, code, err, out};
use std::process::Command;

#[test]
fn completion_scripts_for_four_shells() {
    let s = Sandbox::new();
    for (shell, marker) in [
        ("bash", "complete -F _mlk"),
        ("zsh", "#compdef mlk"),
        ("fish", "complete -c mlk"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = s.mlk(&["completion", shell]);
        assert!(o.status.success(), "{shell}: {}", err(&o));
        let t = out(&o);
        assert!(t.contains(marker), "{shell} script lacks {marker}");
        for sub in ["run-workload", "kubeconfig", "--cluster"] {
            assert!(t.contains(sub), "{shell} script lacks {sub}");
        }
    }
    // bash really loads it and registers the function.
    let script = out(&s.mlk(&["completion", "bash"]));
    let o = Command::new("bash")
        .args(["-c", "source /dev/stdin && complete -p mlk"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(script.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        out(&o).contains("-F _mlk") && out(&o).contains("mlk"),
        "{}{}",
        out(&o),
        err(&o)
    );
    assert_eq!(code(&s.mlk(&["completion", "tcsh"])), 2);
}

#[test]
fn man_pages_on_stdout_or_one_per_command() {
    let s = Sandbox::new();
    let o = s.mlk(&["man"]);
    assert!(o.status.success(), "{}", err(&o));
    let page = out(&o);
    assert!(page.contains(".TH mlk 1"), "{page}");
    for sec in [".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS", ".SH VERSION"] {
        assert!(page.contains(sec), "man page lacks {sec}");
    }
    let dir = s.path("man1");
    let o = s.mlk(&["man", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let sub_names: Vec<String> = mlk::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in &sub_names {
        let f = dir.join(format!("mlk-{name}.1"));
        assert!(f.is_file(), "{} missing", f.display());
    }
    let up = std::fs::read_to_string(dir.join("mlk-up.1")).unwrap();
    assert!(
        up.contains(".TH mlk-up 1") && up.contains("\\-\\-cluster"),
        "{up}"
    );
    assert!(up.contains("Examples:"), "the page carries the examples");
    assert!(dir.join("mlk.1").is_file());
}

#[test]
fn version_names_the_commit_and_the_pinned_components() {
    let s = Sandbox::new();
    let v = out(&s.mlk(&["version"]));
    assert_eq!(
        v,
        out(&s.mlk(&["--version"])),
        "`mlk version` = `mlk --version`"
    );
    assert!(
        v.starts_with(&format!("mlk {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| out(&o).trim().to_string());
    match head {
        Some(h) => assert!(v.contains(&format!("(commit {h})")), "{v} vs HEAD {h}"),
        None => assert!(v.contains("(commit unknown)"), "{v}"),
    }
    let lock = mlk::lockfile::get();
    assert!(v.contains(&lock.kubernetes));
    for (name, b) in &lock.binaries {
        assert!(
            v.lines()
                .any(|l| l.split_whitespace().eq([name.as_str(), b.version.as_str()])),
            "{name} {} missing:\n{v}",
            b.version
        );
    }
    assert!(v.contains(&lock.kubeflow.version));
}

#[test]
fn every_subcommand_help_has_examples() {
    let s = Sandbox::new();
    let mut subs: Vec<Vec<String>> = Vec::new();
    for c in mlk::cli::command().get_subcommands() {
        subs.push(vec![c.get_name().to_string()]);
        for sc in c.get_subcommands() {
            subs.push(vec![c.get_name().to_string(), sc.get_name().to_string()]);
        }
    }
    assert!(subs.len() > 15, "{subs:?}");
    for sub in subs {
        let mut args: Vec<&str> = sub.iter().map(String::as_str).collect();
        args.push("--help");
        let o = s.mlk(&args);
        assert!(o.status.success(), "{args:?}");
        let h = out(&o);
        let examples = h.split_once("Examples:\n").map(|(_, e)| e);
        assert!(
            examples.is_some_and(|e| e.lines().any(|l| l.starts_with("  ") && l.contains("mlk "))),
            "`mlk {}` --help has no examples:\n{h}",
            sub.join(" ")
        );
    }
}

#[test]
fn embedded_profiles_can_be_listed_and_printed_to_copy() {
    let s = Sandbox::new();
    let o = s.mlk(&["profile", "list"]);
    assert!(o.status.success());
    let t = out(&o);
    assert!(t.contains("mono") && t.contains("192.168.56.10"), "{t}");
    assert!(
        t.contains("distributed") && t.contains("192.168.56.22"),
        "{t}"
    );
    let o = s.mlk(&["profile", "show", "mono"]);
    assert_eq!(out(&o), mlk::profile::embedded_source("mono").unwrap());
    // The printed copy is a profile mlk accepts as a file.
    let copy = s.path("my-lab.yaml");
    std::fs::write(&copy, out(&o)).unwrap();
    let o = s.mlk(&["plan", "-p", copy.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = s.mlk(&["profile", "show", "nosuch"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("distributed, mono"), "{}", err(&o));
}
