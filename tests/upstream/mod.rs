//! The real upstream artifacts vendored under tests/fixtures/upstream (see its VENDORED.md):
//! that they are intact and cover every version mlk pins, and the session-wide renders the
//! other tests use: the real charts (`charts`), the Kubeflow build (`kubeflow`) and the whole
//! set of objects mlk applies (`objects`).
pub mod charts;
pub mod kubeflow;
pub mod objects;

use sha2::{Digest, Sha256};
use std::path::Path;

/// `(path, problem)` for each file of SHA256SUMS that is missing or differs.
fn integrity_problems(root: &Path, sums: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (hex, path) = line.split_once("  ").expect("`<sha256>  <path>` lines");
        match std::fs::read(root.join(path)) {
            Ok(bytes) => {
                let have = hex::encode(Sha256::digest(&bytes));
                if have != hex {
                    out.push((
                        path.to_string(),
                        format!("sha256 {have}, SHA256SUMS says {hex}"),
                    ));
                }
            }
            Err(e) => out.push((path.to_string(), e.to_string())),
        }
    }
    out
}

/// VENDORED.md's promise: every vendored file matches tests/fixtures/upstream/SHA256SUMS,
/// and every file under charts/, kubeflow/ and LICENSES/ is listed there.
#[test]
fn integrity() {
    let root = Path::new(charts::ROOT);
    let sums = std::fs::read_to_string(root.join("SHA256SUMS")).unwrap();
    assert_eq!(integrity_problems(root, &sums), vec![]);
    let listed: std::collections::BTreeSet<&str> = sums
        .lines()
        .filter_map(|l| l.split_once("  ").map(|x| x.1))
        .collect();
    let mut unlisted = Vec::new();
    for top in ["charts", "kubeflow", "LICENSES"] {
        walk(&root.join(top), &mut |p| {
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
            if !listed.contains(rel.as_str()) {
                unlisted.push(rel);
            }
        });
    }
    assert_eq!(unlisted, Vec::<String>::new(), "files not in SHA256SUMS");
    assert!(listed.len() > 300, "{} files listed", listed.len());
}

/// The check is not vacuous: a changed byte and a missing file are both reported.
#[test]
fn integrity_check_notices_a_changed_and_a_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a"), "one").unwrap();
    let good = hex::encode(Sha256::digest(b"one"));
    let sums = format!("{good}  a\n{good}  b\n");
    assert_eq!(integrity_problems(tmp.path(), &sums).len(), 1);
    std::fs::write(tmp.path().join("a"), "two").unwrap();
    assert_eq!(integrity_problems(tmp.path(), &sums).len(), 2);
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, f);
        } else {
            f(&p);
        }
    }
}

/// Every chart version and the Kubeflow tag that versions.lock.yaml pins is vendored, so
/// every release's test renders the real chart at exactly that version.
#[test]
fn every_pinned_version_is_vendored() {
    let mut missing = Vec::new();
    // Both distributions' matrices (RKE2's: Rancher 2.15.0, cert-manager v1.21.1, 26.03).
    for d in mlk::distribution::Distribution::ALL {
        let lock = mlk::lockfile::of(d);
        for (chart, c) in &lock.charts {
            let dir = charts::chart_dir(chart, &c.version);
            match std::fs::read_to_string(dir.join("Chart.yaml")) {
                Ok(text) => {
                    let meta: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
                    assert_eq!(
                        meta["name"].as_str(),
                        Some(chart.as_str()),
                        "{}",
                        dir.display()
                    );
                    assert_eq!(
                        meta["version"].as_str(),
                        Some(c.version.as_str()),
                        "{}",
                        dir.display()
                    );
                }
                Err(_) => missing.push(format!("{chart} {}", c.version)),
            }
        }
        if !kubeflow::tarball(&lock.kubeflow.version).is_file() {
            missing.push(format!("kubeflow {}", lock.kubeflow.version));
        }
    }
    assert_eq!(missing, Vec::<String>::new(), "pinned but not vendored");
    // Every release of both embedded profiles finds its chart.
    for name in mlk::profile::embedded_names() {
        let p = crate::secrets_host::profile(&name);
        for r in mlk::plan::build(&p, "").helm_releases {
            charts::vendored(&r).unwrap();
        }
    }
}

/// A pin that is not vendored fails with a message naming the release and the folder.
#[test]
fn a_pin_that_is_not_vendored_fails() {
    let p = crate::secrets_host::profile("mono");
    let mut r = mlk::plan::build(&p, "").helm_releases.remove(0);
    r.version = "9.9.9".into();
    let e = charts::vendored(&r).unwrap_err();
    assert!(
        e.contains("9.9.9") && e.contains(&r.release) && e.contains("not vendored"),
        "{e}"
    );
}

/// Every `.Capabilities.APIVersions.Has "X"` in the pinned charts is classified as served or
/// not served by Kubernetes 1.32 (charts::SERVED_1_32), so no chart silently renders a
/// fallback the real cluster would not choose.
#[test]
fn asked_capabilities_are_classified() {
    let re = regex::Regex::new(r#"APIVersions\.Has "([^"]+)""#).unwrap();
    let lock = mlk::lockfile::get();
    let mut unknown = std::collections::BTreeSet::new();
    let mut asked = 0;
    for (chart, c) in &lock.charts {
        walk(
            &charts::chart_dir(chart, &c.version).join("templates"),
            &mut |p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                for m in re.captures_iter(&text) {
                    asked += 1;
                    let x = m[1].to_string();
                    if !charts::SERVED_1_32.contains(&x.as_str())
                        && !charts::NOT_SERVED_1_32.contains(&x.as_str())
                    {
                        unknown.insert(x);
                    }
                }
            },
        );
    }
    assert!(asked > 10, "{asked}");
    assert_eq!(unknown, std::collections::BTreeSet::new());
    for x in charts::NOT_SERVED_1_32 {
        let (gv, kind) = x
            .rsplit_once('/')
            .filter(|(g, _)| g.contains('/'))
            .unwrap_or((x, ""));
        let removed = !kind.is_empty() && mlk::manifest::apis::removed_by(gv, kind, 32).is_some();
        assert!(removed || x.contains("cert"), "{x}: why is it not served?");
    }
}
