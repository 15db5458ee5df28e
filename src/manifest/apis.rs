//! Kubernetes APIs and the minor release that removed them, so a manifest using one fails
//! here and not on the cluster ("no matches for kind ... in version ...").
//!
//! Source: the generated `APILifecycleRemoved()` of every type in kubernetes/kubernetes
//! v1.32.5 `staging/src/k8s.io/api/<group>/<version>/zz_generated.prerelease-lifecycle.go`
//! (published as kubernetes/api v0.32.5, commit 84dd91d690964e3ce186aa087ddce0c9d4ec92d9),
//! one row per type (List types left out), plus the two types that live in other staging
//! repositories: apiextensions.k8s.io/v1beta1 CustomResourceDefinition and
//! apiregistration.k8s.io/v1beta1 APIService, both removed in 1.22 (Kubernetes deprecation
//! guide, "v1.22"). Alpha and beta versions listed with a later minor are still served in
//! 1.32 only if enabled; the schema check (kubernetes-validate) catches those.

/// `(apiVersion, kind, minor release of Kubernetes 1.x that removed it)`.
pub const REMOVED: &[(&str, &str, u32)] = &[
    ("admission.k8s.io/v1beta1", "AdmissionReview", 22),
    (
        "admissionregistration.k8s.io/v1alpha1",
        "MutatingAdmissionPolicy",
        38,
    ),
    (
        "admissionregistration.k8s.io/v1alpha1",
        "MutatingAdmissionPolicyBinding",
        38,
    ),
    (
        "admissionregistration.k8s.io/v1alpha1",
        "ValidatingAdmissionPolicy",
        32,
    ),
    (
        "admissionregistration.k8s.io/v1alpha1",
        "ValidatingAdmissionPolicyBinding",
        32,
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        22,
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingAdmissionPolicy",
        34,
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingAdmissionPolicyBinding",
        34,
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        22,
    ),
    ("apidiscovery.k8s.io/v2beta1", "APIGroupDiscovery", 35),
    ("apps/v1beta1", "ControllerRevision", 16),
    ("apps/v1beta1", "Deployment", 16),
    ("apps/v1beta1", "DeploymentRollback", 16),
    ("apps/v1beta1", "Scale", 16),
    ("apps/v1beta1", "StatefulSet", 16),
    ("apps/v1beta2", "ControllerRevision", 16),
    ("apps/v1beta2", "DaemonSet", 16),
    ("apps/v1beta2", "Deployment", 16),
    ("apps/v1beta2", "ReplicaSet", 16),
    ("apps/v1beta2", "Scale", 16),
    ("apps/v1beta2", "StatefulSet", 16),
    ("authentication.k8s.io/v1alpha1", "SelfSubjectReview", 32),
    ("authentication.k8s.io/v1beta1", "SelfSubjectReview", 33),
    ("authentication.k8s.io/v1beta1", "TokenReview", 22),
    (
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview",
        22,
    ),
    (
        "authorization.k8s.io/v1beta1",
        "SelfSubjectAccessReview",
        22,
    ),
    ("authorization.k8s.io/v1beta1", "SelfSubjectRulesReview", 22),
    ("authorization.k8s.io/v1beta1", "SubjectAccessReview", 22),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler", 25),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", 26),
    ("batch/v1beta1", "CronJob", 25),
    ("certificates.k8s.io/v1alpha1", "ClusterTrustBundle", 37),
    (
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        22,
    ),
    ("coordination.k8s.io/v1alpha2", "LeaseCandidate", 38),
    ("coordination.k8s.io/v1beta1", "Lease", 22),
    ("discovery.k8s.io/v1beta1", "EndpointSlice", 25),
    ("events.k8s.io/v1beta1", "Event", 25),
    ("extensions/v1beta1", "DaemonSet", 16),
    ("extensions/v1beta1", "Deployment", 16),
    ("extensions/v1beta1", "DeploymentRollback", 16),
    ("extensions/v1beta1", "Ingress", 22),
    ("extensions/v1beta1", "NetworkPolicy", 16),
    ("extensions/v1beta1", "ReplicaSet", 16),
    ("extensions/v1beta1", "Scale", 16),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 26),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        26,
    ),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", 29),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        29,
    ),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 32),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        32,
    ),
    ("networking.k8s.io/v1alpha1", "IPAddress", 33),
    ("networking.k8s.io/v1alpha1", "ServiceCIDR", 33),
    ("networking.k8s.io/v1beta1", "IPAddress", 37),
    ("networking.k8s.io/v1beta1", "Ingress", 22),
    ("networking.k8s.io/v1beta1", "IngressClass", 22),
    ("networking.k8s.io/v1beta1", "ServiceCIDR", 37),
    ("node.k8s.io/v1beta1", "RuntimeClass", 25),
    ("policy/v1beta1", "Eviction", 25),
    ("policy/v1beta1", "PodDisruptionBudget", 25),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole", 22),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        22,
    ),
    ("rbac.authorization.k8s.io/v1beta1", "Role", 22),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding", 22),
    ("resource.k8s.io/v1alpha3", "DeviceClass", 37),
    ("resource.k8s.io/v1alpha3", "ResourceClaim", 37),
    ("resource.k8s.io/v1alpha3", "ResourceClaimTemplate", 37),
    ("resource.k8s.io/v1alpha3", "ResourceSlice", 37),
    ("resource.k8s.io/v1beta1", "DeviceClass", 38),
    ("resource.k8s.io/v1beta1", "ResourceClaim", 38),
    ("resource.k8s.io/v1beta1", "ResourceClaimTemplate", 38),
    ("resource.k8s.io/v1beta1", "ResourceSlice", 38),
    ("scheduling.k8s.io/v1beta1", "PriorityClass", 22),
    ("storage.k8s.io/v1alpha1", "CSIStorageCapacity", 24),
    ("storage.k8s.io/v1alpha1", "VolumeAttachment", 24),
    ("storage.k8s.io/v1alpha1", "VolumeAttributesClass", 35),
    ("storage.k8s.io/v1beta1", "CSIDriver", 22),
    ("storage.k8s.io/v1beta1", "CSINode", 22),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity", 27),
    ("storage.k8s.io/v1beta1", "StorageClass", 22),
    ("storage.k8s.io/v1beta1", "VolumeAttachment", 22),
    ("storage.k8s.io/v1beta1", "VolumeAttributesClass", 37),
    (
        "storagemigration.k8s.io/v1alpha1",
        "StorageVersionMigration",
        36,
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        22,
    ),
    ("apiregistration.k8s.io/v1beta1", "APIService", 22),
];

