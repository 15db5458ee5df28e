//! Rancher's first log-in, read from the cluster: has setup been done, and does the bootstrap
//! password mlk generated (or the one `mlk rancher reset-password` printed) still open the
//! admin account? Sources, at rancher/rancher v2.13.8 (docs/contracts.md "First log-in"):
//!
//! - `first-login` is a Setting (`pkg/settings/setting.go`, default "true"). The setup page
//!   sets it to "false" (rancher/dashboard v2.13.8 `shell/pages/auth/setup.vue` `save`), and
//!   so does every user password action (`pkg/auth/api/user/user_actions.go` `Actions`).
//! - The admin user carries label `authz.management.cattle.io/bootstrapping=admin-user`
//!   (`pkg/data/management/role_data.go`); `mustChangePassword` is set when the bootstrap
//!   password was generated or is "admin" (not mlk's case) and by `reset-password`.
//! - Its password is a Secret named after the user in `cattle-local-user-passwords`,
//!   annotation `cattle.io/password-hash: pbkdf2sha3512` (data `password` = PBKDF2 of the
//!   password with HMAC-SHA3-512, 210000 rounds, 32 bytes, over data `salt`) or `bcrypt`
//!   (`pkg/auth/providers/local/pbkdf2/pbkdf2.go` `VerifyPassword`). mlk runs the same
//!   comparison here, in memory: nothing logs in, no token is made.
use crate::remote::Runner;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const SETTING: &str = "first-login";
pub const ADMIN_LABEL: &str = "authz.management.cattle.io/bootstrapping=admin-user";
pub const PASSWORDS_NAMESPACE: &str = "cattle-local-user-passwords";
const HASH_ANNOTATION: &str = "cattle.io/password-hash";
const PBKDF2_ROUNDS: u32 = 210_000;
const PBKDF2_LEN: usize = 32;
/// The file `mlk rancher reset-password` stores the new password in (0600).
pub const RESET_FILE: &str = "rancher-admin-password";

/// What one kubectl call answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: i32,
    pub text: String,
}

impl Answer {
    fn json(&self) -> Option<Value> {
        (self.status == 0)
            .then(|| serde_json::from_str(&self.text).ok())
            .flatten()
    }
    fn error(&self) -> String {
        let t = self.text.trim();
        let last = t.lines().last().unwrap_or("");
        format!("kubectl exited {}: {}", self.status, last)
    }
}

/// Whether a password file still opens the admin account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Rancher accepts it.
    Accepted,
    /// Rancher no longer accepts it: the password was changed since (the file is used up).
    Used,
    /// No such file.
    NoFile,
    /// Could not be checked (see `reason`).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RancherLogin {
    /// `not-set-up` (first-login is true), `set-up`, or `unknown`.
    pub state: String,
    pub first_login: Option<bool>,
    pub must_change_password: Option<bool>,
    pub admin_user: Option<String>,
    /// mlk's bootstrap password file, and whether Rancher still accepts it.
    pub bootstrap_file: PathBuf,
    pub bootstrap_password: Check,
    /// The file of `mlk rancher reset-password`, and whether Rancher accepts it.
    pub reset_file: PathBuf,
    pub reset_password: Check,
    /// The file whose password opens the admin account now, if any.
    pub password_file: Option<PathBuf>,
    /// Why something is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The three kubectl commands, in order; the third needs the admin user's name.
pub fn setting_command() -> String {
    format!(
        "{} kubectl get settings.management.cattle.io {SETTING} -o json 2>&1",
        crate::layout::node::kube_env()
    )
}
pub fn admins_command() -> String {
    format!(
        "{} kubectl get users.management.cattle.io -l {ADMIN_LABEL} -o json 2>&1",
        crate::layout::node::kube_env()
    )
}
pub fn password_command(user: &str) -> String {
    format!(
        "{} kubectl -n {PASSWORDS_NAMESPACE} get secret {} -o json 2>&1",
        crate::layout::node::kube_env(),
        crate::quote::shell(user)
    )
}

fn run(runner: &dyn Runner, cmd: &str) -> Result<Answer, String> {
    let mut text = String::new();
    let out = runner
        .exec(cmd, Some(Duration::from_secs(60)), &mut |l| {
            text.push_str(l);
            text.push('\n');
        })
        .map_err(|e| e.to_string())?;
    Ok(Answer {
        status: out.status,
        text,
    })
}

/// Asks the cluster and decides, with the password files of `cluster_dir`.
pub fn check(runner: &dyn Runner, cluster_dir: &Path) -> RancherLogin {
    let files = Files::of(cluster_dir);
    let setting = match run(runner, &setting_command()) {
        Ok(a) => a,
        Err(e) => return files.unknown(format!("{}: {e}", runner.node())),
    };
    let admins = match run(runner, &admins_command()) {
        Ok(a) => a,
        Err(e) => return files.unknown(format!("{}: {e}", runner.node())),
    };
    let secret = match admin_user(&admins) {
        Some(u) if crate::manifest::names::dns1123_subdomain(&u).is_empty() => {
            match run(runner, &password_command(&u)) {
                Ok(a) => Some(a),
                Err(e) => return files.unknown(format!("{}: {e}", runner.node())),
            }
        }
        _ => None,
    };
    decide(&setting, &admins, secret.as_ref(), &files)
}

/// The password files and what they hold (read here, never printed).
pub struct Files {
    pub bootstrap: PathBuf,
    pub reset: PathBuf,
}

