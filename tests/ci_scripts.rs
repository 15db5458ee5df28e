//! The CI and helper scripts under `set -o pipefail`: a reader that stops early (`head`,
//! `grep -q`, `awk '... exit'`) kills its writer with SIGPIPE, and pipefail turns that into a
//! failure (exit 141) that depends only on how much the writer prints.
//! `.ci/setup.d/50-libvirt.sh` runs for real here with FAKE `apt-cache`/`apt-get` on PATH
//! (installing packages is not the point; the version selection is).
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write_exe(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// `apt-cache madison qemu-utils` as recorded on the Debian 12 CI image (bookworm and
/// bookworm-security), then more lines than a pipe holds (64 KiB), written one at a time
/// as apt-cache does, so a reader that exits after the first match leaves the writer blocked.
const FAKE_APT_CACHE: &str = r#"#!/usr/bin/env bash
case "$1" in
  policy)
    cat <<'EOF'
qemu-system-x86:
  Installed: (none)
  Candidate: 1:7.2+dfsg-7+deb12u18+b3
  Version table:
     1:7.2+dfsg-7+deb12u18+b3 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
     1:7.2+dfsg-7+deb12u15 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
EOF
    ;;
  madison)
    echo "qemu-utils | 1:10.0.2+ds-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages"
    echo "qemu-utils | 1:7.2+dfsg-7+deb12u18+b3 | http://deb.debian.org/debian bookworm/main amd64 Packages"
    echo "qemu-utils | 1:7.2+dfsg-7+deb12u15 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages"
    for i in $(seq 1 3000); do
      echo "qemu-utils | 1:7.2+dfsg-7+deb12u$i | http://deb.debian.org/debian-archive bookworm/main amd64 Packages"
    done
    ;;
  *) echo "fake apt-cache: unexpected $*" >&2; exit 2 ;;
esac
"#;

#[test]
fn libvirt_setup_survives_a_long_madison_list_and_picks_the_matching_qemu_utils() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let calls = tmp.path().join("apt-get.calls");
    write_exe(&bin.join("apt-cache"), FAKE_APT_CACHE);
    write_exe(
        &bin.join("apt-get"),
        &format!("#!/bin/sh\necho \"$*\" >> '{}'\n", calls.display()),
    );
    // The box already exists: the script must not build one.
    let cache = tmp.path().join("box");
    std::fs::create_dir(&cache).unwrap();
    std::fs::write(cache.join("mlk-bookworm.box"), "box").unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = Command::new("bash")
        .arg(repo().join(".ci/setup.d/50-libvirt.sh"))
        .env("PATH", path)
        .env("BOX_CACHE", &cache)
        .env_remove("MLK_E2E_LIBVIRT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exit {:?} (141 = SIGPIPE under pipefail)\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = std::fs::read_to_string(&calls).unwrap();
    assert!(
        calls.contains("--allow-downgrades qemu-system-x86 qemu-utils=1:7.2+dfsg-7+deb12u18+b3"),
        "{calls}"
    );
}

/// Lines of shell scripts that pipe into a reader that may stop before its input ends.
fn early_readers(text: &str) -> Vec<String> {
    let re = regex::Regex::new(
        r"\|\s*(head\b|grep\s+(-\w*[qm]\w*\b)|awk\s.*\bexit\b|sed\s+-n\s+'?[0-9]+q)",
    )
    .unwrap();
    // An `exit` in awk's END block runs after all input is read: no early exit there.
    let end_block = regex::Regex::new(r"END\s*\{[^}]*\}").unwrap();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter(|l| re.is_match(l) && re.is_match(&end_block.replace_all(l, "END {}")))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_early_reader_lint_catches_the_old_patterns() {
    for bad in [
        "utils_v=$(apt-cache madison qemu-utils | awk -v v=\"$sys_v\" '$3 == v || index($3, v \"+b\") == 1 {print $3; exit}')",
        "ip netns list | grep -q \"^$NS\" && die",
        "helm status x -o json | grep -qx deployed",
        "logs=$(grep -o x \"$out\" | head -1)",
    ] {
        assert_eq!(early_readers(bad).len(), 1, "{bad}");
    }
    for good in [
        "ip netns list | grep \"^$NS\" >/dev/null && die",
        "grep -m1 -o x \"$out\"",
        "apt-cache madison q | awk '!u {u = $3} END {print u}'",
        "json_flat | awk -F '\\t' '$1 == \"info.status\" { s = $2 } END { exit s != \"deployed\" }'",
        "bash -c \"exec 3<>/dev/tcp/h/22 && head -c 4 <&3\"",
    ] {
        assert!(early_readers(good).is_empty(), "{good}");
    }
}

/// Every pipefail script of .ci/ and scripts/, and every stage script, is free of the pattern.
#[test]
fn no_pipefail_script_pipes_into_an_early_exiting_reader() {
    let mut files = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "sh")
                || p.file_name().is_some_and(|n| n == "run")
            {
                out.push(p);
            }
        }
    }
    walk(&repo().join(".ci"), &mut files);
    walk(&repo().join("scripts"), &mut files);
    // Every stage script runs under the library's `set -euo pipefail`.
    for e in std::fs::read_dir(repo().join("templates/stages"))
        .unwrap()
        .flatten()
    {
        files.push(e.path());
    }
    assert!(files.len() >= 10, "{files:?}");
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if !text.contains("pipefail") && !f.to_string_lossy().ends_with(".hbs") {
            continue;
        }
        for l in early_readers(&text) {
            bad.push(format!("{}: {}", f.display(), l.trim()));
        }
    }
    assert!(bad.is_empty(), "early-exiting readers:\n{}", bad.join("\n"));
}
