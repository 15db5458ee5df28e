//! Finding 9: secrets of any length are redacted (short user-supplied ones refused), the
//! cluster folder is 0700 and its files 0600 (old folders fixed on open), and the output
//! tails of a failed stage are redacted on stderr, in `--json` and in the log.
use super::{HostCluster, NOOP_STAGE, text};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn short_secrets_are_redacted_too() {
    let mut r = mlk::diagnose::redact::Redactor::default();
    r.learn("pw1\n");
    let red = r.redact("login pw1 ok; pw1\n");
    assert!(!red.contains("pw1"), "{red}");
    assert!(red.contains("login") && red.contains("ok"), "{red}");
}

#[test]
fn a_short_user_supplied_secret_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let p = mlk::profile::load(
        &mlk::profile::Source::resolve("mono").unwrap(),
        &Default::default(),
        &mlk::profile::validate::HostRules {
            vbox_ranges: None,
            vbox_source: String::new(),
        },
    )
    .unwrap();
    let file = mlk::stages::secrets::path(dir, mlk::stages::secrets::RANCHER);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "admin\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = format!("{:#}", mlk::stages::secrets::ensure(&p, dir).unwrap_err());
    assert!(e.contains("at least 12"), "{e}");
    assert!(!e.contains("admin"), "the secret itself is not echoed: {e}");
}

#[test]
fn the_cluster_folder_is_private_also_when_an_older_mlk_made_it() {
    let c = HostCluster::new(NOOP_STAGE);
    let dir = c.dir();
    // What an earlier version left: a 0755 folder with 0644 files.
    std::fs::create_dir_all(dir.join("secrets")).unwrap();
    for f in ["mlk.log", "known_hosts", "state.json"] {
        std::fs::write(
            dir.join(f),
            if f == "state.json" {
                format!(
                    "{{\"format\": 1, \"cluster\": \"{}\", \"stages\": {{}}}}",
                    c.name
                )
            } else {
                String::new()
            },
        )
        .unwrap();
        std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = c.up("noop", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&dir), 0o700, "cluster folder");
    for f in [
        "mlk.log",
        "state.json",
        "known_hosts",
        "lock",
        "profile.yaml",
        "ssh-config",
    ] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    let rendered = dir.join("rendered");
    assert_eq!(mode(&rendered), 0o700);
    assert_eq!(mode(&rendered.join("cluster.yml")), 0o600);
    assert_eq!(mode(&rendered.join("stages/os-prep.sh")) & 0o077, 0);
}

#[test]
fn a_new_cluster_folder_is_private() {
    let c = HostCluster::new(NOOP_STAGE);
    let out = c.up("noop", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&c.dir()), 0o700);
    for f in ["mlk.log", "state.json", "lock", "profile.yaml"] {
        assert_eq!(mode(&c.dir().join(f)), 0o600, "{f}");
    }
}

#[test]
fn a_failed_stages_output_is_redacted_everywhere() {
    const SECRET: &str = "Pl4nted-Secret-Value-9x7";
    let c = HostCluster::new(
        "  - id: leaky\n    after: docker\n    target: host\n    run: |\n      echo \"password is $(cat \"$SECRETS\"/rancher-bootstrap-password)\"\n      echo \"short one: $(cat \"$SECRETS\"/extra)\"\n      exit 3\n",
    );
    let secrets = c.dir().join("secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::write(secrets.join("rancher-bootstrap-password"), SECRET).unwrap();
    std::fs::write(secrets.join("extra"), "q7z").unwrap();
    for f in ["rancher-bootstrap-password", "extra"] {
        std::fs::set_permissions(secrets.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = mlk_up_env(&c, "leaky", &secrets);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("password is [REDACTED]"),
        "the tail is shown, redacted: {stderr}"
    );
    let log = std::fs::read_to_string(c.dir().join("mlk.log")).unwrap();
    for (what, t) in [("stderr", &stderr), ("--json", &stdout), ("mlk.log", &log)] {
        assert!(!t.contains(SECRET), "{what} leaks the secret: {t}");
        assert!(!t.contains("q7z"), "{what} leaks the short secret: {t}");
    }
    assert!(stdout.contains("stage_failed"), "{stdout}");
}

fn mlk_up_env(c: &HostCluster, only: &str, secrets: &Path) -> std::process::Output {
    super::mlk()
        .env("SECRETS", secrets)
        .arg("--dir")
        .arg(c.home())
        .args([
            "--progress",
            "never",
            "up",
            "--json",
            "--provider",
            "ssh",
            "--inventory",
        ])
        .arg(&c.inventory)
        .arg("-p")
        .arg(&c.profile)
        .args(["--only", only])
        .output()
        .unwrap()
}
