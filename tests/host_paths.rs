//! Host paths and line endings: mlk renders into a folder with a Windows-style name full of
//! spaces, and every file for the guests is LF text with guest paths only, while the
//! Vagrantfile refers to the host folder the way Vagrant resolves it on the host (relative to
//! the Vagrantfile itself: `"."`). The real `mlk render` writes, the real `vagrant validate`
//! reads the Vagrantfile in that folder.
use crate::foundation::common::{have, mlk};
use mlk::profile::Hypervisor;
use std::path::Path;
use std::process::Command;

/// A folder as a Windows user names one (nested folders there; on Linux the backslashes are
/// part of one name). Relative: on Windows, joining a path with a drive would leave the temp
/// folder.
const WINDOWS_STYLE: &str = r"Jane Doe\mlk labs\lab one";

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn rendered_files_are_lf_with_guest_paths_in_a_windows_style_folder_with_spaces() {
    let t = tempfile::tempdir().unwrap();
    for prov in Hypervisor::ALL {
        let out = t
            .path()
            .join(format!("{} {}", WINDOWS_STYLE, prov.as_str()));
        let st = mlk()
            .args(["render", "-p", "mono", "--provider", prov.as_str(), "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let mut all = Vec::new();
        files(&out, &mut all);
        assert!(all.len() > 10, "{all:?}");
        for f in &all {
            let text = std::fs::read_to_string(f).unwrap();
            let name = f.strip_prefix(&out).unwrap().display().to_string();
            assert!(!text.contains('\r'), "{name}: CR in a rendered file");
            // Nothing of the host folder reaches a file: guests see their own paths only.
            for host in ["Jane Doe", "mlk labs", r"C:\", t.path().to_str().unwrap()] {
                assert!(
                    !text.contains(host),
                    "{name} names the host folder ({host})"
                );
            }
            if name.ends_with(".sh") {
                assert!(text.starts_with("#!"), "{name}");
            }
        }
        let vf = std::fs::read_to_string(out.join("Vagrantfile")).unwrap();
        assert!(
            vf.contains(r#"config.vm.synced_folder ".", "/vagrant", disabled: true"#),
            "the host side of the synced folder is the Vagrantfile's own folder"
        );
        let combined: String = all
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        assert!(combined.contains("/opt/mlk"), "guest paths are Linux paths");
    }
}

#[test]
fn vagrant_reads_the_vagrantfile_in_a_folder_with_spaces() {
    if !have("vagrant") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join(WINDOWS_STYLE);
    let st = mlk()
        .args(["render", "-p", "mono", "--provider", "virtualbox", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let home = tempfile::tempdir().unwrap();
    let v = Command::new("vagrant")
        .args(["validate", "--ignore-provider"])
        .current_dir(&out)
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .env("VAGRANT_HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&v.stdout);
    assert!(
        v.status.success() && stdout.contains("validated successfully"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&v.stderr)
    );
}

#[test]
fn crlf_from_a_windows_checkout_becomes_lf() {
    assert_eq!(mlk::render::lf("a\r\nb\r\n".into()), "a\nb\n");
    assert_eq!(mlk::render::lf("a\nb".into()), "a\nb");
    // A lone CR is content (a progress bar in a heredoc), not a line ending.
    assert_eq!(mlk::render::lf("a\rb\r\n".into()), "a\rb\n");
}
