//! The first log-in (issue 14): Rancher's setup state and passwords decided on recorded
//! kubectl answers, the CA export on a recorded cert-manager Secret (real kubectl JSONPath,
//! real openssl), and (e2e.rs) `mlk status`, the summary, `mlk open` and `mlk rancher
//! reset-password` against a test host, with names resolved by a real resolver in a network
//! namespace; (port_forward.rs) `mlk port-forward` on the same world. Fixtures:
//! tests/fixtures/contracts/login/README.md.
mod e2e;
mod port_forward;
mod world;

use mlk::login::rancher::{self, Answer, Check, Files};
use std::path::{Path, PathBuf};

pub const BOOTSTRAP: &str = "A1b2C3d4E5f6G7h8I9j0K1l2";
pub const CHOSEN: &str = "the-password-the-student-chose";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/contracts/login")
        .join(name)
}

fn ok(name: &str) -> Answer {
    Answer {
        status: 0,
        text: std::fs::read_to_string(fixture(name)).unwrap(),
    }
}

/// A cluster folder whose secrets hold these passwords (0600, as mlk writes them).
pub fn secrets(dir: &Path, bootstrap: Option<&str>, reset: Option<&str>) -> Files {
    let f = Files::of(dir);
    std::fs::create_dir_all(f.bootstrap.parent().unwrap()).unwrap();
    for (p, v) in [(&f.bootstrap, bootstrap), (&f.reset, reset)] {
        if let Some(v) = v {
            mlk::fsutil::write_atomic(p, v.as_bytes(), Some(0o600)).unwrap();
        }
    }
    f
}

#[test]
fn rancher_setup_and_passwords_decided_on_recorded_answers() {
    let d = tempfile::tempdir().unwrap();
    let files = secrets(d.path(), Some(BOOTSTRAP), None);
    // Fresh install: setup pending, mlk's bootstrap password opens admin.
    let r = rancher::decide(
        &ok("setting-fresh.json"),
        &ok("admins.json"),
        Some(&ok("password-bootstrap.json")),
        &files,
    );
    assert_eq!(r.state, "not-set-up");
    assert_eq!(r.first_login, Some(true));
    assert_eq!(r.must_change_password, Some(false));
    assert_eq!(r.admin_user.as_deref(), Some("user-x7k2p"));
    assert_eq!(r.bootstrap_password, Check::Accepted);
    assert_eq!(r.reset_password, Check::NoFile);
    assert_eq!(r.password_file.as_ref(), Some(&files.bootstrap));
    // Setup done without a password change (what Rancher 2.13.8's setup page does for a
    // bootstrap password that was set, not generated): the file still works.
    let r = rancher::decide(
        &ok("setting-after-setup.json"),
        &ok("admins.json"),
        Some(&ok("password-bootstrap.json")),
        &files,
    );
    assert_eq!(
        (r.state.as_str(), r.bootstrap_password),
        ("set-up", Check::Accepted)
    );
    // The student chose a password: the bootstrap file is used up, no file opens admin.
    let r = rancher::decide(
        &ok("setting-after-setup.json"),
        &ok("admins.json"),
        Some(&ok("password-chosen.json")),
        &files,
    );
    assert_eq!(
        (r.state.as_str(), r.bootstrap_password),
        ("set-up", Check::Used)
    );
    assert_eq!(r.password_file, None);
    // After `mlk rancher reset-password`: its file opens admin, and Rancher will ask for a
    // new one at the next log-in.
    let files = secrets(d.path(), Some(BOOTSTRAP), Some(CHOSEN));
    let r = rancher::decide(
        &ok("setting-after-setup.json"),
        &ok("admins-after-reset.json"),
        Some(&ok("password-chosen.json")),
        &files,
    );
    assert_eq!(r.must_change_password, Some(true));
    assert_eq!(
        (r.bootstrap_password, r.reset_password),
        (Check::Used, Check::Accepted)
    );
    assert_eq!(r.password_file.as_ref(), Some(&files.reset));
}

#[test]
fn rancher_answers_that_decide_nothing_say_why() {
    let d = tempfile::tempdir().unwrap();
    let files = secrets(d.path(), None, None);
    // Rancher not installed: kubectl knows no such resource.
    let missing = Answer {
        status: 1,
        text: "error: the server doesn't have a resource type \"settings\"\n".into(),
    };
    let r = rancher::decide(&missing, &ok("admins.json"), None, &files);
    assert_eq!(r.state, "unknown");
    assert!(
        r.reason
            .as_deref()
            .unwrap()
            .contains("resource type \"settings\""),
        "{r:?}"
    );
    assert_eq!(r.bootstrap_password, Check::NoFile);
    // No admin user carries the label: the state is known, the passwords are not.
    let r = rancher::decide(
        &ok("setting-fresh.json"),
        &ok("admins-none.json"),
        None,
        &files,
    );
    assert_eq!(r.state, "not-set-up");
    assert!(r.reason.as_deref().unwrap().contains("0 users"), "{r:?}");
    // A hash kind mlk does not know is reported, not guessed.
    let files = secrets(d.path(), Some(BOOTSTRAP), None);
    let mut secret: serde_json::Value =
        serde_json::from_str(&ok("password-bootstrap.json").text).unwrap();
    secret["metadata"]["annotations"]["cattle.io/password-hash"] = "argon2".into();
    let r = rancher::decide(
        &ok("setting-fresh.json"),
        &ok("admins.json"),
        Some(&Answer {
            status: 0,
            text: secret.to_string(),
        }),
        &files,
    );
    assert_eq!(r.bootstrap_password, Check::Unknown);
    assert!(r.reason.as_deref().unwrap().contains("argon2"), "{r:?}");
}

