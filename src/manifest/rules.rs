//! The rules the API server (or the cluster right after it) enforces on objects that
//! `helm lint` and kustomize do not check, applied to the whole set of objects mlk applies.
//!
//! Each rule names where Kubernetes enforces it, at the version mlk targets (kubernetes/
//! kubernetes v1.32.5; `validation.go` below is `pkg/apis/core/validation/validation.go`).
//! docs/contracts.md ("Manifest validation") has the same list with the reasoning.
use super::{Object, apis, containers, names, pod_specs, template_metadata};

#[path = "issuers.rs"]
mod issuers;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

/// What the cluster has before mlk applies anything, and in which order the stages apply.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Kubernetes minor version (32 for 1.32).
    pub minor: u32,
    /// Namespaces Kubernetes and RKE create themselves.
    pub namespaces: Vec<String>,
    /// Stage ids in the order they run; every object's stage must be one of them.
    pub stages: Vec<String>,
}

/// One rule broken by one object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub rule: Rule,
    pub object: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}: {}", self.rule.id(), self.object, self.message)
    }
}

/// The rules, each with the place in Kubernetes v1.32.5 that enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// validation.go `ValidateService`: `spec.ports: Required value` unless
    /// `clusterIP: None` or `type: ExternalName`; `validateServicePort`: with more than one
    /// port every port needs a name, names are DNS-1123 labels and unique.
    ServicePorts,
    /// pkg/apis/apps/validation/validation.go `ValidateDeploymentSpec`,
    /// `ValidateStatefulSetSpec`, `ValidateDaemonSetSpec`, `ValidateReplicaSetSpec`:
    /// "`selector` does not match template `labels`"; pkg/apis/batch/validation/validation.go
    /// `validateJobSpec` does the same for a Job with `manualSelector: true`.
    SelectorMatchesTemplate,
    /// `ValidateObjectMeta` with each kind's name function: Namespace `ValidateNamespaceName`
    /// (DNS-1123 label), Service `ValidateServiceName` (DNS-1035 label), RBAC kinds
    /// pkg/apis/rbac/validation `ValidateRBACName` (path segment), CustomResourceDefinition
    /// `<plural>.<group>` (apiextensions-apiserver `ValidateCustomResourceDefinition`), every
    /// other kind a DNS-1123 subdomain; label values `IsValidLabelValue`.
    Names,
    /// validation.go `validateContainerPorts`: a port name is an IANA_SVC_NAME
    /// (`IsValidPortName`, at most 15 characters) and unique within its container.
    ContainerPorts,
    /// Not an API rule: the API server accepts an Ingress whose backend does not exist
    /// (pkg/apis/networking/validation `validateIngressBackend` checks only the shape), and
    /// ingress-nginx then answers 503. The Service and its port must be in the set.
    IngressBackend,
    /// k8s.io/apiserver pkg/admission/plugin/namespace/lifecycle/admission.go (the
    /// NamespaceLifecycle admission plugin, enabled by RKE): an object in a namespace that
    /// does not exist is refused with `namespaces "x" not found`.
    NamespaceExists,
    /// plugin/pkg/admission/storage/storageclass/setdefault/admission.go (DefaultStorageClass
    /// admission, enabled by RKE) gives a class-less PVC the default class only if one exists
    /// when it is created; a PVC whose class does not exist stays Pending forever.
    StorageClassExists,
    /// pkg/apis/core/v1/defaults.go `SetDefaults_Container`: an image without a tag is
    /// `:latest`, which is pulled on every start (`imagePullPolicy: Always`) and changes
    /// under a pinned lab. Every image needs a fixed tag or a digest.
    ImageTag,
    /// An apiVersion/kind removed in the target version (apis.rs: the generated
    /// `APILifecycleRemoved` of k8s.io/api) is not served: "no matches for kind".
    RemovedApi,
    /// A custom resource needs its CustomResourceDefinition (group, kind, served version)
    /// installed by the set, at an earlier stage or in the same `kubectl apply`; otherwise
    /// the API server has no such resource ("no matches for kind").
    CustomResourceDefinition,
    /// validation.go, resource requirements: a request "must be less than or equal to
    /// <resource> limit".
    RequestsWithinLimits,
    /// Not an API rule: cert-manager leaves a request for an issuer that does not exist
    /// Pending (`IssuerNotFound`), and a CA issuer without its Secret not Ready (issuers.rs).
    IssuerExists,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::ServicePorts => "service-ports",
            Rule::SelectorMatchesTemplate => "selector-matches-template",
            Rule::Names => "names",
            Rule::ContainerPorts => "container-ports",
            Rule::IngressBackend => "ingress-backend",
            Rule::NamespaceExists => "namespace-exists",
            Rule::StorageClassExists => "storage-class-exists",
            Rule::ImageTag => "image-tag",
            Rule::RemovedApi => "removed-api",
            Rule::CustomResourceDefinition => "custom-resource-definition",
            Rule::RequestsWithinLimits => "requests-within-limits",
            Rule::IssuerExists => "issuer-exists",
        }
    }
}

