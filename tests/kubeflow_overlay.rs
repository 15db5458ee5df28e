//! mlk's Kubeflow overlay built by the real kustomize over the real, vendored kubeflow/manifests
//! tree at the pinned tag (tests/upstream/kubeflow.rs: unpacked once per session, overlay at
//! `<tree>/mlk/` as on the node, `unshare -n`). What it proves: the overlay's paths resolve
//! in the real tree, the build leaves out upstream's cert-manager (mlk installs one with
//! Helm) but keeps Kubeflow's ClusterIssuer, replaces Secret auth/dex-passwords with the
//! generated hash (same name, no suffix), adds the Ingress to a Service that the build
//! really has, and otherwise matches upstream's `example` object for object.
use crate::upstream::kubeflow;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;

fn key(d: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (
        s(&d["kind"]),
        s(&d["metadata"]["namespace"]),
        s(&d["metadata"]["name"]),
    )
}

#[test]
fn overlay_builds_over_the_real_tree_without_cert_manager_with_the_dex_hash_and_ingress() {
    let p = crate::secrets_host::profile("mono");
    let files = mlk::render::render_all(&p).unwrap();
    let Some(built) = kubeflow::build(&p, &files) else {
        return;
    };
    let built = built.unwrap_or_else(|e| panic!("kustomize build failed:\n{e}"));
    let (docs, hash) = (&built.0, &built.1);
    let find = |kind: &str, name: &str| {
        docs.iter()
            .filter(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .collect::<Vec<_>>()
    };
    // No second cert-manager: nothing of upstream's common/cert-manager/base.
    let cm: Vec<_> = docs
        .iter()
        .filter(|d| {
            d["metadata"]["namespace"] == "cert-manager"
                || (d["kind"] == "CustomResourceDefinition"
                    && d["spec"]["group"]
                        .as_str()
                        .is_some_and(|g| g.ends_with("cert-manager.io")))
        })
        .map(key)
        .collect();
    assert!(cm.is_empty(), "upstream cert-manager leaked in: {cm:?}");
    assert_eq!(
        find("ClusterIssuer", "kubeflow-self-signing-issuer").len(),
        1
    );
    // Dex reads the generated hash, not upstream's 12341234.
    let secrets = find("Secret", "dex-passwords");
    assert_eq!(
        secrets.len(),
        1,
        "exactly one dex-passwords, without a name suffix"
    );
    let s = secrets[0];
    assert_eq!(s["metadata"]["namespace"], "auth");
    assert!(
        s.get("stringData").is_none_or(Value::is_null),
        "upstream's stringData survived: {s:?}"
    );
    use base64::Engine;
    // kustomize writes long base64 values as a block, one line per 76 characters.
    let b64: String = s["data"]["DEX_USER_PASSWORD"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), *hash);
    assert!(bcrypt::verify(kubeflow::TEST_PASSWORD, hash).unwrap());
    // ...through the Deployment's envFrom and the config's hashFromEnv (upstream's wiring).
    let dex = find("Deployment", "dex");
    let env_from =
        serde_json::to_string(&dex[0]["spec"]["template"]["spec"]["containers"][0]["envFrom"])
            .unwrap();
    assert!(env_from.contains("\"dex-passwords\""), "{env_from}");
    assert!(
        docs.iter().any(|d| d["kind"] == "ConfigMap"
            && d["metadata"]["namespace"] == "auth"
            && serde_json::to_string(&d["data"])
                .unwrap()
                .contains("hashFromEnv: DEX_USER_PASSWORD")),
        "no Dex config reads DEX_USER_PASSWORD"
    );
    // The Ingress: the profile's host, its TLS Secret from a Certificate of the cluster's CA
    // for that host (no ingress-shim annotation), a Service and port of the build.
    let ing = find("Ingress", "mlk-kubeflow");
    assert_eq!(ing.len(), 1);
    let ing = ing[0];
    assert_eq!(
        ing["spec"]["rules"][0]["host"].as_str(),
        Some(p.ingress.kubeflow.as_str())
    );
    assert!(
        ing["metadata"]["annotations"]
            .get("cert-manager.io/cluster-issuer")
            .is_none(),
        "{:?}",
        ing["metadata"]["annotations"]
    );
    let cert = find("Certificate", "mlk-kubeflow-tls");
    assert_eq!(cert.len(), 1);
    assert_eq!(
        cert[0]["metadata"]["namespace"],
        ing["metadata"]["namespace"]
    );
    assert_eq!(
        cert[0]["spec"]["secretName"],
        ing["spec"]["tls"][0]["secretName"]
    );
    assert_eq!(
        cert[0]["spec"]["dnsNames"][0].as_str(),
        Some(p.ingress.kubeflow.as_str())
    );
    assert_eq!(cert[0]["spec"]["issuerRef"]["kind"], "ClusterIssuer");
    assert_eq!(cert[0]["spec"]["issuerRef"]["name"], mlk::login::ca::ISSUER);
    let backend = &ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
    let svc = find("Service", backend["name"].as_str().unwrap());
    assert_eq!(svc.len(), 1);
    assert_eq!(
        svc[0]["metadata"]["namespace"],
        ing["metadata"]["namespace"]
    );
    let port = backend["port"]["number"].as_u64().unwrap();
    assert!(
        svc[0]["spec"]["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|p| p["port"].as_u64() == Some(port)),
        "istio-ingressgateway has no port {port}"
    );
    assert!(
        docs.len() > 500,
        "{} objects: the real example has 653",
        docs.len()
    );
}

/// The overlay is upstream's `example` less cert-manager plus the Ingress and its Certificate:
/// it leaves out no other upstream object, so it cannot drift from `example/kustomization.yaml`
/// unnoticed.
#[test]
fn overlay_equals_upstream_example_less_cert_manager_plus_the_ingress_and_its_certificate() {
    let p = crate::secrets_host::profile("mono");
    let files = mlk::render::render_all(&p).unwrap();
    let Some(built) = kubeflow::build(&p, &files) else {
        return;
    };
    let ours: BTreeSet<_> = built.unwrap().0.iter().map(key).collect();
    let upstream: BTreeSet<_> = kubeflow::build_example(&p)
        .unwrap()
        .iter()
        .map(key)
        .collect();
    let missing: Vec<_> = upstream
        .difference(&ours)
        .filter(|(kind, ns, name)| {
            !(ns == "cert-manager"
                || (kind == "Namespace" && name == "cert-manager")
                || (kind == "CustomResourceDefinition" && name.ends_with("cert-manager.io"))
                // its cluster-wide objects and leader-election Roles in kube-system
                || name.starts_with("cert-manager"))
        })
        .collect();
    assert_eq!(
        missing,
        Vec::<&(String, String, String)>::new(),
        "upstream objects the overlay drops"
    );
    let extra: Vec<_> = ours.difference(&upstream).collect();
    let t = |k: &str, n: &str| (k.to_string(), "istio-system".to_string(), n.to_string());
    assert_eq!(
        extra,
        vec![
            &t("Certificate", "mlk-kubeflow-tls"),
            &t("Ingress", "mlk-kubeflow")
        ]
    );
}

/// Which kustomize the tests use, next to the one the node uses (versions.lock.yaml).
#[test]
fn kustomize_versions_are_the_documented_ones() {
    let Some(v) = kubeflow::kustomize_version() else {
        return;
    };
    let lock = mlk::lockfile::get();
    assert_eq!(lock.binary("kustomize").version, "v5.7.1");
    // docs/contracts.md ("Kubeflow build") explains why v5.4.2 here and v5.7.1 on the node
    // build the same objects for this overlay; a new kubectl must revisit that note.
    assert_eq!(v, "v5.4.2");
}
