//! Embeds the git commit mlk is built from (`mlk version`): `git rev-parse --short HEAD`, or
//! `MLK_GIT_COMMIT` when set (packagers), or `unknown` outside a git checkout.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MLK_GIT_COMMIT");
    let commit = std::env::var("MLK_GIT_COMMIT")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=MLK_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves: HEAD itself (branch switch) and the branch's ref (commit).
    // Only files that exist: cargo reruns the script on every build for a missing one.
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(r);
    }
    for w in watch {
        if let Some(p) = git(&["rev-parse", "--git-path", &w])
            && std::path::Path::new(&p).exists()
        {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}
