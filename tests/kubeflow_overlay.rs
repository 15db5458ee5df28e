//! mlk's Kubeflow overlay built by the real kustomize (kubectl kustomize, in `unshare -n`)
//! against a STAND-IN manifests tree: the upstream tree (30 MB, with remote bases) cannot be
//! fetched here, so each path the overlay references gets a tiny kustomization named like the
//! upstream one. What this proves: the overlay is valid kustomize, leaves out everything of
//! common/cert-manager/base, keeps the kubeflow ClusterIssuer, replaces Secret
//! auth/dex-passwords with the generated hash (same name, no suffix), and adds the Ingress.
//! What it does not prove: that upstream v1.11.0 builds (checked by hand, see docs/development.md).
use crate::tools;
use serde_yaml_ng::Value;
use std::path::Path;
use std::process::Command;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A stand-in for the upstream folder `rel`: one ConfigMap named after it, or the objects
/// the test looks for where upstream has them.
fn stand_in(root: &Path, rel: &str) {
    let name = rel
        .replace(['/', '.'], "-")
        .trim_matches('-')
        .to_lowercase();
    let body = match rel {
        "common/cert-manager/kubeflow-issuer/base" => "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: kubeflow-self-signing-issuer\nspec:\n  selfSigned: {}\n".to_string(),
        // Upstream's dex base: the Secret with the well-known hash of 12341234, namespace auth.
        "common/dex/overlays/oauth2-proxy" => "apiVersion: v1\nkind: Secret\nmetadata:\n  name: dex-passwords\n  namespace: auth\nstringData:\n  DEX_USER_PASSWORD: $2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72\n".to_string(),
        _ => format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: kubeflow\n"),
    };
    write(root, &format!("{rel}/res.yaml"), &body);
    write(
        root,
        &format!("{rel}/kustomization.yaml"),
        "resources:\n- res.yaml\n",
    );
}

#[test]
fn overlay_drops_cert_manager_replaces_the_dex_hash_and_adds_the_ingress() {
    let Some(kubectl) = tools::find("kubectl") else {
        return;
    };
    let p = crate::secrets_host::profile("mono");
    let files = mlk::render::render_all(&p).unwrap();
    let kust = &files["kubeflow/kustomization.yaml"];
    let doc: Value = serde_yaml_ng::from_str(kust).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let refs: Vec<&str> = doc["resources"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        !refs
            .iter()
            .any(|r| r.contains("cert-manager/base") && !r.contains("kubeflow-issuer")),
        "{refs:?}"
    );
    for r in refs.iter().filter_map(|r| r.strip_prefix("../")) {
        stand_in(root, r);
    }
    // Upstream's cert-manager, which must not appear in the output.
    write(
        root,
        "common/cert-manager/base/kustomization.yaml",
        "resources:\n- res.yaml\n",
    );
    write(
        root,
        "common/cert-manager/base/res.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cert-manager\n  namespace: cert-manager\n",
    );
    for c in doc["components"].as_sequence().unwrap() {
        let rel = c.as_str().unwrap().strip_prefix("../").unwrap();
        write(
            root,
            &format!("{rel}/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations:\n  stand-in/component: baseline\n",
        );
    }
    write(root, "mlk/kustomization.yaml", kust);
    write(root, "mlk/ingress.yaml", &files["kubeflow/ingress.yaml"]);
    let hash = mlk::stages::secrets::bcrypt_hash("generated-in-test").unwrap();
    write(root, "mlk/dex-password.bcrypt", &hash);
    let out = Command::new("unshare")
        .arg("-n")
        .arg(&kubectl)
        .arg("kustomize")
        .arg(root.join("mlk"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_slice(&out.stdout)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let find = |kind: &str, name: &str| {
        docs.iter()
            .filter(|d| {
                d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name)
            })
            .collect::<Vec<_>>()
    };
    assert!(
        !docs
            .iter()
            .any(|d| d["metadata"]["namespace"].as_str() == Some("cert-manager")),
        "upstream cert-manager leaked in"
    );
    assert_eq!(
        find("ClusterIssuer", "kubeflow-self-signing-issuer").len(),
        1
    );
    let secrets = find("Secret", "dex-passwords");
    assert_eq!(
        secrets.len(),
        1,
        "exactly one dex-passwords, without a name suffix"
    );
    let s = secrets[0];
    assert_eq!(s["metadata"]["namespace"].as_str(), Some("auth"));
    assert!(
        s.get("stringData").is_none_or(Value::is_null),
        "upstream's stringData survived: {s:?}"
    );
    let b64 = s["data"]["DEX_USER_PASSWORD"].as_str().unwrap();
    let decoded = Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b64.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(String::from_utf8(decoded.stdout).unwrap(), hash);
    let ing = find("Ingress", "mlk-kubeflow");
    assert_eq!(ing.len(), 1);
    assert_eq!(
        ing[0]["spec"]["rules"][0]["host"].as_str(),
        p.ingress.kubeflow.as_deref()
    );
    assert_eq!(
        ing[0]["metadata"]["annotations"]["cert-manager.io/cluster-issuer"].as_str(),
        Some("kubeflow-self-signing-issuer")
    );
    assert_eq!(
        ing[0]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"].as_str(),
        Some("istio-ingressgateway")
    );
}
