//! `mlk rancher reset-password`: Rancher's own reset, run in its pod from the first
//! controlplane node: `kubectl -n cattle-system exec <rancher pod> -- reset-password`.
//!
//! rancher/rancher v2.13.8 `pkg/data/management/resetpassword.go`: the image links
//! `/usr/bin/reset-password` to rancher (`package/Dockerfile`), which finds the one user
//! labelled `authz.management.cattle.io/bootstrapping=admin-user`, sets a random 20-character
//! password (`[a-zA-Z0-9_-]`), prints `New password for default admin user (<user>):` and the
//! password on the next line, and sets `mustChangePassword`, so the next log-in shows the
//! setup page's password choice. The password is kept in memory, stored 0600 and printed only
//! to a terminal; it never reaches a log.
use crate::remote::Runner;
use anyhow::{Result, bail};
use std::time::Duration;

pub const NAMESPACE: &str = "cattle-system";
/// The chart's pod label (rancher-2.13.8 `templates/deployment.yaml`: `app: {{ fullname }}`,
/// fullname `rancher` for release `rancher`).
pub const POD_SELECTOR: &str = "app=rancher";
const HEADER: &str = "New password for default admin user (";

/// The cluster's secrets folder, created 0700 if missing (as the secrets stage makes it).
pub fn ensure_secrets_dir(cluster_dir: &std::path::Path) -> Result<()> {
    let d = crate::stages::secrets::dir(cluster_dir);
    std::fs::create_dir_all(&d)?;
    crate::platform::files::set_mode(&d, 0o700)?;
    Ok(())
}

/// Lists the Running Rancher pods' names.
pub fn pods_command() -> String {
    format!(
        "{} kubectl -n {NAMESPACE} get pods -l {POD_SELECTOR} --field-selector=status.phase=Running -o jsonpath='{{.items[*].metadata.name}}' 2>&1",
        crate::layout::node::kube_env()
    )
}

pub fn reset_command(pod: &str) -> String {
    format!(
        "{} kubectl -n {NAMESPACE} exec {} -- reset-password 2>&1",
        crate::layout::node::kube_env(),
        crate::quote::shell(pod)
    )
}

/// The user and the new password in reset-password's output.
pub fn parse(output: &str) -> Option<(String, String)> {
    let mut lines = output.lines();
    while let Some(l) = lines.next() {
        if let Some(rest) = l.trim().strip_prefix(HEADER) {
            let user = rest.strip_suffix("):")?.to_string();
            let pw = lines.next()?.trim().to_string();
            let ok = !pw.is_empty()
                && pw
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            return ok.then_some((user, pw));
        }
    }
    None
}

/// The output with the password line removed, for error messages.
fn redact(output: &str) -> String {
    let mut out = Vec::new();
    let mut skip = false;
    for l in output.lines() {
        if skip {
            out.push("[password withheld]");
            skip = false;
            continue;
        }
        skip = l.trim().starts_with(HEADER);
        out.push(l);
    }
    out.join("\n")
}

/// The first Running Rancher pod.
pub fn pod(runner: &dyn Runner) -> Result<String> {
    let mut out = String::new();
    let r = runner.exec(&pods_command(), Some(Duration::from_secs(60)), &mut |l| {
        out.push_str(l);
        out.push('\n');
    })?;
    if r.status != 0 {
        bail!(
            "{}: `kubectl -n {NAMESPACE} get pods -l {POD_SELECTOR}` exited {}: {}",
            runner.node(),
            r.status,
            out.trim()
        );
    }
    match out.split_whitespace().next() {
        Some(p) if crate::manifest::names::dns1123_subdomain(p).is_empty() => Ok(p.to_string()),
        _ => bail!(
            "{}: no Running Rancher pod in {NAMESPACE} (label {POD_SELECTOR}); is stage rancher done?",
            runner.node()
        ),
    }
}

/// Runs the reset; returns (pod, user, password).
pub fn run(runner: &dyn Runner) -> Result<(String, String, String)> {
    let pod = pod(runner)?;
    let mut out = String::new();
    let r = runner.exec(
        &reset_command(&pod),
        Some(Duration::from_secs(120)),
        &mut |l| {
            out.push_str(l);
            out.push('\n');
        },
    )?;
    let parsed = parse(&out);
    match (r.status, parsed) {
        (0, Some((user, pw))) => Ok((pod, user, pw)),
        (status, _) => bail!(
            "{}: `kubectl -n {NAMESPACE} exec {pod} -- reset-password` exited {status}: {}",
            runner.node(),
            redact(&out).trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_output_and_withholds_the_password_in_errors() {
        let out = "New password for default admin user (user-4ch7b):\nAbc-def_0123456789xyz\n";
        assert_eq!(
            parse(out),
            Some(("user-4ch7b".into(), "Abc-def_0123456789xyz".into()))
        );
        assert_eq!(
            parse("New password for default admin user (user-1):\n\n"),
            None
        );
        assert_eq!(parse("error: couldn't get default admin user"), None);
        let failed = "New password for default admin user (user-1):\nsecret123\ncouldn't update user must change password\n";
        let r = redact(failed);
        assert!(
            !r.contains("secret123") && r.contains("couldn't update"),
            "{r}"
        );
    }
}
