//! Every object mlk would apply (tests/upstream/objects.rs: the real charts with mlk's
//! values, the stage scripts' own manifests, the real Kubeflow build, the sample workload)
//! goes through the API server's rules that no chart lint checks (`mlk::manifest::rules`).
use crate::upstream::{charts, objects};
use mlk::manifest::rules::{self, Rule};
use mlk::profile::Hypervisor;

pub fn load(name: &str, provider: Hypervisor) -> mlk::profile::Profile {
    let src = mlk::profile::Source::resolve(name).unwrap();
    mlk::profile::load(
        &src,
        &mlk::profile::Overrides {
            provider: Some(provider),
            distribution: None,
        },
        &mlk::profile::validate::host_rules_from_env(),
    )
    .unwrap()
}

#[test]
fn every_object_mlk_applies_passes_the_api_server_rules() {
    for name in ["mono", "distributed"] {
        for provider in Hypervisor::ALL {
            let p = load(name, provider);
            let Some(set) = objects::all(&p) else { return };
            let census = rules::census(&set);
            // The set really holds every source: releases, scripts, Kubeflow, workload.
            for stage in [
                "storage",
                "cert-manager",
                "rancher",
                "tick",
                "kubeflow",
                "workload",
            ] {
                assert!(
                    census.contains_key(stage),
                    "{name}: nothing from stage {stage}"
                );
            }
            assert!(
                census["kubeflow"].values().sum::<usize>() > 600,
                "{census:?}"
            );
            let found = rules::check(&set, &objects::cluster(&p));
            let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
            assert_eq!(
                shown,
                Vec::<String>::new(),
                "{name} on {}",
                provider.as_str()
            );
        }
    }
}

/// The validator finds the real problem of defect 2 in the real chart's output: with the
/// telegraf values mlk had before (a Service enabled, no listener input), the Service has
/// no ports.
#[test]
fn the_rules_catch_defect_2_in_the_real_chart_output() {
    let p = load("mono", Hypervisor::Virtualbox);
    let mut files = mlk::render::render_all(&p).unwrap();
    let v = files.get_mut("values/telegraf.yaml").unwrap();
    let before = v.clone();
    *v = v.replace("service:\n  enabled: false\n", "");
    assert_ne!(
        *v, before,
        "the telegraf values changed shape; update this test"
    );
    let Some(rels) = charts::render(&p, &files) else {
        return;
    };
    let set = charts::objects(&rels);
    let found = rules::check(&set, &objects::cluster(&p));
    assert!(
        found.iter().any(|f| f.rule == Rule::ServicePorts && f.object.starts_with("Service tick/telegraf ")),
        "{found:#?}"
    );
}

/// The stage scripts apply only manifests the validation sees: heredocs, `kubectl create
/// namespace`, `create secret generic` and the Kubeflow build. A new kind of apply fails here.
#[test]
fn stage_scripts_apply_nothing_the_validation_misses() {
    let p = load("distributed", Hypervisor::Virtualbox);
    let files = mlk::render::render_all(&p).unwrap();
    let mut seen = Vec::new();
    for (path, text) in files.iter().filter(|(k, _)| k.starts_with("stages/")) {
        assert_eq!(
            objects::unknown_applies(text),
            Vec::<String>::new(),
            "{path}"
        );
        let stage = path.trim_start_matches("stages/").trim_end_matches(".sh");
        for o in objects::from_script(stage, text) {
            seen.push(format!("{stage}: {} {}", o.kind(), o.id()));
        }
    }
    for want in [
        "cert-manager: Issuer",
        "cert-manager: Certificate",
        "cert-manager: ClusterIssuer",
        "rancher: Namespace",
        "rancher: Certificate",
        "rancher: Secret",
        "storage: PersistentVolumeClaim",
        "storage: Pod",
        "tick: Namespace",
        "tick: Secret",
    ] {
        assert!(
            seen.iter().any(|s| s.starts_with(want)),
            "{want} not found in {seen:#?}"
        );
    }
    // The extraction expands the script's variables: the probe lands in the release namespace.
    assert!(
        seen.iter()
            .any(|s| s.contains("PersistentVolumeClaim local-path-storage/mlk-probe")),
        "{seen:#?}"
    );
}

