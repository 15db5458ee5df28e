//! Finding 5: non-regular files, files over 1 MiB and deep nesting are refused at once,
//! before any parsing, for profiles, inventories and identity files.
use super::{HostCluster, NOOP_STAGE, mlk, mono_with, run_bounded, text};
use std::path::Path;

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// `mlk plan -p PROFILE` finishes within 10 s (no hang, no 2 GB read) with exit 2 and `want`.
fn plan_refuses(profile: &str, want: &str) {
    let mut cmd = mlk();
    cmd.args(["plan", "-p", profile]);
    let out = run_bounded(cmd, 10).unwrap_or_else(|| panic!("mlk plan -p {profile} hung"));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{profile}: {err}");
    assert!(err.contains(want), "{profile}: want `{want}` in {err}");
    assert!(err.len() < 2000, "{profile}: a {} byte message", err.len());
}

#[test]
fn dev_zero_a_fifo_and_a_folder_are_not_profiles() {
    let tmp = tempfile::tempdir().unwrap();
    plan_refuses("/dev/zero", "not a regular file");
    let fifo = tmp.path().join("p.yaml");
    mkfifo(&fifo);
    plan_refuses(fifo.to_str().unwrap(), "not a regular file");
    let dir = tmp.path().join("d.yaml");
    std::fs::create_dir(&dir).unwrap();
    plan_refuses(dir.to_str().unwrap(), "not a regular file");
}

#[test]
fn a_profile_over_1_mib_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("big.yaml");
    let text = mono_with(
        "kind: Profile",
        &format!("kind: Profile\n#{}", "x".repeat(1 << 20)),
    );
    std::fs::write(&p, text).unwrap();
    plan_refuses(p.to_str().unwrap(), "1 MiB");
}

#[test]
fn deep_nesting_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("flow.yaml", "[".repeat(100_000)),
        ("map.yaml", "{a: ".repeat(50_000)),
        ("block.yaml", "- ".repeat(100_000)),
        (
            "inside.yaml",
            mono_with(
                "kind: Profile",
                &format!("kind: Profile\nx: {}", "[".repeat(100_000)),
            ),
        ),
    ] {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        plan_refuses(p.to_str().unwrap(), "nested deeper than");
    }
}

#[test]
fn an_alias_bomb_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut y = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        y.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let p = tmp.path().join("bomb.yaml");
    std::fs::write(&p, y).unwrap();
    let mut cmd = mlk();
    cmd.args(["plan", "-p", p.to_str().unwrap()]);
    let out = run_bounded(cmd, 10).expect("an alias bomb hung mlk");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

fn up_refuses_inventory(c: &HostCluster, want: &str) {
    let mut cmd = mlk();
    cmd.arg("--dir")
        .arg(c.home())
        .args([
            "--progress",
            "never",
            "up",
            "--provider",
            "ssh",
            "--inventory",
        ])
        .arg(&c.inventory)
        .arg("-p")
        .arg(&c.profile)
        .args(["--only", "noop"]);
    let out = run_bounded(cmd, 10).expect("mlk up hung on the inventory");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(want), "want `{want}`: {err}");
}

#[test]
fn a_fifo_or_huge_inventory_is_refused() {
    let c = HostCluster::new(NOOP_STAGE);
    std::fs::remove_file(&c.inventory).unwrap();
    mkfifo(&c.inventory);
    up_refuses_inventory(&c, "not a regular file");
    std::fs::remove_file(&c.inventory).unwrap();
    let mut big = String::from("Host node1\n  HostName 127.0.0.1\n  Port 1\n");
    big.push_str(&"# padding\n".repeat(120_000));
    std::fs::write(&c.inventory, big).unwrap();
    up_refuses_inventory(&c, "1 MiB");
}

#[test]
fn a_fifo_identity_file_is_refused_not_waited_on() {
    let c = HostCluster::new(NOOP_STAGE);
    let key = c.tmp.path().join("key");
    mkfifo(&key);
    std::fs::write(
        &c.inventory,
        format!(
            "Host node1\n  HostName 127.0.0.1\n  Port 1\n  IdentityFile {}\n",
            key.display()
        ),
    )
    .unwrap();
    up_refuses_inventory(&c, "not a regular file");
}

/// The SSH layer itself never opens a FIFO as a key: against a real sshd it fails at once.
#[test]
fn the_ssh_layer_does_not_hang_on_a_fifo_key() {
    if !crate::ssh_support::have_root("the_ssh_layer_does_not_hang_on_a_fifo_key") {
        return;
    }
    let hosts = crate::ssh_support::TestHosts::up_loopback(1);
    let key = hosts.scratch.path().join("fifo-key");
    mkfifo(&key);
    let mut ep = hosts.endpoint(1);
    ep.identity_files = vec![key];
    let opts = hosts.options();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = mlk::remote::SshRunner::connect(&ep, &opts).map(|_| ());
        let _ = tx.send(r.map_err(|e| e.to_string()));
    });
    let r = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("connecting with a FIFO as the key hung");
    let e = r.expect_err("a FIFO is no key");
    assert!(e.contains("not a regular file"), "{e}");
}
