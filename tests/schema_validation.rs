//! Schema validation of every object mlk applies, in strict mode (an unknown field is an
//! error, as with kubectl's default `--validate=strict`):
//! - built-in kinds against the OpenAPI schemas of the target Kubernetes version, with the
//!   PyPI package kubernetes-validate (offline; .ci/setup.d/45-kubernetes-validate.sh);
//! - custom resources against the `openAPIV3Schema` of the CRD the same set installs (the
//!   real cert-manager chart's CRDs, the Kubeflow build's), with the jsonschema crate.
//!
//! A custom resource whose CRD the set does not install is reported by the manifest rules
//! (`custom-resource-definition`), and here too.
use crate::manifest_validation::load;
use crate::upstream::objects;
use mlk::manifest::{self, Object};
use mlk::profile::Hypervisor;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The venv python that runs kubernetes-validate, found through its console script.
fn kv_python() -> Option<PathBuf> {
    let script = crate::tools::find("kubernetes-validate")?;
    let real = std::fs::canonicalize(script).ok()?;
    let py = real.parent()?.join("python3");
    py.is_file().then_some(py)
}

/// kubernetes-validate's verdict on each object (None = passes), for Kubernetes `version`.
fn kubernetes_validate(py: &PathBuf, objects: &[Json], version: &str) -> Vec<Option<String>> {
    let driver = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/upstream/schema_check.py"
    );
    let mut child = Command::new(py)
        .arg(driver)
        .arg(version)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::to_vec(objects).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&input).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "schema_check.py failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Built-in and custom objects of both profiles under every provider, each once.
fn unique_objects() -> Option<(Vec<Object>, Vec<Object>)> {
    let mut seen = BTreeMap::new();
    for name in ["mono", "distributed"] {
        for provider in Hypervisor::ALL {
            for o in objects::all(&load(name, provider))? {
                seen.entry(serde_json::to_string(&o.doc).unwrap())
                    .or_insert(o);
            }
        }
    }
    Some(
        seen.into_values()
            .partition(|o| manifest::is_builtin(o.api_version())),
    )
}

fn to_json(o: &Object) -> Json {
    serde_json::to_value(&o.doc).unwrap()
}

#[test]
fn builtin_objects_pass_the_strict_openapi_schemas_of_the_target_version() {
    let Some(py) = kv_python() else { return };
    let Some((builtin, _)) = unique_objects() else {
        return;
    };
    let p = load("mono", Hypervisor::Virtualbox);
    let version = crate::upstream::charts::kube_version(&p);
    let docs: Vec<Json> = builtin.iter().map(to_json).collect();
    let verdicts = kubernetes_validate(&py, &docs, &version);
    let bad: Vec<String> = builtin
        .iter()
        .zip(&verdicts)
        .filter_map(|(o, v)| v.as_ref().map(|e| format!("{}: {e}", o.id())))
        .collect();
    assert_eq!(bad, Vec::<String>::new());
    assert!(builtin.len() > 500, "{} built-in objects", builtin.len());
}

/// The schema check is version-aware and strict: a field Kubernetes 1.33 added
/// (`lifecycle.stopSignal`) passes on 1.34 and fails on 1.32; an unknown field and a removed
/// API fail.
#[test]
fn kubernetes_validate_rejects_newer_fields_unknown_fields_and_removed_apis() {
    let Some(py) = kv_python() else { return };
    let pod = |extra: Json| {
        let mut c = json!({"name": "a", "image": "b:1"});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [c]}})
    };
    let docs = vec![
        pod(json!({"lifecycle": {"stopSignal": "SIGTERM"}})),
        pod(json!({"foo": 1})),
        json!({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "a"}, "spec": {}}),
        pod(json!({})),
    ];
    let on_132 = kubernetes_validate(&py, &docs, "1.32.5");
    assert!(
        on_132[0]
            .as_deref()
            .is_some_and(|e| e.contains("stopSignal")),
        "{on_132:?}"
    );
    assert!(
        on_132[1].as_deref().is_some_and(|e| e.contains("foo")),
        "{on_132:?}"
    );
    assert!(on_132[2].is_some(), "{on_132:?}");
    assert_eq!(on_132[3], None);
    let on_134 = kubernetes_validate(&py, &docs, "1.34.0");
    assert_eq!(on_134[0], None, "{on_134:?}");
}

