//! The cluster's own CA: its names in the cluster (rendered into the stage scripts), its
//! export to the cluster folder (the public certificate only), and how to trust it.
//!
//! The cert-manager stage creates it (docs/login.md, docs/contracts.md "First log-in"): a
//! self-signed ClusterIssuer signs one CA Certificate, and a CA ClusterIssuer signs the
//! dashboards' certificates with it. The key never leaves the cluster: the export asks
//! kubectl for the one data key `ca.crt` of the CA's Secret.
use crate::exit::{Class, classify};
use crate::remote::Runner;
use anyhow::{Context, Result};
use base64::Engine;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The self-signed ClusterIssuer that signs only the CA certificate.
pub const SELF_SIGNED_ISSUER: &str = "mlk-selfsigned";
/// The CA ClusterIssuer every mlk-managed dashboard certificate names.
pub const ISSUER: &str = "mlk-ca";
/// The CA Certificate and its Secret. A ClusterIssuer reads its Secret from cert-manager's
/// cluster resource namespace, which the chart sets to the release namespace
/// (`--cluster-resource-namespace=$(POD_NAMESPACE)` in deploy/charts/cert-manager/templates/
/// deployment.yaml, v1.20.3).
pub const SECRET: &str = "mlk-ca";
pub const NAMESPACE: &str = "cert-manager";
/// The file the CA certificate is exported to, in the cluster folder.
/// kubectl's JSONPath for the CA certificate in the Secret: cert-manager writes `ca.crt`
/// (`TLSCAKey`, pkg/apis/meta/v1/types.go) and, for a self-signed certificate, sets it to the
/// certificate itself (pkg/controller/certificaterequests/selfsigned/selfsigned.go: `CA: certPem`).
pub const JSONPATH: &str = r"{.data.ca\.crt}";

/// What the templates need.
#[derive(Debug, Clone, Serialize)]
pub struct CaCtx {
    pub self_signed: String,
    pub issuer: String,
    pub secret: String,
    pub namespace: String,
    /// The CA's subject CN: the cluster's name, so two clusters' CAs can be told apart in a
    /// trust store.
    pub common_name: String,
    pub jsonpath: String,
}

pub fn ctx(cluster: &str) -> CaCtx {
    CaCtx {
        self_signed: SELF_SIGNED_ISSUER.into(),
        issuer: ISSUER.into(),
        secret: SECRET.into(),
        namespace: NAMESPACE.into(),
        common_name: format!("mlk {cluster} CA"),
        jsonpath: JSONPATH.into(),
    }
}

/// Where the exported CA certificate lives.
pub fn path(cluster_dir: &Path) -> PathBuf {
    crate::layout::of(cluster_dir).ca_cert()
}

/// The kubectl command (run on the first controlplane node) that prints the base64 of the
/// CA certificate and nothing else.
pub fn command() -> String {
    format!(
        "{} kubectl -n {NAMESPACE} get secret {SECRET} -o jsonpath={}",
        crate::layout::node::kube_env(),
        crate::quote::shell(JSONPATH)
    )
}

/// The PEM certificate(s) in kubectl's answer (the base64 of the Secret's `ca.crt`). Refuses
/// anything that is not only `CERTIFICATE` blocks: a private key must never reach the host.
pub fn decode(answer: &str) -> Result<String> {
    let b64: String = answer.split_whitespace().collect();
    if b64.is_empty() {
        anyhow::bail!("the CA Secret has no `ca.crt` (is the cert-manager stage done?)");
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .context("the CA Secret's ca.crt is not base64")?;
    let pem = String::from_utf8(raw).context("the CA certificate is not PEM text")?;
    let mut blocks = 0;
    for l in pem.lines().filter(|l| l.starts_with("-----BEGIN ")) {
        if l.trim_end() != "-----BEGIN CERTIFICATE-----" {
            anyhow::bail!(
                "the CA Secret's ca.crt holds `{}`, not only certificates",
                l.trim_end()
            );
        }
        blocks += 1;
    }
    if blocks == 0 || !pem.contains("-----END CERTIFICATE-----") {
        anyhow::bail!("the CA Secret's ca.crt holds no PEM certificate");
    }
    Ok(if pem.ends_with('\n') { pem } else { pem + "\n" })
}

/// Fetches the CA certificate over `runner` and writes it to the cluster folder (0644: it is
/// public) when it changed. Returns the file.
pub fn export(runner: &dyn Runner, cluster_dir: &Path) -> Result<PathBuf> {
    let mut out = String::new();
    let r = runner
        .exec(&command(), Some(Duration::from_secs(60)), &mut |l| {
            out.push_str(l);
            out.push('\n');
        })
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{}: reading the CA certificate", runner.node()))?;
    if r.status != 0 {
        return Err(classify(
            Class::Remote,
            format!(
                "{}: `kubectl -n {NAMESPACE} get secret {SECRET}` exited {} ({}); has `mlk up` run stage cert-manager?",
                runner.node(),
                r.status,
                out.trim()
            ),
        ));
    }
    let pem = decode(&out)?;
    let file = path(cluster_dir);
    if std::fs::read_to_string(&file).ok().as_deref() != Some(pem.as_str()) {
        crate::fsutil::write_atomic(&file, pem.as_bytes(), Some(0o644))?;
    }
    Ok(file)
}

/// How to trust the CA on each OS, one line each, for `file`.
pub fn trust_lines(file: &Path, cluster: &str) -> Vec<(String, String)> {
    let f = file.display();
    vec![
        (
            "Debian/Ubuntu".into(),
            format!("sudo cp {f} /usr/local/share/ca-certificates/mlk-{cluster}.crt && sudo update-ca-certificates"),
        ),
        (
            "Fedora/RHEL".into(),
            format!("sudo cp {f} /etc/pki/ca-trust/source/anchors/mlk-{cluster}.crt && sudo update-ca-trust"),
        ),
        (
            "Chrome/Chromium on Linux".into(),
            format!("certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n mlk-{cluster} -i {f}   (Debian: libnss3-tools)"),
        ),
        (
            "macOS".into(),
            format!("sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {f}"),
        ),
        (
            "Windows".into(),
            format!("Import-Certificate -FilePath {f} -CertStoreLocation Cert:\\LocalMachine\\Root   (PowerShell as administrator)"),
        ),
        (
            "Firefox".into(),
            "Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import, tick \"Trust this CA to identify websites\"".into(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_keeps_certificates_and_refuses_keys() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        assert_eq!(decode(&b64(cert)).unwrap(), format!("{cert}\n"));
        let key =
            format!("{cert}\n-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n");
        assert!(
            decode(&b64(&key))
                .unwrap_err()
                .to_string()
                .contains("PRIVATE KEY")
        );
        assert!(decode("").is_err());
        assert!(decode("%%%").is_err());
        assert!(decode(&b64("hello")).is_err());
    }

    #[test]
    fn the_command_asks_for_ca_crt_only() {
        let c = command();
        assert!(c.contains("get secret mlk-ca"), "{c}");
        assert!(c.ends_with(r"-o jsonpath='{.data.ca\.crt}'"), "{c}");
    }
}