/// The minor release that removed `kind` in `api_version`, if that is at or before `minor`.
pub fn removed_by(api_version: &str, kind: &str, minor: u32) -> Option<u32> {
    REMOVED
        .iter()
        .find(|(v, k, m)| *v == api_version && *k == kind && *m <= minor)
        .map(|(_, _, m)| *m)
}

/// `(major, minor)` of a Kubernetes version such as `v1.32.5-rancher1-1` or `1.32`.
pub fn minor_of(version: &str) -> Option<u32> {
    let v = version.strip_prefix('v').unwrap_or(version);
    let mut it = v.split(['.', '-']);
    (it.next()? == "1").then_some(())?;
    it.next()?.parse().ok()
}

/// `1.32.5` from `v1.32.5-rancher1-1` (RKE) or `v1.36.3+rke2r1` (RKE2): what
/// `helm template --kube-version` takes.
pub fn semver_of(version: &str) -> Option<String> {
    let v = version.strip_prefix('v').unwrap_or(version);
    let core = v.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    (parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok())).then(|| core.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_apis_by_version() {
        assert_eq!(
            removed_by("policy/v1beta1", "PodDisruptionBudget", 32),
            Some(25)
        );
        assert_eq!(
            removed_by("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 32),
            Some(32)
        );
        assert_eq!(
            removed_by("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 31),
            None
        );
        assert_eq!(removed_by("policy/v1", "PodDisruptionBudget", 32), None);
        assert_eq!(minor_of("v1.32.5-rancher1-1"), Some(32));
        assert_eq!(semver_of("v1.32.5-rancher1-1").as_deref(), Some("1.32.5"));
        assert_eq!(semver_of("v1.36.3+rke2r1").as_deref(), Some("1.36.3"));
        assert_eq!(semver_of("1.32"), None);
    }
}