struct Checker<'a> {
    cluster: &'a Cluster,
    objects: &'a [Object],
    out: Vec<Finding>,
}

impl<'a> Checker<'a> {
    fn add(&mut self, rule: Rule, o: &Object, message: impl Into<String>) {
        self.out.push(Finding {
            rule,
            object: o.id(),
            message: message.into(),
        });
    }

    /// Index of a stage in run order (unknown stages sort last and are reported).
    fn stage(&self, s: &str) -> usize {
        self.cluster
            .stages
            .iter()
            .position(|x| x == s)
            .unwrap_or(usize::MAX)
    }

    /// Objects applied no later than `o` (same stage included: one stage's apply creates
    /// namespaces and CRDs first, and mlk's apply loops retry the rest).
    fn by_then(&self, o: &Object) -> Vec<&'a Object> {
        let at = self.stage(&o.stage);
        let objects: &'a [Object] = self.objects;
        objects
            .iter()
            .filter(|x| self.stage(&x.stage) <= at)
            .collect()
    }
}

/// Every finding for the set, sorted.
pub fn check(objects: &[Object], cluster: &Cluster) -> Vec<Finding> {
    let mut c = Checker {
        cluster,
        objects,
        out: Vec::new(),
    };
    for o in objects {
        if c.stage(&o.stage) == usize::MAX {
            c.add(
                Rule::NamespaceExists,
                o,
                format!("stage `{}` is not one of {:?}", o.stage, cluster.stages),
            );
        }
        service_ports(&mut c, o);
        selector(&mut c, o);
        names_rule(&mut c, o);
        pods(&mut c, o);
        ingress(&mut c, o);
        namespace(&mut c, o);
        storage_class(&mut c, o);
        removed(&mut c, o);
        custom_resource(&mut c, o);
        issuers::check(&mut c, o);
    }
    c.out.sort();
    c.out.dedup();
    c.out
}

fn service_ports(c: &mut Checker, o: &Object) {
    if o.kind() != "Service" || o.group() != "" {
        return;
    }
    let spec = &o.doc["spec"];
    let ports = spec["ports"]
        .as_sequence()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let headless = spec["clusterIP"].as_str() == Some("None");
    let external = spec["type"].as_str() == Some("ExternalName");
    if ports.is_empty() && !headless && !external {
        c.add(
            Rule::ServicePorts,
            o,
            "spec.ports: Required value (a Service needs ports unless it is headless or ExternalName)",
        );
    }
    let mut seen = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        match p["name"].as_str().filter(|n| !n.is_empty()) {
            None if ports.len() > 1 => c.add(
                Rule::ServicePorts,
                o,
                format!("spec.ports[{i}].name: Required value (more than one port)"),
            ),
            None => {}
            Some(n) => {
                for m in names::dns1123_label(n) {
                    c.add(
                        Rule::ServicePorts,
                        o,
                        format!("spec.ports[{i}].name `{n}`: {m}"),
                    );
                }
                if seen.contains(&n) {
                    c.add(
                        Rule::ServicePorts,
                        o,
                        format!("spec.ports[{i}].name `{n}`: Duplicate value"),
                    );
                }
                seen.push(n);
            }
        }
    }
}

