//! The rules the API server applies to the built-in workload's objects that neither YAML
//! parsing nor kubectl's client-side decoder checks. Each rule names its source in the
//! Kubernetes validation code (kubernetes/kubernetes v1.32: pkg/apis/core/validation,
//! pkg/apis/batch/validation; k8s.io/apimachinery pkg/util/validation). The `charts` work
//! adds a validator over every object mlk applies; this one keeps the workloads honest now.
use super::{built_in_manifests, docs};
use serde_yaml_ng::Value;
use std::collections::BTreeSet;

/// apimachinery IsDNS1123Label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63.
fn dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// apimachinery IsDNS1035Label (Service names, ValidateServiceName): a DNS-1123 label that
/// starts with a letter.
fn dns1035_label(s: &str) -> bool {
    dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

/// apimachinery IsValidPortName (IANA_SVC_NAME): at most 15, a-z0-9 and `-`, at least one
/// letter, no `--`, no leading or trailing `-`.
fn port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.contains("--")
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// apimachinery IsValidLabelValue: at most 63, `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`.
fn label_value(s: &str) -> bool {
    s.len() <= 63
        && (s.is_empty()
            || (s.bytes().next().unwrap().is_ascii_alphanumeric()
                && s.bytes().last().unwrap().is_ascii_alphanumeric()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))))
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Every problem of one manifest (empty when the API server would accept it).
pub fn problems(yaml: &str) -> Vec<String> {
    let docs = docs(yaml);
    let mut out = Vec::new();
    // Only kinds a bare Kubernetes 1.32 serves: no CRD needed (docs/measurement.md, "Layouts").
    let built_in: BTreeSet<(&str, &str)> = [
        ("v1", "Namespace"),
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("batch/v1", "Job"),
    ]
    .into_iter()
    .collect();
    let namespaces: BTreeSet<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "Namespace")
        .map(|d| str_of(&d["metadata"]["name"]))
        .collect();
    let mut pod_templates: Vec<(String, &Value)> = Vec::new();
    for d in &docs {
        let (api, kind) = (str_of(&d["apiVersion"]), str_of(&d["kind"]));
        let name = str_of(&d["metadata"]["name"]);
        let who = format!("{kind} {name}");
        if !built_in.contains(&(api, kind)) {
            out.push(format!("{who}: {api} {kind} is not a built-in kind"));
        }
        // ValidateObjectMeta with the kind's name rule.
        let ok = match kind {
            "Service" => dns1035_label(name),
            // Job names become the pods' `job-name` label value (batch validation).
            "Job" | "Namespace" => dns1123_label(name),
            _ => name.len() <= 253 && name.split('.').all(dns1123_label),
        };
        if !ok {
            out.push(format!("{who}: invalid name"));
        }
        if kind != "Namespace" {
            let ns = str_of(&d["metadata"]["namespace"]);
            if !namespaces.contains(ns) {
                out.push(format!("{who}: namespace {ns:?} is not created first"));
            }
        }
        for labels in [
            &d["metadata"]["labels"],
            &d["spec"]["template"]["metadata"]["labels"],
        ] {
            for (k, v) in labels.as_mapping().into_iter().flatten() {
                if !label_value(str_of(v)) {
                    out.push(format!("{who}: label {k:?}: invalid value {v:?}"));
                }
            }
        }
        if kind == "Job" {
            let spec = &d["spec"]["template"]["spec"];
            pod_templates.push((
                str_of(&d["metadata"]["namespace"]).into(),
                &d["spec"]["template"],
            ));
            // Job pods must not restart in place (batch validation: Never or OnFailure).
            let rp = str_of(&spec["restartPolicy"]);
            if rp != "Never" && rp != "OnFailure" {
                out.push(format!("{who}: restartPolicy {rp:?}"));
            }
            let mut seen = BTreeSet::new();
            for c in spec["containers"].as_sequence().into_iter().flatten() {
                let image = str_of(&c["image"]);
                let tag = image.rsplit_once(':').map(|(_, t)| t);
                if tag.is_none() || tag == Some("latest") {
                    out.push(format!("{who}: image {image:?} has no pinned tag"));
                }
                for p in c["ports"].as_sequence().into_iter().flatten() {
                    let n = str_of(&p["name"]);
                    if !port_name(n) || !seen.insert(n.to_string()) {
                        out.push(format!("{who}: container port name {n:?}"));
                    }
                }
            }
            let mounts: BTreeSet<&str> = spec["containers"]
                .as_sequence()
                .into_iter()
                .flatten()
                .flat_map(|c| c["volumeMounts"].as_sequence().into_iter().flatten())
                .map(|m| str_of(&m["name"]))
                .collect();
            let volumes: BTreeSet<&str> = spec["volumes"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|v| str_of(&v["name"]))
                .collect();
            for m in mounts.difference(&volumes) {
                out.push(format!("{who}: volumeMount {m} has no volume"));
            }
        }
    }
    for d in docs.iter().filter(|d| d["kind"] == "Service") {
        let who = format!("Service {}", str_of(&d["metadata"]["name"]));
        let ports = d["spec"]["ports"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        // ValidateService: ports required unless headless/ExternalName.
        if ports.is_empty() {
            out.push(format!("{who}: spec.ports: Required value"));
        }
        let mut names = BTreeSet::new();
        for p in &ports {
            let n = str_of(&p["name"]);
            if !port_name(n) || !names.insert(n.to_string()) {
                out.push(format!("{who}: port name {n:?}"));
            }
        }
        let sel = d["spec"]["selector"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        let ns = str_of(&d["metadata"]["namespace"]);
        let matching: Vec<&&Value> = pod_templates
            .iter()
            .filter(|(pns, _)| pns == ns)
            .map(|(_, t)| t)
            .filter(|t| {
                sel.iter()
                    .all(|(k, v)| &t["metadata"]["labels"][k.as_str().unwrap()] == v)
            })
            .collect();
        if sel.is_empty() || matching.is_empty() {
            out.push(format!("{who}: selector matches no pod template"));
        }
        // A named targetPort must be a port name of the selected pods.
        for p in &ports {
            if let Some(tp) = p["targetPort"].as_str() {
                let found = matching.iter().any(|t| {
                    t["spec"]["containers"]
                        .as_sequence()
                        .into_iter()
                        .flatten()
                        .flat_map(|c| c["ports"].as_sequence().into_iter().flatten())
                        .any(|cp| cp["name"] == tp)
                });
                if !found {
                    out.push(format!("{who}: targetPort {tp} names no container port"));
                }
            }
        }
    }
    out
}

#[test]
fn built_in_workloads_pass_the_api_server_rules() {
    for (what, yaml) in built_in_manifests() {
        assert_eq!(problems(&yaml), Vec::<String>::new(), "{what}");
    }
    // The longest run name mlk accepts still gives valid names.
    let p = super::profile("distributed");
    let long = "r".repeat(40);
    let m = mlk::workload::mnist(&p, &long, &mlk::workload::Training::default()).unwrap();
    assert_eq!(problems(&m.yaml), Vec::<String>::new());
}

#[test]
fn the_rules_catch_what_they_claim() {
    let (_, good) = built_in_manifests().pop().unwrap();
    for (from, to, want) in [
        ("name: grpc", "name: grpc-port-too-long", "port name"),
        (
            "tensorflow/tensorflow:2.15.0",
            "tensorflow/tensorflow:latest",
            "pinned tag",
        ),
        (
            "apiVersion: batch/v1\nkind: Job",
            "apiVersion: kubeflow.org/v1\nkind: TFJob",
            "not a built-in kind",
        ),
        (
            "targetPort: grpc",
            "targetPort: http",
            "names no container port",
        ),
        (
            "selector:\n    mlk.io/run:",
            "selector:\n    mlk.io/runx:",
            "selector matches no pod template",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        let p = problems(&bad);
        assert!(p.iter().any(|l| l.contains(want)), "{from} → {to}: {p:?}");
    }
}