/// The cluster's CA (docs/login.md): a self-signed ClusterIssuer signs one CA Certificate in
/// cert-manager's cluster resource namespace, ClusterIssuer mlk-ca signs with its Secret, and
/// every dashboard Ingress with TLS (Rancher's from the real chart, Kubeflow's from the
/// overlay) serves a Secret that a Certificate of mlk-ca makes for exactly its host, usable
/// as a TLS server certificate.
#[test]
fn dashboard_certificates_come_from_the_clusters_ca() {
    use mlk::login::ca;
    for name in ["mono", "distributed"] {
        let p = load(name, Hypervisor::Virtualbox);
        let Some(set) = objects::all(&p) else { return };
        let find = |kind: &str, n: &str| -> Vec<&mlk::manifest::Object> {
            set.iter()
                .filter(|o| o.group() == "cert-manager.io" && o.kind() == kind && o.name() == n)
                .collect()
        };
        let selfsigned = find("ClusterIssuer", ca::SELF_SIGNED_ISSUER);
        assert_eq!(selfsigned.len(), 1, "{name}");
        assert!(selfsigned[0].doc["spec"]["selfSigned"].is_mapping());
        let cacert = find("Certificate", ca::SECRET);
        assert_eq!(cacert.len(), 1, "{name}");
        let c = &cacert[0].doc["spec"];
        assert_eq!(cacert[0].namespace(), Some(ca::NAMESPACE));
        assert_eq!(c["isCA"].as_bool(), Some(true));
        assert_eq!(
            c["issuerRef"]["name"].as_str(),
            Some(ca::SELF_SIGNED_ISSUER)
        );
        assert_eq!(c["issuerRef"]["kind"].as_str(), Some("ClusterIssuer"));
        assert_eq!(
            c["commonName"].as_str(),
            Some(format!("mlk {} CA", p.name).as_str())
        );
        // Never rotated: a CA the student trusted keeps signing.
        assert_eq!(c["privateKey"]["rotationPolicy"].as_str(), Some("Never"));
        let issuer = find("ClusterIssuer", ca::ISSUER);
        assert_eq!(issuer.len(), 1, "{name}");
        assert_eq!(issuer[0].doc["spec"]["ca"]["secretName"], c["secretName"]);
        // Every dashboard Ingress with TLS is served from a Certificate of the CA.
        let ingresses: Vec<_> = set
            .iter()
            .filter(|o| o.kind() == "Ingress" && !o.doc["spec"]["tls"].is_null())
            .collect();
        let want: Vec<String> = [&p.ingress.rancher, &p.ingress.kubeflow]
            .iter()
            .map(|h| h.to_string())
            .collect();
        let mut served = Vec::new();
        for ing in ingresses {
            let tls = &ing.doc["spec"]["tls"][0];
            let host = tls["hosts"][0].as_str().unwrap().to_string();
            let secret = tls["secretName"].as_str().unwrap();
            let certs: Vec<_> = set
                .iter()
                .filter(|o| {
                    o.kind() == "Certificate"
                        && o.namespace() == ing.namespace()
                        && o.doc["spec"]["secretName"].as_str() == Some(secret)
                })
                .collect();
            assert_eq!(certs.len(), 1, "{}: {secret}", ing.id());
            let spec = &certs[0].doc["spec"];
            assert_eq!(
                spec["issuerRef"]["name"].as_str(),
                Some(ca::ISSUER),
                "{}",
                certs[0].id()
            );
            assert_eq!(spec["issuerRef"]["kind"].as_str(), Some("ClusterIssuer"));
            assert_eq!(spec["dnsNames"][0].as_str(), Some(host.as_str()));
            let usages = serde_json::to_string(&spec["usages"]).unwrap();
            assert!(usages.contains("server auth"), "{usages}");
            served.push(host);
        }
        served.sort();
        let mut want = want;
        want.sort();
        assert_eq!(served, want, "{name}: the TLS dashboards");
    }
}

/// RKE2's matrix (issue 17): every release rendered by the real chart for Kubernetes 1.36
/// (Rancher 2.15.0, cert-manager v1.21.1, local-path 0.0.37, the InfluxData charts), the
/// Kubeflow 26.03 overlay built over the vendored tree, the stage scripts' own objects and the
/// workload, all through the same API server rules.
#[test]
fn rke2_objects_of_the_1_36_matrix_pass_the_api_server_rules() {
    for name in ["mono", "distributed"] {
        let p = load_rke2(name, Hypervisor::Virtualbox);
        assert_eq!(crate::upstream::charts::kube_version(&p), "1.36.3");
        let Some(set) = objects::all(&p) else { return };
        let census = rules::census(&set);
        for stage in ["storage", "cert-manager", "rancher", "tick", "kubeflow"] {
            assert!(
                census.contains_key(stage),
                "{name}: nothing from stage {stage}"
            );
        }
        // Kubeflow 26.03 without its own cert-manager, with its ClusterIssuer.
        let kf: Vec<_> = set.iter().filter(|o| o.stage == "kubeflow").collect();
        assert!(kf.len() > 600, "{}", kf.len());
        assert!(
            !kf.iter()
                .any(|o| o.doc["metadata"]["namespace"] == "cert-manager")
        );
        assert_eq!(
            kf.iter()
                .filter(|o| o.kind() == "ClusterIssuer"
                    && o.doc["metadata"]["name"] == "kubeflow-self-signing-issuer")
                .count(),
            1
        );
        // Every Ingress names the class RKE2 installs.
        for o in set.iter().filter(|o| o.kind() == "Ingress") {
            assert_eq!(
                o.doc["spec"]["ingressClassName"].as_str(),
                Some("traefik"),
                "{}",
                o.id()
            );
        }
        let found = rules::check(&set, &objects::cluster(&p));
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(shown, Vec::<String>::new(), "{name} on RKE2");
    }
}

pub fn load_rke2(name: &str, provider: Hypervisor) -> mlk::profile::Profile {
    let src = mlk::profile::Source::resolve(name).unwrap();
    mlk::profile::load(
        &src,
        &mlk::profile::Overrides {
            provider: Some(provider),
            distribution: Some(mlk::distribution::Distribution::Rke2),
        },
        &mlk::profile::validate::host_rules_from_env(),
    )
    .unwrap()
}
