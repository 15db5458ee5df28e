//! Finding 1: `mlk render --out DIR` deletes only files it wrote, never through a symlink, and
//! `--check` does not call the user's files stale.
use super::{run, text};
use std::path::Path;

fn render(dir: &Path, profile: &str, check: bool) -> std::process::Output {
    let mut args = vec!["render", "-p", profile, "--out", dir.to_str().unwrap()];
    if check {
        args.push("--check");
    }
    run(&args)
}

#[test]
fn the_users_files_in_mlks_subfolders_are_kept_and_not_reported_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tmp.path();
    let mine = [
        "values/my-app.yaml",
        "kubeflow/my-overlay.yaml",
        "stages/my-hook.sh",
        "notes.txt",
    ];
    for rel in mine {
        let p = o.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "the user's own file\n").unwrap();
    }
    let out = render(o, "mono", false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = render(o, "mono", true);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Switching to a profile without Kubeflow removes mlk's Kubeflow files, not the user's.
    let minimal =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles/good/minimal.yaml");
    let m = minimal.to_str().unwrap();
    let out = render(o, m, true);
    let diff = text(&out.stdout);
    assert!(diff.contains("--- a/stages/kubeflow.sh"), "{diff}");
    for rel in mine {
        assert!(!diff.contains(rel), "{rel} reported stale:\n{diff}");
    }
    let out = render(o, m, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!o.join("stages/kubeflow.sh").exists());
    for rel in mine {
        assert_eq!(
            std::fs::read_to_string(o.join(rel)).unwrap(),
            "the user's own file\n",
            "{rel}"
        );
    }
    assert_eq!(render(o, m, true).status.code(), Some(0));
}

#[test]
fn a_file_mlk_wrote_and_the_user_changed_is_not_removed_when_it_goes_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tmp.path();
    assert!(render(o, "mono", false).status.success());
    let kf = o.join("stages/kubeflow.sh");
    std::fs::write(&kf, "# my edits\n").unwrap();
    let minimal =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles/good/minimal.yaml");
    let out = render(o, minimal.to_str().unwrap(), false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&kf).unwrap(), "# my edits\n");
    assert!(
        !o.join("kubeflow/kustomization.yaml").exists(),
        "unchanged stale files still go"
    );
}

#[test]
fn a_symlinked_subfolder_is_never_followed_out_of_the_render_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tmp.path().join("out");
    let victim = tmp.path().join("victim");
    std::fs::create_dir_all(&o).unwrap();
    std::fs::create_dir_all(&victim).unwrap();
    std::fs::write(victim.join("precious.sh"), "keep me\n").unwrap();
    std::os::unix::fs::symlink(&victim, o.join("stages")).unwrap();
    let out = render(&o, "mono", false);
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("symlink"), "{err}");
    assert_eq!(
        std::fs::read_to_string(victim.join("precious.sh")).unwrap(),
        "keep me\n"
    );
    let names: Vec<_> = std::fs::read_dir(&victim).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing written into the symlink's target");
    let out = render(&o, "mono", true);
    assert_ne!(out.status.code(), Some(0));
    assert!(victim.join("precious.sh").exists());
}

#[test]
fn a_symlink_in_place_of_a_rendered_file_is_replaced_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tmp.path().join("out");
    std::fs::create_dir_all(o.join("values")).unwrap();
    let target = tmp.path().join("target.yaml");
    std::fs::write(&target, "outside\n").unwrap();
    std::os::unix::fs::symlink(&target, o.join("values/rancher.yaml")).unwrap();
    let out = render(&o, "mono", false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "outside\n");
    assert!(
        !std::fs::symlink_metadata(o.join("values/rancher.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