/// Whether a LabelSelector (`matchLabels`, `matchExpressions`) selects `labels`.
pub fn selects(selector: &Value, labels: &Value) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let labels_ok = selector["matchLabels"]
        .as_mapping()
        .into_iter()
        .flatten()
        .all(|(k, v)| k.as_str().is_some_and(|k| label(k) == v.as_str()));
    let exprs_ok = selector["matchExpressions"]
        .as_sequence()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or("");
            let values: Vec<&str> = e["values"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e["operator"].as_str() {
                Some("In") => label(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => label(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => label(key).is_some(),
                Some("DoesNotExist") => label(key).is_none(),
                _ => false,
            }
        });
    labels_ok && exprs_ok
}

fn selector(c: &mut Checker, o: &Object) {
    let spec = &o.doc["spec"];
    let applies = match (o.group(), o.kind()) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") => true,
        ("batch", "Job") => spec["manualSelector"].as_bool() == Some(true),
        _ => false,
    };
    if !applies {
        return;
    }
    let sel = &spec["selector"];
    if sel.is_null() {
        c.add(
            Rule::SelectorMatchesTemplate,
            o,
            "spec.selector: Required value",
        );
        return;
    }
    let labels = &spec["template"]["metadata"]["labels"];
    if !selects(sel, labels) {
        c.add(
            Rule::SelectorMatchesTemplate,
            o,
            format!(
                "spec.template.metadata.labels: `selector` does not match template `labels` (selector {}, labels {})",
                compact(sel),
                compact(labels)
            ),
        );
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

const RBAC_KINDS: &[&str] = &["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"];

fn names_rule(c: &mut Checker, o: &Object) {
    let name = o.name();
    if name.is_empty() && o.doc["metadata"]["generateName"].is_null() {
        c.add(Rule::Names, o, "metadata.name: Required value");
    }
    if !name.is_empty() {
        let errs = match (o.group(), o.kind()) {
            ("", "Namespace") => names::dns1123_label(name),
            ("", "Service") => names::dns1035_label(name),
            ("rbac.authorization.k8s.io", k) if RBAC_KINDS.contains(&k) => {
                names::path_segment(name)
            }
            ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                let s = &o.doc["spec"];
                let want = format!(
                    "{}.{}",
                    s["names"]["plural"].as_str().unwrap_or(""),
                    s["group"].as_str().unwrap_or("")
                );
                if name == want {
                    vec![]
                } else {
                    vec![format!(
                        "must be spec.names.plural+\".\"+spec.group (`{want}`)"
                    )]
                }
            }
            _ => names::dns1123_subdomain(name),
        };
        for e in errs {
            c.add(Rule::Names, o, format!("metadata.name `{name}`: {e}"));
        }
    }
    let mut label_maps = vec![("metadata.labels", &o.doc["metadata"]["labels"])];
    if let Some(t) = template_metadata(&o.doc) {
        label_maps.push(("spec.template.metadata.labels", &t["labels"]));
    }
    for (path, m) in label_maps {
        for (k, v) in m.as_mapping().into_iter().flatten() {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => {
                    c.add(
                        Rule::Names,
                        o,
                        format!(
                            "{path}.{}: must be a string, not {}",
                            k.as_str().unwrap_or("?"),
                            compact(other)
                        ),
                    );
                    continue;
                }
            };
            for e in names::label_value(&v) {
                c.add(
                    Rule::Names,
                    o,
                    format!("{path}.{}: `{v}`: {e}", k.as_str().unwrap_or("?")),
                );
            }
        }
    }
}

