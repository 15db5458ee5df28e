//! The kubeflow stage's login check (defect 4): its decisions on recorded answers, and the
//! whole curl flow against a FAKE gateway (fixtures/contracts/kubeflow/fake_gateway.py) that
//! answers as oauth2-proxy v7.13.0 and Dex v2.44.0 do behind Istio, on 127.0.0.1:443.
use super::{Out, Stage};
use crate::ssh_support::have_root;

const HOST: &str = "kubeflow.192.168.56.20.sslip.io";

#[test]
fn kubeflow_decisions_on_recorded_answers() {
    let s = Stage::new("kubeflow");
    let host = s.sh(r#"printf %s "$HOST""#).stdout;
    assert_eq!(
        host, HOST,
        "the profile's Kubeflow host changed: update HOST"
    );
    let ok = |cmd: &str| s.sh(cmd).ok;
    assert!(ok(
        r#"kf_discovery_ok 200 "$FIX"/kubeflow/dex-discovery.json"#
    ));
    assert!(!ok(
        r#"kf_discovery_ok 404 "$FIX"/kubeflow/dex-discovery.json"#
    ));
    assert!(!ok(
        r#"kf_discovery_ok 200 "$FIX"/kubeflow/dex-discovery-wrong-issuer.json"#
    ));
    assert!(!ok(
        r#"kf_discovery_ok 200 "$FIX"/kubeflow/centraldashboard-index.html"#
    ));
    // oauth2-proxy's sign-in page is 403; 401 for API-like requests. 200 = no authz at all.
    assert!(ok("kf_unauthenticated_ok 403"));
    assert!(ok("kf_unauthenticated_ok 401"));
    assert!(!ok("kf_unauthenticated_ok 200"));
    assert!(!ok("kf_unauthenticated_ok 302"));
    assert!(!ok("kf_unauthenticated_ok 503"));
    let login = format!("https://{HOST}/dex/auth/local/login?back=&state=abc");
    assert!(ok(&format!("kf_at_dex_login 200 '{login}'")));
    assert!(!ok(&format!("kf_at_dex_login 400 '{login}'")));
    assert!(!ok(&format!(
        "kf_at_dex_login 200 'https://{HOST}/dex/auth'"
    )));
    assert!(!ok(
        "kf_at_dex_login 200 'https://other.example/dex/auth/local/login?state=x'"
    ));
    let root = format!("https://{HOST}/");
    assert!(ok(&format!(
        r#"kf_at_dashboard 200 '{root}' "$FIX"/kubeflow/centraldashboard-index.html"#
    )));
    assert!(!ok(&format!(
        r#"kf_at_dashboard 200 '{root}' "$FIX"/kubeflow/oauth2-proxy-sign-in.html"#
    )));
    assert!(!ok(&format!(
        r#"kf_at_dashboard 200 '{login}' "$FIX"/kubeflow/dex-login-invalid.html"#
    )));
    assert!(!ok(&format!(
        r#"kf_at_dashboard 403 '{root}' "$FIX"/kubeflow/centraldashboard-index.html"#
    )));
}

/// Runs kubeflow_login_ok against the fake gateway in `mode`; the node's password file holds
/// `node_pw`, the fake's Dex accepts `dex_pw`.
fn login(mode: &str, node_pw: &str, dex_pw: &str) -> (Out, String) {
    let s = Stage::new("kubeflow");
    let d = s.dir.path();
    std::fs::write(d.join("node-pw"), node_pw).unwrap();
    std::fs::write(d.join("dex-pw"), dex_pw).unwrap();
    let o = s.sh_netns(&format!(
        r#"openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$HOST" \
  -keyout "$TMPD/key.pem" -out "$TMPD/cert.pem" 2>/dev/null
python3 "$FIX/kubeflow/fake_gateway.py" 443 "$TMPD/cert.pem" "$TMPD/key.pem" "$TMPD/dex-pw" {mode} "$TMPD" &
for i in $(seq 100); do curl -sk -o /dev/null https://127.0.0.1/dex/ && break; sleep 0.05; done
INGRESS_IPS=(127.0.0.1)
PASSWORD_FILE="$TMPD/node-pw"
kubeflow_login_ok; rc=$?
kill %1
exit $rc"#
    ));
    let log = std::fs::read_to_string(d.join("requests.log")).unwrap_or_default();
    (o, log)
}

#[test]
fn kubeflow_fake_gateway_login_reaches_the_dashboard_regression_defect_4() {
    if !have_root("kubeflow_fake_gateway_login") {
        return;
    }
    let pw = "Zq3tY8mK2pW7vR1xN5cB9dF4";
    let (o, log) = login("healthy", pw, pw);
    assert!(o.ok, "{}\nrequests:\n{log}", o.text());
    // The whole flow ran, in upstream's order (tests/dex_login_test.py).
    let steps: Vec<&str> = log.lines().filter(|l| !l.ends_with("/dex/")).collect();
    assert_eq!(
        steps,
        [
            "GET /dex/.well-known/openid-configuration",
            "GET /",
            "GET /oauth2/start",
            "GET /dex/auth",
            "GET /dex/auth/local",
            "GET /dex/auth/local/login",
            "POST /dex/auth/local/login",
            "GET /oauth2/callback",
            "GET /",
        ]
    );
    assert!(
        !o.stdout.contains(pw) && !o.stderr.contains(pw),
        "password leaked"
    );
}

#[test]
fn kubeflow_fake_gateway_login_fails_on_wrong_password_open_dashboard_or_missing_dex() {
    if !have_root("kubeflow_fake_gateway_login_fails") {
        return;
    }
    let pw = "Zq3tY8mK2pW7vR1xN5cB9dF4";
    let (o, _) = login("healthy", "not-the-password", pw);
    assert!(!o.ok);
    assert!(
        o.stdout
            .contains("Dex refused the login of user@example.com"),
        "{}",
        o.text()
    );
    assert!(!o.stdout.contains("not-the-password"));
    let (o, _) = login("open", pw, pw);
    assert!(!o.ok);
    assert!(
        o.stdout.contains("answered 200 without a login"),
        "{}",
        o.text()
    );
    let (o, _) = login("no-dex", pw, pw);
    assert!(!o.ok);
    assert!(o.stdout.contains("Dex discovery"), "{}", o.text());
}
