//! The one-answer checks: the JSON reader every check uses, helm status, storage,
//! cert-manager, Rancher and rke-up, each on its recorded answers (positive and negative).
use super::{Stage, fixtures};

fn accepts(s: &Stage, func: &str, fixture: &str) {
    let o = s.decides(func, fixture);
    assert!(o.ok, "{func} should accept {fixture}: {}", o.text());
}

fn rejects(s: &Stage, func: &str, fixture: &str) {
    let o = s.decides(func, fixture);
    assert!(!o.ok, "{func} should reject {fixture}: {}", o.text());
}

#[test]
fn json_flat_reads_compact_and_indented_json_with_escapes() {
    let s = Stage::new("tick");
    let o = s.sh(
        r#"printf '%s\n' '{"a":{"b":[1,"x\"y",{"c":true}],"d\/e":null},"f":"a\\b\/c","g":[],"h":{}}' | json_flat"#,
    );
    assert!(o.ok, "{}", o.text());
    assert_eq!(
        o.stdout,
        "a.b.0\t1\na.b.1\tx\"y\na.b.2.c\ttrue\na.d/e\tnull\nf\ta\\b/c\n"
    );
    // kubectl's indented form flattens to the same paths as the compact one.
    let o = s.sh(
        r#"diff <(json_flat < "$FIX"/storage/local-path-default.json) <(python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), separators=(",",":")))' < "$FIX"/storage/local-path-default.json | json_flat)"#,
    );
    assert!(o.ok, "{}", o.text());
    let o = s.sh(r#"json_flat < "$FIX"/storage/local-path-default.json"#);
    assert!(
        o.stdout.contains(
            "items.0.metadata.annotations.storageclass.kubernetes.io/is-default-class\ttrue\n"
        ),
        "{}",
        o.text()
    );
}

#[test]
fn helm_status_decision_reads_info_status_not_any_status_string() {
    let s = Stage::new("cert-manager");
    accepts(&s, "helm_status_deployed", "helm/deployed.json");
    rejects(&s, "helm_status_deployed", "helm/failed.json");
    rejects(&s, "helm_status_deployed", "helm/pending-install.json");
    // The check before this review grepped for "status":"deployed" anywhere, and passed this.
    let f =
        std::fs::read_to_string(fixtures().join("helm/failed-values-say-deployed.json")).unwrap();
    assert!(f.contains(r#""status":"deployed""#));
    rejects(
        &s,
        "helm_status_deployed",
        "helm/failed-values-say-deployed.json",
    );
}

#[test]
fn storage_default_class_decision_on_storageclass_lists() {
    let s = Stage::new("storage");
    let names = |f: &str| {
        let o = s.decides("default_classes", f);
        assert!(o.ok, "{}", o.text());
        let mut v: Vec<String> = o.stdout.lines().map(String::from).collect();
        v.sort();
        v
    };
    assert_eq!(names("storage/local-path-default.json"), ["local-path"]);
    assert_eq!(names("storage/two-defaults.json"), ["local-path", "nfs"]);
    assert_eq!(names("storage/beta-default.json"), ["local-path", "old"]);
    assert!(names("storage/not-default.json").is_empty());
    assert_eq!(names("storage/other-default.json"), ["standard"]);
    assert!(names("storage/none.json").is_empty());
    // The check itself, with kubectl answering from the fixture (a fake kubectl: no API server).
    let check = |f: &str| {
        s.sh(&format!(
            "mkdir -p \"$TMPD/bin\"; printf '#!/bin/sh\\ncat \"$FIX\"/{f}\\n' > \"$TMPD/bin/kubectl\"; \
             chmod +x \"$TMPD/bin/kubectl\"; PATH=\"$TMPD/bin:$PATH\"; \
             [ \"$(kubectl get storageclass -o json | default_classes)\" = local-path ]"
        ))
        .ok
    };
    assert!(check("storage/local-path-default.json"));
    assert!(!check("storage/two-defaults.json"));
    assert!(!check("storage/beta-default.json"));
}

#[test]
fn cert_manager_webhook_endpoints_and_certificate_decisions() {
    let s = Stage::new("cert-manager");
    accepts(&s, "endpoints_ready", "cert-manager/endpoints-ready.json");
    rejects(
        &s,
        "endpoints_ready",
        "cert-manager/endpoints-not-ready.json",
    );
    rejects(&s, "endpoints_ready", "cert-manager/endpoints-none.json");
    accepts(
        &s,
        "certificate_ready",
        "cert-manager/certificate-ready.json",
    );
    rejects(
        &s,
        "certificate_ready",
        "cert-manager/certificate-issuing.json",
    );
    // The CA's ClusterIssuer has the same Ready condition (docs/login.md).
    accepts(
        &s,
        "certificate_ready",
        "cert-manager/clusterissuer-ready.json",
    );
    rejects(
        &s,
        "certificate_ready",
        "cert-manager/clusterissuer-not-ready.json",
    );
}

#[test]
fn cert_manager_webhook_service_name_is_what_the_real_chart_renders() {
    let Some(helm) = crate::tools::find("helm") else {
        return;
    };
    let chart = crate::foundation::common::fixture("upstream/charts/cert-manager-1.20.3");
    let o = std::process::Command::new(helm)
        .args(["template", "cert-manager"])
        .arg(&chart)
        .args(["-n", "cert-manager", "--set", "crds.enabled=true"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let y = String::from_utf8_lossy(&o.stdout);
    let services: Vec<&str> = y
        .split("\n---")
        .filter(|d| d.contains("\nkind: Service\n"))
        .collect();
    assert!(
        services
            .iter()
            .any(|d| d.contains("\n  name: cert-manager-webhook\n")),
        "no Service cert-manager-webhook in the chart's output"
    );
    let script = Stage::new("cert-manager");
    let text = std::fs::read_to_string(script.dir.path().join("cert-manager.sh")).unwrap();
    assert!(text.contains("get endpoints cert-manager-webhook -o json"));
}

#[test]
fn rancher_ping_decision() {
    let s = Stage::new("rancher");
    let pong = |f: &str| s.sh(&format!("is_pong \"$(cat \"$FIX\"/rancher/{f})\"")).ok;
    assert!(pong("pong.txt"));
    assert!(!pong("not-found.txt"));
    assert!(!pong("nginx-503.html"));
}

#[test]
fn rke_up_node_readiness_decision_on_node_lists() {
    let s = Stage::new("rke-up");
    accepts(&s, "all_nodes_ready", "rke/nodes-all-ready.json");
    // Cordoned is still Ready; `kubectl get nodes` prints Ready,SchedulingDisabled, which the
    // check before this review (column 2 must be exactly Ready) rejected.
    accepts(&s, "all_nodes_ready", "rke/nodes-one-cordoned.json");
    let says = |f: &str, want: &str| {
        let o = s.decides("all_nodes_ready", f);
        assert!(!o.ok, "{f} passed: {}", o.text());
        assert!(
            o.stdout.contains(want),
            "{f}: want {want:?} in {}",
            o.text()
        );
    };
    says("rke/nodes-one-not-ready.json", "not Ready: node3(False)");
    says("rke/nodes-one-unknown.json", "not Ready: node1(Unknown)");
    says(
        "rke/nodes-no-ready-condition.json",
        "not Ready: node2(missing)",
    );
    says(
        "rke/nodes-one-missing.json",
        "have node1 node2 , want node1 node2 node3",
    );
    says("rke/nodes-named-by-ip.json", "want node1 node2 node3");
}