/// Container ports, images and requests in every pod template of the object.
fn pods(c: &mut Checker, o: &Object) {
    for (spec, _) in pod_specs(&o.doc) {
        for (list, ctr) in containers(spec) {
            let cname = ctr["name"].as_str().unwrap_or("?");
            let mut seen = Vec::new();
            for p in ctr["ports"].as_sequence().into_iter().flatten() {
                let Some(n) = p["name"].as_str() else {
                    continue;
                };
                for e in names::port_name(n) {
                    c.add(
                        Rule::ContainerPorts,
                        o,
                        format!("{list} `{cname}` port name `{n}`: {e}"),
                    );
                }
                if seen.contains(&n) {
                    c.add(
                        Rule::ContainerPorts,
                        o,
                        format!("{list} `{cname}` port name `{n}`: Duplicate value"),
                    );
                }
                seen.push(n);
            }
            if let Some(image) = ctr["image"].as_str()
                && let Some(why) = image_problem(image)
            {
                c.add(
                    Rule::ImageTag,
                    o,
                    format!("{list} `{cname}` image `{image}`: {why}"),
                );
            }
            let res = &ctr["resources"];
            for (k, req) in res["requests"].as_mapping().into_iter().flatten() {
                let k = k.as_str().unwrap_or("");
                let (Some(r), Some(l)) = (
                    super::quantity::of(req),
                    super::quantity::of(&res["limits"][k]),
                ) else {
                    continue;
                };
                if r > l {
                    c.add(
                        Rule::RequestsWithinLimits,
                        o,
                        format!("{list} `{cname}` resources.requests.{k}: must be less than or equal to {k} limit of {}", compact(&res["limits"][k])),
                    );
                }
            }
        }
    }
}

/// Why an image reference is not pinned, if it is not: no tag (so `latest`) or `latest`.
pub fn image_problem(image: &str) -> Option<&'static str> {
    if image.contains('@') {
        return None; // a digest pins it
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("no tag, so `latest`"),
        Some((_, "latest")) => Some("uses `:latest`"),
        Some((_, "")) => Some("empty tag"),
        Some(_) => None,
    }
}

fn ingress(c: &mut Checker, o: &Object) {
    if o.kind() != "Ingress" || o.group() != "networking.k8s.io" {
        return;
    }
    let ns = o.namespace().unwrap_or("default");
    let spec = &o.doc["spec"];
    let mut backends: Vec<&Value> = Vec::new();
    if !spec["defaultBackend"].is_null() {
        backends.push(&spec["defaultBackend"]);
    }
    for r in spec["rules"].as_sequence().into_iter().flatten() {
        for p in r["http"]["paths"].as_sequence().into_iter().flatten() {
            backends.push(&p["backend"]);
        }
    }
    for b in backends {
        let svc = &b["service"];
        let Some(name) = svc["name"].as_str() else {
            continue; // a resource backend: not a Service
        };
        let found = c.objects.iter().find(|x| {
            x.kind() == "Service"
                && x.group() == ""
                && x.name() == name
                && x.namespace().unwrap_or("default") == ns
        });
        let Some(found) = found else {
            c.add(
                Rule::IngressBackend,
                o,
                format!("backend Service {ns}/{name} is not in the set"),
            );
            continue;
        };
        let ports = found.doc["spec"]["ports"]
            .as_sequence()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let want = &svc["port"];
        let ok = if let Some(n) = want["number"].as_u64() {
            ports.iter().any(|p| p["port"].as_u64() == Some(n))
        } else if let Some(n) = want["name"].as_str() {
            ports.iter().any(|p| p["name"].as_str() == Some(n))
        } else {
            false
        };
        if !ok {
            c.add(
                Rule::IngressBackend,
                o,
                format!(
                    "backend port {} is not a port of Service {ns}/{name} ({})",
                    compact(want),
                    compact(&found.doc["spec"]["ports"])
                ),
            );
        }
    }
}

/// Whether objects of this kind live in a namespace (built-in table, or the CRD's scope).
fn namespaced(c: &Checker, o: &Object) -> bool {
    if super::is_builtin(o.api_version()) {
        return !super::CLUSTER_SCOPED_BUILTINS.contains(&o.kind());
    }
    crd_for(c.objects, o).is_none_or(|crd| crd.doc["spec"]["scope"].as_str() != Some("Cluster"))
}