/// Rancher also reads `bcrypt` hashes (users not migrated to PBKDF2 yet, pbkdf2.go
/// `VerifyPassword`); the salt and the hash bytes both count for PBKDF2.
#[test]
fn rancher_password_check_follows_the_hash_kind_and_every_byte() {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut s: serde_json::Value =
        serde_json::from_str(&ok("password-bootstrap.json").text).unwrap();
    assert_eq!(rancher::verify(&s, BOOTSTRAP), Ok(true));
    assert_eq!(rancher::verify(&s, CHOSEN), Ok(false));
    let salt = s["data"]["salt"].clone();
    s["data"]["salt"] = b64(&[7u8; 32]).into();
    assert_eq!(rancher::verify(&s, BOOTSTRAP), Ok(false));
    s["data"]["salt"] = salt;
    let hash = bcrypt::hash(BOOTSTRAP, 4).unwrap();
    s["metadata"]["annotations"]["cattle.io/password-hash"] = "bcrypt".into();
    s["data"] = serde_json::json!({"password": b64(hash.as_bytes())});
    assert_eq!(rancher::verify(&s, BOOTSTRAP), Ok(true));
    assert_eq!(rancher::verify(&s, CHOSEN), Ok(false));
}

/// The CA export on the recorded cert-manager Secret: the real kubectl evaluates mlk's JSONPath
/// offline (`kubectl patch --local`), mlk decodes the answer, and openssl reads a CA
/// certificate (CA:TRUE, may sign certificates) with no key in the file. A key in `ca.crt`
/// would be refused.
#[test]
fn ca_export_of_the_recorded_secret_is_a_valid_ca_certificate() {
    let Some(kubectl) = crate::tools::find("kubectl") else {
        return;
    };
    let jsonpath = |expr: &str| -> String {
        let out = std::process::Command::new(&kubectl)
            .env("KUBECONFIG", "/dev/null")
            .args(["patch", "--local", "--type", "merge", "-p", "{}", "-f"])
            .arg(fixture("ca-secret.json"))
            .arg(format!("-o=jsonpath={expr}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let pem = mlk::login::ca::decode(&jsonpath(mlk::login::ca::JSONPATH)).unwrap();
    assert!(!pem.contains("PRIVATE KEY"));
    let d = tempfile::tempdir().unwrap();
    let file = mlk::login::ca::path(d.path());
    std::fs::write(&file, &pem).unwrap();
    let text = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("CA:TRUE"), "{text}");
    assert!(text.contains("Certificate Sign"), "{text}");
    assert!(
        text.contains("Subject: CN=mlk login CA") || text.contains("Subject: CN = mlk login CA"),
        "{text}"
    );
    // The same expression on the key would be refused by the decoder.
    let key = jsonpath(r"{.data.tls\.key}");
    assert!(mlk::login::ca::decode(&key).is_err());
}

/// The text a student reads: the setup page's own labels, the hint when the bootstrap
/// password is used up, and no password.
#[test]
fn login_text_names_the_setup_page_labels_and_the_reset() {
    let d = tempfile::tempdir().unwrap();
    let files = secrets(d.path(), Some(BOOTSTRAP), None);
    let fresh = rancher::decide(
        &ok("setting-fresh.json"),
        &ok("admins.json"),
        Some(&ok("password-bootstrap.json")),
        &files,
    );
    let used = rancher::decide(
        &ok("setting-after-setup.json"),
        &ok("admins.json"),
        Some(&ok("password-chosen.json")),
        &files,
    );
    let p = crate::secrets_host::profile("mono");
    let report = |r: &rancher::RancherLogin| {
        let mut rep = crate::secrets_host::offline_report(&p, d.path());
        rep.rancher = Some(r.clone());
        rep.dashboards[0].password_file = r.password_file.clone();
        mlk::login::text::render(&rep)
    };
    let t = report(&fresh);
    assert!(t.contains("not set up yet"), "{t}");
    // Lines are wrapped: compare with the whitespace folded.
    let flat = t.split_whitespace().collect::<Vec<_>>().join(" ");
    for label in [
        mlk::login::text::EULA,
        mlk::login::text::USE_RANDOM,
        mlk::login::text::USE_MANUAL,
    ] {
        assert!(
            flat.contains(&format!("\"{label}\"")),
            "{label} missing:\n{t}"
        );
    }
    assert!(!t.contains("[RANCHER_LOGIN_REJECTED]"), "{t}");
    let t = report(&used);
    assert!(t.contains("[RANCHER_LOGIN_REJECTED]"), "{t}");
    assert!(t.contains("is used up"), "{t}");
    assert!(t.contains("(the one you chose)"), "{t}");
    assert!(!t.contains(BOOTSTRAP), "{t}");
}