/// A CRD's structural schema as a JSON Schema (draft 7): `nullable`, `x-kubernetes-int-or-string`
/// and `x-kubernetes-preserve-unknown-fields` as the API server reads them
/// (apiextensions-apiserver, structural schemas and pruning), and every other object closed
/// (`additionalProperties: false`), since strict field validation rejects unknown fields.
/// CEL rules (`x-kubernetes-validations`) are not evaluated.
pub fn json_schema(s: &Json, root: bool) -> Json {
    let Some(m) = s.as_object() else {
        return s.clone();
    };
    if m.get("x-kubernetes-int-or-string") == Some(&Json::Bool(true)) {
        return json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
    }
    let mut out = serde_json::Map::new();
    for (k, v) in m {
        let v = match k.as_str() {
            "properties" | "patternProperties" | "definitions" => Json::Object(
                v.as_object()
                    .unwrap()
                    .iter()
                    .map(|(n, s)| (n.clone(), json_schema(s, false)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" if v.is_object() => json_schema(v, false),
            "allOf" | "anyOf" | "oneOf" => Json::Array(
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| json_schema(s, false))
                    .collect(),
            ),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    if m.get("nullable") == Some(&Json::Bool(true))
        && let Some(t) = m.get("type").and_then(Json::as_str)
    {
        out.insert("type".into(), json!([t, "null"]));
    }
    let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&Json::Bool(true));
    let embedded = m.get("x-kubernetes-embedded-resource") == Some(&Json::Bool(true));
    if root || embedded {
        let props = out
            .entry("properties")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .unwrap();
        for (k, t) in [
            ("apiVersion", "string"),
            ("kind", "string"),
            ("metadata", "object"),
        ] {
            props.entry(k).or_insert_with(|| json!({"type": t}));
        }
    }
    if m.get("type").and_then(Json::as_str) == Some("object")
        && !preserve
        && !m.contains_key("additionalProperties")
        && (m.contains_key("properties") || root)
    {
        out.insert("additionalProperties".into(), Json::Bool(false));
    }
    out.into_iter().collect::<serde_json::Map<_, _>>().into()
}

/// Schema errors of custom resource `o` against its CRD in `set`, or why there is none.
fn cr_errors(set: &[Object], o: &Object) -> Vec<String> {
    let version = o.api_version().rsplit('/').next().unwrap_or("");
    let Some(crd) = set.iter().find(|x| {
        x.kind() == "CustomResourceDefinition"
            && x.doc["spec"]["group"].as_str() == Some(o.group())
            && x.doc["spec"]["names"]["kind"].as_str() == Some(o.kind())
    }) else {
        return vec!["no CustomResourceDefinition for it in the set".into()];
    };
    let crd = to_json(crd);
    let Some(v) = crd["spec"]["versions"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"] == version))
    else {
        return vec![format!("its CRD has no version {version}")];
    };
    let schema = json_schema(&v["schema"]["openAPIV3Schema"], true);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(false)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: schema does not compile: {e}", o.id()));
    validator
        .iter_errors(&to_json(o))
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

#[test]
fn custom_resources_match_the_schemas_of_the_crds_the_set_installs() {
    let mut checked = BTreeMap::<String, usize>::new();
    for name in ["mono", "distributed"] {
        let p = load(name, Hypervisor::Virtualbox);
        let Some(set) = objects::all(&p) else { return };
        let mut bad = Vec::new();
        for o in set
            .iter()
            .filter(|o| !manifest::is_builtin(o.api_version()))
        {
            let errs = cr_errors(&set, o);
            if !errs.is_empty() {
                bad.push(format!("{}: {errs:?}", o.id()));
            }
            *checked.entry(o.kind().to_string()).or_default() += 1;
        }
        assert_eq!(bad, Vec::<String>::new(), "{name}");
    }
    for kind in [
        "Certificate",
        "Issuer",
        "ClusterIssuer",
        "Profile",
        "Gateway",
        "VirtualService",
    ] {
        assert!(checked.contains_key(kind), "no {kind} checked: {checked:?}");
    }
}

/// The CRD check is strict and typed: an unknown field, a wrong type and a missing required
/// field in a cert-manager Certificate all fail against the real chart's CRD.
#[test]
fn the_crd_check_rejects_unknown_fields_wrong_types_and_missing_required_fields() {
    let p = load("mono", Hypervisor::Virtualbox);
    let Some(set) = objects::all(&p) else { return };
    let cert = set
        .iter()
        .find(|o| o.kind() == "Certificate" && o.source == "stage:cert-manager")
        .expect("the cert-manager stage's probe Certificate")
        .clone();
    assert_eq!(cr_errors(&set, &cert), Vec::<String>::new());
    let broken = |f: &dyn Fn(&mut serde_yaml_ng::Value)| {
        let mut o = cert.clone();
        f(&mut o.doc);
        cr_errors(&set, &o)
    };
    assert!(!broken(&|d| d["spec"]["dnsNames2"] = "x".into()).is_empty());
    assert!(!broken(&|d| d["spec"]["dnsNames"] = "not-a-list".into()).is_empty());
    assert!(
        !broken(&|d| {
            d["spec"].as_mapping_mut().unwrap().remove("secretName");
        })
        .is_empty()
    );
}

/// RKE2's matrix: the built-in objects of both profiles (real charts rendered for 1.36, the
/// Kubeflow 26.03 build, the scripts' objects) pass kubernetes-validate's strict 1.36 schemas,
/// and the custom resources their CRDs.
#[test]
fn rke2_objects_pass_the_strict_schemas_of_kubernetes_1_36() {
    let Some(py) = kv_python() else { return };
    let mut seen = BTreeMap::new();
    for name in ["mono", "distributed"] {
        let p = crate::manifest_validation::load_rke2(name, Hypervisor::Virtualbox);
        let Some(all) = objects::all(&p) else { return };
        for o in all {
            seen.entry(serde_json::to_string(&o.doc).unwrap())
                .or_insert(o);
        }
    }
    let (builtin, custom): (Vec<Object>, Vec<Object>) = seen
        .into_values()
        .partition(|o| manifest::is_builtin(o.api_version()));
    let docs: Vec<Json> = builtin.iter().map(to_json).collect();
    let verdicts = kubernetes_validate(&py, &docs, "1.36.3");
    let bad: Vec<String> = builtin
        .iter()
        .zip(&verdicts)
        .filter_map(|(o, v)| v.as_ref().map(|e| format!("{}: {e}", o.id())))
        .collect();
    assert_eq!(bad, Vec::<String>::new());
    assert!(builtin.len() > 500, "{} built-in objects", builtin.len());
    let all: Vec<Object> = builtin.iter().chain(&custom).cloned().collect();
    let cr_bad: Vec<String> = custom
        .iter()
        .flat_map(|o| {
            cr_errors(&all, o)
                .into_iter()
                .map(|e| format!("{}: {e}", o.id()))
        })
        .collect();
    assert_eq!(cr_bad, Vec::<String>::new());
}