fn namespace(c: &mut Checker, o: &Object) {
    if !namespaced(c, o) {
        return;
    }
    let ns = o.namespace().unwrap_or("default");
    if c.cluster.namespaces.iter().any(|n| n == ns) {
        return;
    }
    let created = c
        .by_then(o)
        .into_iter()
        .any(|x| x.kind() == "Namespace" && x.group() == "" && x.name() == ns);
    if !created {
        c.add(
            Rule::NamespaceExists,
            o,
            format!(
                "namespace `{ns}` is created by no object at or before stage `{}`",
                o.stage
            ),
        );
    }
}

fn storage_class(c: &mut Checker, o: &Object) {
    let claims: Vec<&Value> = match (o.group(), o.kind()) {
        ("", "PersistentVolumeClaim") => vec![&o.doc["spec"]],
        ("apps", "StatefulSet") => o.doc["spec"]["volumeClaimTemplates"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|t| &t["spec"])
            .collect(),
        _ => return,
    };
    for spec in claims {
        let classes = c
            .by_then(o)
            .into_iter()
            .filter(|x| x.kind() == "StorageClass" && x.group() == "storage.k8s.io");
        match spec["storageClassName"].as_str() {
            Some("") => c.add(Rule::StorageClassExists, o, "storageClassName \"\" binds only to a pre-made PersistentVolume, and the set makes none"),
            Some(name) => {
                if !classes.into_iter().any(|x| x.name() == name) {
                    c.add(Rule::StorageClassExists, o, format!("StorageClass `{name}` is created by no object at or before stage `{}`", o.stage));
                }
            }
            None => {
                let default = classes.into_iter().any(|x| {
                    x.doc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"].as_str() == Some("true")
                });
                if !default {
                    c.add(Rule::StorageClassExists, o, format!("no storageClassName and no default StorageClass at or before stage `{}`", o.stage));
                }
            }
        }
    }
}

fn removed(c: &mut Checker, o: &Object) {
    if let Some(m) = apis::removed_by(o.api_version(), o.kind(), c.cluster.minor) {
        c.add(
            Rule::RemovedApi,
            o,
            format!(
                "{} {} was removed in Kubernetes 1.{m}; the target is 1.{}",
                o.api_version(),
                o.kind(),
                c.cluster.minor
            ),
        );
    }
}

/// The CRD in the set that serves `o`'s group and kind.
fn crd_for<'a>(objects: &'a [Object], o: &Object) -> Option<&'a Object> {
    objects.iter().find(|x| {
        x.kind() == "CustomResourceDefinition"
            && x.doc["spec"]["group"].as_str() == Some(o.group())
            && x.doc["spec"]["names"]["kind"].as_str() == Some(o.kind())
    })
}

fn custom_resource(c: &mut Checker, o: &Object) {
    if super::is_builtin(o.api_version()) {
        return;
    }
    let version = o.api_version().rsplit('/').next().unwrap_or("");
    let crd = c.by_then(o).into_iter().find(|x| {
        x.kind() == "CustomResourceDefinition"
            && x.doc["spec"]["group"].as_str() == Some(o.group())
            && x.doc["spec"]["names"]["kind"].as_str() == Some(o.kind())
    });
    let Some(crd) = crd else {
        c.add(
            Rule::CustomResourceDefinition,
            o,
            format!(
                "no CustomResourceDefinition for {} {} is installed at or before stage `{}`",
                o.api_version(),
                o.kind(),
                o.stage
            ),
        );
        return;
    };
    let served = crd.doc["spec"]["versions"]
        .as_sequence()
        .into_iter()
        .flatten()
        .any(|v| v["name"].as_str() == Some(version) && v["served"].as_bool() == Some(true));
    if !served {
        c.add(
            Rule::CustomResourceDefinition,
            o,
            format!("CRD {} does not serve version {version}", crd.name()),
        );
    }
    if crd.source == o.source && crd.source.starts_with("helm:") {
        c.add(
            Rule::CustomResourceDefinition,
            o,
            "the CRD comes in the same Helm release: helm maps every object before it creates any, so the install fails",
        );
    }
}

/// Kinds of object the set creates, per stage, for reports: `{stage: {kind: count}}`.
pub fn census(objects: &[Object]) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut m: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for o in objects {
        *m.entry(o.stage.clone())
            .or_default()
            .entry(o.kind().to_string())
            .or_default() += 1;
    }
    m
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
