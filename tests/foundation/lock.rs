//! Versions live in one place: versions.lock.yaml. No template or embedded profile spells a
//! pinned version itself (comments aside), so changing the lock changes every rendered file.
use super::common::repo;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn pinned_versions() -> Vec<String> {
    let lock = mlk::lockfile::get();
    let mut v = vec![
        lock.kubernetes.clone(),
        lock.kubeflow.version.clone(),
        lock.docker.version.clone(),
    ];
    v.extend(lock.binaries.values().map(|b| b.version.clone()));
    v.extend(lock.charts.values().map(|c| c.version.clone()));
    v.sort();
    v.dedup();
    v
}

/// Whether `text` holds `version` as a whole token (not inside a longer version: `28.1` is
/// not in `28.1.4` nor in `v28.1`, but is in `'28.1'` and at the end of a sentence, `28.1.`).
fn holds(text: &str, version: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    text.match_indices(version).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let mut rest = text[i + version.len()..].chars();
        let after_ok = match (rest.next(), rest.next()) {
            (None, _) => true,
            (Some('.'), next) => !next.is_some_and(|c| c.is_ascii_alphanumeric()),
            (Some(c), _) => !word(c),
        };
        !before.is_some_and(word) && after_ok
    })
}

#[test]
fn no_template_or_profile_hard_codes_a_pinned_version() {
    let versions = pinned_versions();
    assert!(versions.len() >= 10, "{versions:?}");
    let mut all = Vec::new();
    files(&repo().join("templates"), &mut all);
    files(&repo().join("profiles"), &mut all);
    let mut found = Vec::new();
    for f in all {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with('#') {
                continue; // prose may name versions
            }
            for v in &versions {
                if holds(line, v) {
                    found.push(format!("{}:{}: {v}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "pinned versions outside the lock table:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_token_match_finds_versions_and_only_whole_ones() {
    assert!(holds("version: 2.13.8\n", "2.13.8"));
    assert!(holds("WANT='28.1'", "28.1"));
    assert!(!holds("28.1.4", "28.1"));
    assert!(!holds("v2.13.8", "2.13.8"));
}
