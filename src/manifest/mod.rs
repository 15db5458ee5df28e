//! Every Kubernetes object mlk applies, as plain YAML values with the stage that applies them,
//! and what can be learnt from them before a cluster exists: the API server's rules that no
//! chart lint checks (`rules`), and the resource requests the scheduler will place (`requests`).
//!
//! A library module, not test support: `requests` feeds the profile's memory check at
//! `mlk up` time, and the rules can check a user's `--workload` file the same way.
pub mod apis;
pub mod names;
pub mod quantity;
pub mod requests;
pub mod rules;

use serde_yaml_ng::Value;

/// One object mlk would apply, with where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The stage that applies it (`storage`, `tick`, `kubeflow`, ... or `workload`).
    pub stage: String,
    /// What produced it: `helm:<release>`, `kubeflow`, `stage:<id>`, `workload`.
    pub source: String,
    pub doc: Value,
}

impl Object {
    pub fn new(stage: &str, source: &str, doc: Value) -> Object {
        Object {
            stage: stage.to_string(),
            source: source.to_string(),
            doc,
        }
    }
    pub fn kind(&self) -> &str {
        self.doc["kind"].as_str().unwrap_or("")
    }
    pub fn api_version(&self) -> &str {
        self.doc["apiVersion"].as_str().unwrap_or("")
    }
    /// API group, "" for the core group.
    pub fn group(&self) -> &str {
        group_of(self.api_version())
    }
    pub fn name(&self) -> &str {
        self.doc["metadata"]["name"].as_str().unwrap_or("")
    }
    pub fn namespace(&self) -> Option<&str> {
        self.doc["metadata"]["namespace"].as_str()
    }
    /// `Kind ns/name (source)`, for messages.
    pub fn id(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {ns}/{} ({})", self.kind(), self.name(), self.source),
            None => format!("{} {} ({})", self.kind(), self.name(), self.source),
        }
    }
}

/// The group part of an apiVersion (`apps/v1` → `apps`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Every document of a multi-document YAML text that is a mapping with a `kind` (helm and
/// kustomize print empty documents and comments between objects), read as Kubernetes reads
/// it: kubectl and helm parse YAML 1.1 (sigs.k8s.io/yaml over go-yaml v2), where a plain
/// `defaultMode: 0777` is the octal number 511; YAML 1.2 (serde_yaml_ng) would make it a
/// string. Such plain block-mapping values are converted first.
pub fn parse_all(text: &str) -> Result<Vec<Value>, serde_yaml_ng::Error> {
    use serde::Deserialize;
    static OCTAL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?m)^(\s*(?:- )?[A-Za-z0-9_.-]+: )0([0-7]+)[ \t]*$").unwrap()
    });
    let text = OCTAL.replace_all(text, |c: &regex::Captures| {
        let n = u64::from_str_radix(&c[2], 8).unwrap_or(0);
        format!("{}{n}", &c[1])
    });
    let mut out = Vec::new();
    for d in serde_yaml_ng::Deserializer::from_str(&text) {
        let v = Value::deserialize(d)?;
        if v.get("kind").is_some() {
            out.push(v);
        }
    }
    Ok(out)
}

/// Built-in API groups of Kubernetes 1.32 (the `group` of every built-in apiVersion). Any
/// other group is served by a CustomResourceDefinition (or an aggregated API) and needs one.
pub const BUILTIN_GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
];

/// Cluster-scoped built-in kinds; every other built-in kind lives in a namespace.
pub const CLUSTER_SCOPED_BUILTINS: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterTrustBundle",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "DeviceClass",
    "FlowSchema",
    "IngressClass",
    "IPAddress",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "ServiceCIDR",
    "StorageClass",
    "StorageVersionMigration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeAttributesClass",
];

pub fn is_builtin(api_version: &str) -> bool {
    BUILTIN_GROUPS.contains(&group_of(api_version))
}

/// Where an object's pods are described: `(path to the pod template's spec, pods it runs)`.
/// Built-in workloads by kind; any other object (a custom resource such as a TFJob) by its
/// `template.spec.containers` blocks, each counted `replicas` times.
pub fn pod_specs(doc: &Value) -> Vec<(&Value, u64)> {
    let kind = doc["kind"].as_str().unwrap_or("");
    let count = |v: &Value, key: &str| v[key].as_u64().unwrap_or(1);
    match kind {
        "Pod" => vec![(&doc["spec"], 1)],
        "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController" => {
            vec![(
                &doc["spec"]["template"]["spec"],
                count(&doc["spec"], "replicas"),
            )]
        }
        "DaemonSet" => vec![(&doc["spec"]["template"]["spec"], 1)],
        "Job" => vec![(
            &doc["spec"]["template"]["spec"],
            count(&doc["spec"], "parallelism"),
        )],
        "CronJob" => vec![(
            &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            count(&doc["spec"]["jobTemplate"]["spec"], "parallelism"),
        )],
        _ if is_builtin(doc["apiVersion"].as_str().unwrap_or("")) => vec![],
        _ => {
            let mut out = Vec::new();
            find_templates(doc, &mut out);
            out
        }
    }
}

fn find_templates<'a>(v: &'a Value, out: &mut Vec<(&'a Value, u64)>) {
    if let Value::Mapping(m) = v {
        if let Some(spec) = m.get("template").and_then(|t| t.get("spec"))
            && spec.get("containers").is_some_and(Value::is_sequence)
        {
            out.push((spec, v["replicas"].as_u64().unwrap_or(1)));
            return;
        }
        for (_, child) in m {
            find_templates(child, out);
        }
    } else if let Value::Sequence(s) = v {
        for child in s {
            find_templates(child, out);
        }
    }
}

/// The pod template's metadata of a built-in workload (labels, annotations).
pub fn template_metadata(doc: &Value) -> Option<&Value> {
    match doc["kind"].as_str()? {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
            Some(&doc["spec"]["template"]["metadata"])
        }
        "CronJob" => Some(&doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"]),
        "Pod" => Some(&doc["metadata"]),
        _ => None,
    }
}

/// All containers of a pod spec: init containers first, then the app containers.
pub fn containers(spec: &Value) -> impl Iterator<Item = (&'static str, &Value)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |k| {
            spec[k]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(move |c| (k, c))
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_leading_zero_numbers_are_octal_as_kubernetes_reads_them() {
        let docs = super::parse_all(
            "kind: A\nspec:\n  defaultMode: 0777\n  quoted: '0777'\n  items:\n  - mode: 0644\n",
        )
        .unwrap();
        assert_eq!(docs[0]["spec"]["defaultMode"].as_u64(), Some(511));
        assert_eq!(docs[0]["spec"]["quoted"].as_str(), Some("0777"));
        assert_eq!(docs[0]["spec"]["items"][0]["mode"].as_u64(), Some(420));
    }
}