impl Files {
    pub fn of(cluster_dir: &Path) -> Files {
        Files {
            bootstrap: crate::stages::secrets::path(cluster_dir, crate::stages::secrets::RANCHER),
            reset: crate::stages::secrets::path(cluster_dir, RESET_FILE),
        }
    }
    /// The state when the cluster could not be asked.
    pub fn unknown_because(&self, reason: &str) -> RancherLogin {
        self.unknown(reason.to_string())
    }
    fn unknown(&self, reason: String) -> RancherLogin {
        let have = |p: &Path| {
            if p.exists() {
                Check::Unknown
            } else {
                Check::NoFile
            }
        };
        RancherLogin {
            state: "unknown".into(),
            first_login: None,
            must_change_password: None,
            admin_user: None,
            bootstrap_file: self.bootstrap.clone(),
            bootstrap_password: have(&self.bootstrap),
            reset_file: self.reset.clone(),
            reset_password: have(&self.reset),
            password_file: None,
            reason: Some(reason),
        }
    }
}

fn read_password(p: &Path) -> Option<String> {
    let t = std::fs::read_to_string(p).ok()?;
    let t = t.trim_end_matches(['\r', '\n']);
    (!t.is_empty()).then(|| t.to_string())
}

/// The admin user's name from the user list.
pub fn admin_user(admins: &Answer) -> Option<String> {
    let v = admins.json()?;
    let items = v["items"].as_array()?;
    // reset-password refuses unless exactly one user has the label; so does mlk.
    (items.len() == 1)
        .then(|| items[0]["metadata"]["name"].as_str().map(str::to_string))
        .flatten()
}

/// Whether `password` matches the password Secret, as Rancher's `VerifyPassword` decides.
pub fn verify(secret: &Value, password: &str) -> Result<bool, String> {
    use base64::Engine;
    let data = |k: &str| -> Result<Vec<u8>, String> {
        let s = secret["data"][k]
            .as_str()
            .ok_or_else(|| format!("the password Secret has no data.{k}"))?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| format!("data.{k}: {e}"))
    };
    let kind = secret["metadata"]["annotations"][HASH_ANNOTATION]
        .as_str()
        .unwrap_or("");
    match kind {
        "pbkdf2sha3512" => {
            let (want, salt) = (data("password")?, data("salt")?);
            let mut got = [0u8; PBKDF2_LEN];
            pbkdf2::pbkdf2_hmac::<sha3::Sha3_512>(
                password.as_bytes(),
                &salt,
                PBKDF2_ROUNDS,
                &mut got,
            );
            Ok(want == got)
        }
        "bcrypt" => {
            let hash = String::from_utf8(data("password")?).map_err(|e| e.to_string())?;
            Ok(bcrypt::verify(password, &hash).unwrap_or(false))
        }
        other => Err(format!(
            "the password Secret's {HASH_ANNOTATION} is `{other}`; mlk knows pbkdf2sha3512 and bcrypt (Rancher v2.13)"
        )),
    }
}

/// The decision on the recorded answers (tests run it on answers shaped as kubectl prints
/// Rancher v2.13.8's objects).
pub fn decide(
    setting: &Answer,
    admins: &Answer,
    secret: Option<&Answer>,
    files: &Files,
) -> RancherLogin {
    let Some(s) = setting.json() else {
        return files.unknown(format!("setting {SETTING}: {}", setting.error()));
    };
    // An empty value means "not set": the default applies (norman settings semantics).
    let value = s["value"].as_str().filter(|v| !v.is_empty());
    let effective = value.or(s["default"].as_str()).unwrap_or("true");
    let first_login = effective != "false";
    let Some(list) = admins.json() else {
        return files.unknown(format!("admin user: {}", admins.error()));
    };
    let mut out = files.unknown(String::new());
    out.reason = None;
    out.first_login = Some(first_login);
    out.state = if first_login { "not-set-up" } else { "set-up" }.into();
    let Some(user) = admin_user(admins) else {
        let n = list["items"].as_array().map_or(0, Vec::len);
        out.reason = Some(format!(
            "{n} users carry label {ADMIN_LABEL} (want exactly one)"
        ));
        return out;
    };
    let item = &list["items"][0];
    out.must_change_password = Some(item["mustChangePassword"].as_bool().unwrap_or(false));
    out.admin_user = Some(user);
    let Some(secret) = secret.and_then(|a| a.json()) else {
        out.reason = Some(format!(
            "password Secret: {}",
            secret.map_or("not asked".to_string(), Answer::error)
        ));
        return out;
    };
    let mut judge = |p: &Path| -> Check {
        let Some(pw) = read_password(p) else {
            return Check::NoFile;
        };
        match verify(&secret, &pw) {
            Ok(true) => Check::Accepted,
            Ok(false) => Check::Used,
            Err(e) => {
                out.reason = Some(e);
                Check::Unknown
            }
        }
    };
    let (b, r) = (judge(&files.bootstrap), judge(&files.reset));
    out.bootstrap_password = b;
    out.reset_password = r;
    out.password_file = if r == Check::Accepted {
        Some(files.reset.clone())
    } else if b == Check::Accepted {
        Some(files.bootstrap.clone())
    } else {
        None
    };
    out
}

/// Records a decided check in the cluster folder (the "used" mark of the bootstrap file);
/// an unknown one leaves the last record alone.
pub fn record(cluster_dir: &Path, r: &RancherLogin) -> anyhow::Result<()> {
    if r.state == "unknown" {
        return Ok(());
    }
    let mut v = serde_json::to_value(r)?;
    v["checked_at"] = Value::String(crate::state::now());
    let text = serde_json::to_string_pretty(&v)? + "\n";
    crate::fsutil::write_atomic(
        &crate::layout::of(cluster_dir).rancher_login(),
        text.as_bytes(),
        Some(0o644),
    )
}
