//! Kubeconfig rewrite, merge under a lock, and removal, each checked with the real kubectl
//! (`kubectl config view` / `get-contexts` read the files mlk wrote).
use crate::tools;
use mlk::kubeconfig::{merge_into, remove_context_at, rewrite};
use std::path::Path;
use std::process::Command;

/// The shape `rke up` writes (pki/kubeconfig.go): names from cluster_name, user kube-admin-*.
fn rke_kubeconfig(cluster: &str, server: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Config
clusters:
- cluster:
    api-version: v1
    certificate-authority-data: TUxLLXRlc3QtQ0E=
    server: "{server}"
  name: "{cluster}"
contexts:
- context:
    cluster: "{cluster}"
    user: "kube-admin-{cluster}"
  name: "{cluster}"
current-context: "{cluster}"
users:
- name: "kube-admin-{cluster}"
  user:
    client-certificate-data: TUxLLXRlc3QtY2VydA==
    client-key-data: TUxLLXRlc3Qta2V5
"#
    )
}

fn kubectl(kc: &Path, args: &[&str]) -> Option<String> {
    let bin = tools::find("kubectl")?;
    let out = Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kc)
        .env_remove("HOME")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

fn contexts(kc: &Path) -> Option<Vec<String>> {
    let out = kubectl(kc, &["config", "get-contexts", "-o", "name"])?;
    let mut v: Vec<String> = out.lines().map(str::to_string).collect();
    v.sort();
    Some(v)
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn rewrite_names_everything_mlk_cluster_and_points_at_the_node_ip() {
    let tmp = tempfile::tempdir().unwrap();
    let text = rewrite(
        &rke_kubeconfig("lab", "https://10.0.2.15:6443"),
        "lab",
        "192.168.56.10",
    )
    .unwrap();
    let kc = tmp.path().join("kubeconfig");
    std::fs::write(&kc, &text).unwrap();
    let Some(cur) = kubectl(&kc, &["config", "current-context"]) else {
        return;
    };
    assert_eq!(cur.trim(), "mlk-lab");
    let view = kubectl(
        &kc,
        &["config", "view", "--minify", "-o",
          "jsonpath={.clusters[0].name} {.clusters[0].cluster.server} {.users[0].name} {.contexts[0].context.cluster} {.contexts[0].context.user}"],
    )
    .unwrap();
    assert_eq!(
        view,
        "mlk-lab https://192.168.56.10:6443 mlk-lab mlk-lab mlk-lab"
    );
    // Credentials pass through untouched.
    let raw = kubectl(
        &kc,
        &[
            "config",
            "view",
            "--raw",
            "-o",
            "jsonpath={.users[0].user.client-key-data}",
        ],
    )
    .unwrap();
    assert_eq!(raw, "TUxLLXRlc3Qta2V5");
}

#[test]
fn rewrite_refuses_a_kubeconfig_with_several_clusters() {
    let two = rke_kubeconfig("a", "https://1.2.3.4:6443").replace(
        "contexts:",
        "- cluster: {server: \"https://5.6.7.8:6443\"}\n  name: b\ncontexts:",
    );
    let err = rewrite(&two, "a", "192.168.56.10").unwrap_err();
    assert!(err.to_string().contains("2 entries in `clusters`"), "{err}");
}

#[test]
fn merge_keeps_other_contexts_replaces_its_own_and_is_0600() {
    let tmp = tempfile::tempdir().unwrap();
    let kc = tmp.path().join("config");
    // The user's existing config, with a context of another tool and a preference mlk must keep.
    std::fs::write(
        &kc,
        rke_kubeconfig("other", "https://10.9.9.9:6443")
            .replace("current-context", "preferences: {}\ncurrent-context"),
    )
    .unwrap();
    let ours = rewrite(
        &rke_kubeconfig("lab", "https://x:6443"),
        "lab",
        "192.168.56.10",
    )
    .unwrap();
    assert_eq!(merge_into(&kc, &ours).unwrap(), "mlk-lab");
    assert_eq!(merge_into(&kc, &ours).unwrap(), "mlk-lab");
    let Some(ctxs) = contexts(&kc) else { return };
    assert_eq!(ctxs, vec!["mlk-lab".to_string(), "other".to_string()]);
    assert_eq!(
        kubectl(&kc, &["config", "current-context"]).unwrap().trim(),
        "mlk-lab"
    );
    let users = kubectl(&kc, &["config", "view", "-o", "jsonpath={.users[*].name}"]).unwrap();
    assert_eq!(users, "kube-admin-other mlk-lab");
    let server = kubectl(
        &kc,
        &[
            "config",
            "view",
            "-o",
            "jsonpath={.clusters[?(@.name==\"other\")].cluster.server}",
        ],
    )
    .unwrap();
    assert_eq!(server, "https://10.9.9.9:6443");
    #[cfg(unix)]
    assert_eq!(mode(&kc), 0o600);
    assert!(
        !tmp.path().join("config.lock").exists(),
        "lock file left behind"
    );
}

#[test]
fn concurrent_merges_under_the_lock_lose_no_context() {
    let tmp = tempfile::tempdir().unwrap();
    let kc = tmp.path().join("config");
    let n = 8;
    std::thread::scope(|s| {
        for i in 0..n {
            let kc = kc.clone();
            s.spawn(move || {
                let name = format!("c{i}");
                let ours = rewrite(
                    &rke_kubeconfig(&name, "https://x:6443"),
                    &name,
                    "192.168.56.10",
                )
                .unwrap();
                for _ in 0..5 {
                    merge_into(&kc, &ours).unwrap();
                }
            });
        }
    });
    let Some(ctxs) = contexts(&kc) else { return };
    let want: Vec<String> = (0..n).map(|i| format!("mlk-c{i}")).collect();
    assert_eq!(ctxs, want);
}

#[test]
fn merge_waits_for_a_lock_held_by_another_process() {
    let tmp = tempfile::tempdir().unwrap();
    let kc = tmp.path().join("config");
    let lock = tmp.path().join("config.lock");
    std::fs::write(&lock, b"").unwrap();
    let l2 = lock.clone();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(400));
        // The file must still be untouched while the lock is held.
        let untouched = !l2.with_file_name("config").exists();
        std::fs::remove_file(&l2).unwrap();
        untouched
    });
    let ours = rewrite(
        &rke_kubeconfig("lab", "https://x:6443"),
        "lab",
        "192.168.56.10",
    )
    .unwrap();
    merge_into(&kc, &ours).unwrap();
    assert!(
        release.join().unwrap(),
        "merge wrote while the lock was held"
    );
    assert!(kc.exists());
}

