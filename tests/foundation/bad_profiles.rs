//! The corpus of bad profiles (tests/fixtures/profiles/bad) through the real binary.
//!
//! Each file states what the error must say, in its header:
//! `# field: <path>` (the field the message names), `# expect: <fragment>` (one or more), and a
//! trailing `# <-` marks the line the message must point at (`FILE:LINE: field`).
use super::common::{fixture, mlk};
use std::path::{Path, PathBuf};

struct Case {
    path: PathBuf,
    field: String,
    expect: Vec<String>,
    line: Option<usize>,
}

fn corpus() -> Vec<Case> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(fixture("profiles/bad")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let header = |k: &str| -> Vec<String> {
            text.lines()
                .filter_map(|l| l.strip_prefix(&format!("# {k}: ")))
                .map(str::to_string)
                .collect()
        };
        let field = header("field")
            .pop()
            .unwrap_or_else(|| panic!("{path:?}: no `# field:`"));
        let expect = header("expect");
        assert!(!expect.is_empty(), "{path:?}: no `# expect:`");
        let line = text
            .lines()
            .position(|l| l.trim_end().ends_with("# <-"))
            .map(|i| i + 1);
        v.push(Case {
            path,
            field,
            expect,
            line,
        });
    }
    v.sort_by(|a, b| a.path.cmp(&b.path));
    v
}

#[test]
fn corpus_has_at_least_twenty_cases() {
    assert!(corpus().len() >= 20, "{}", corpus().len());
}

#[test]
fn every_bad_profile_exits_2_naming_file_field_line_and_what_is_allowed() {
    let mut failures = Vec::new();
    for c in corpus() {
        let file = c.path.to_str().unwrap();
        let out = mlk().args(["plan", "-p", file]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let mut why = Vec::new();
        if out.status.code() != Some(2) {
            why.push(format!("exit {:?}, want 2", out.status.code()));
        }
        if !out.stdout.is_empty() {
            why.push("printed a plan".into());
        }
        // Problem lines look like `  FILE:LINE: FIELD: message`.
        let located = match c.line {
            Some(l) => format!("{file}:{l}: {}: ", c.field),
            None => format!(": {}: ", c.field),
        };
        if !err.contains(&located) {
            why.push(format!("no `{located}`"));
        }
        for e in &c.expect {
            if !err.contains(e.as_str()) {
                why.push(format!("no `{e}`"));
            }
        }
        if !why.is_empty() {
            failures.push(format!("{file}: {}\n{err}", why.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(tree(&p));
        } else {
            v.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    v.sort();
    v
}

#[test]
fn render_of_a_bad_profile_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for c in corpus() {
        let out_dir = tmp.path().join("fresh");
        let out = mlk()
            .args([
                "render",
                "-p",
                c.path.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{:?}", c.path);
        assert!(!out_dir.exists(), "{:?} created the out folder", c.path);
    }
    // An existing render stays exactly as it was.
    let existing = tmp.path().join("existing");
    let ok = mlk()
        .args(["render", "-p", "mono", "--out", existing.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let before = tree(&existing);
    let bad = fixture("profiles/bad/duplicate-ip.yaml");
    let out = mlk()
        .args([
            "render",
            "-p",
            bad.to_str().unwrap(),
            "--out",
            existing.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(tree(&existing), before);
}

/// /etc/vbox/networks.conf widens what VirtualBox accepts, and mlk follows it.
#[test]
fn networks_conf_widens_the_virtualbox_range() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = fixture("profiles/bad/ip-outside-vbox-range.yaml");
    let conf = tmp.path().join("networks.conf");
    let plan = |conf: &Path, profile: &str| {
        mlk()
            .env("MLK_VBOX_NETWORKS_CONF", conf)
            .args(["plan", "-p", profile])
            .output()
            .unwrap()
    };
    std::fs::write(&conf, "* 10.0.0.0/8 192.168.0.0/16\n").unwrap();
    let out = plan(&conf, outside.to_str().unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Allowed by networks.conf, but VirtualBox's own NAT network: still refused.
    let nat = tmp.path().join("nat.yaml");
    let text = std::fs::read_to_string(&outside).unwrap();
    std::fs::write(&nat, text.replace("10.20.30.40", "10.0.2.20")).unwrap();
    let out = plan(&conf, nat.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("10.0.2.0/24, the NAT network"), "{err}");
    // A file that allows only 10/8 makes the default address invalid, and says which file.
    std::fs::write(&conf, "* 10.0.0.0/8\n").unwrap();
    let out = plan(&conf, "mono");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("10.0.0.0/8") && err.contains(conf.to_str().unwrap()),
        "{err}"
    );
}