#[test]
fn remove_context_drops_only_mlk_entries_and_clears_current_context() {
    let tmp = tempfile::tempdir().unwrap();
    let kc = tmp.path().join("config");
    std::fs::write(&kc, rke_kubeconfig("other", "https://10.9.9.9:6443")).unwrap();
    let ours = rewrite(
        &rke_kubeconfig("lab", "https://x:6443"),
        "lab",
        "192.168.56.10",
    )
    .unwrap();
    merge_into(&kc, &ours).unwrap();
    assert!(remove_context_at(&kc, "lab").unwrap());
    assert!(
        !remove_context_at(&kc, "lab").unwrap(),
        "second removal changes nothing"
    );
    assert!(!remove_context_at(&tmp.path().join("missing"), "lab").unwrap());
    let Some(ctxs) = contexts(&kc) else { return };
    assert_eq!(ctxs, vec!["other".to_string()]);
    let view = kubectl(
        &kc,
        &[
            "config",
            "view",
            "-o",
            "jsonpath={.clusters[*].name}|{.users[*].name}|{.current-context}",
        ],
    )
    .unwrap();
    assert_eq!(view, "other|kube-admin-other|");
}

#[test]
fn cli_merge_honours_kubeconfig_first_existing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("mlkhome");
    let ours = rewrite(
        &rke_kubeconfig("mono", "https://x:6443"),
        "mono",
        "192.168.56.10",
    )
    .unwrap();
    std::fs::create_dir_all(home.join("mono")).unwrap();
    std::fs::write(home.join("mono/kubeconfig"), &ours).unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    std::fs::write(&b, rke_kubeconfig("other", "https://10.9.9.9:6443")).unwrap();
    let out = assert_cmd::Command::cargo_bin("mlk")
        .unwrap()
        .args(["kubeconfig", "-c", "mono", "--merge"])
        .env("MLK_HOME", &home)
        .env("KUBECONFIG", format!("{}:{}", a.display(), b.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !a.exists(),
        "kubectl's rule: write the first file that exists"
    );
    let Some(ctxs) = contexts(&b) else { return };
    assert_eq!(ctxs, vec!["mlk-mono".to_string(), "other".to_string()]);
    // Without --merge: the path only.
    let out = assert_cmd::Command::cargo_bin("mlk")
        .unwrap()
        .args(["kubeconfig", "-c", "mono"])
        .env("MLK_HOME", &home)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        home.join("mono/kubeconfig").display().to_string()
    );
}
