//! src/profile/requests.yaml, the table mlk's profile check reads, recomputed from the real
//! artifacts: every Helm release rendered by its real chart with mlk's values, and the real
//! Kubeflow build (with the Istio sidecar its injector adds). The test fails when the table
//! is stale; `MLK_REGENERATE=requests` (scripts/regen-requests.sh) rewrites it instead.
use crate::manifest_validation::load;
use crate::upstream::objects;
use mlk::manifest::requests;
use mlk::profile::Hypervisor;
use mlk::profile::requirements::{Component, TABLE_SOURCE, Table};
use std::collections::BTreeMap;

const HEADER: &str =
    "# Generated from the rendered manifests by tests/requests_table.rs: do not edit.
# Requests per pod (cpu_m millicores, mem_mib MiB rounded up) of every component mlk applies:
# each Helm release rendered by its real chart with mlk's values, and the Kubeflow build (Istio
# sidecars included). Regenerate with scripts/regen-requests.sh.
";

fn generate(p: &mlk::profile::Profile) -> Option<Table> {
    let set = objects::all(p)?;
    let sidecar = requests::istio_sidecar(&set);
    let lock = mlk::lockfile::get();
    let plan = mlk::plan::build(p, "");
    let mut components = BTreeMap::new();
    for r in &plan.helm_releases {
        let objs: Vec<_> = set
            .iter()
            .filter(|o| o.source == format!("helm:{}", r.release))
            .cloned()
            .collect();
        let (per_node, pods) = requests::groups(&objs, sidecar.as_ref());
        components.insert(
            r.release.clone(),
            Component {
                version: r.version.clone(),
                per_node,
                pods,
            },
        );
    }
    if p.components.kubeflow.enabled {
        let objs: Vec<_> = set
            .iter()
            .filter(|o| o.source == "kubeflow")
            .cloned()
            .collect();
        let (per_node, pods) = requests::groups(&objs, sidecar.as_ref());
        let version = p.components.kubeflow.version.clone();
        components.insert(
            "kubeflow".into(),
            Component {
                version,
                per_node,
                pods,
            },
        );
    }
    Some(Table {
        kubernetes: lock.kubernetes.clone(),
        components,
    })
}

fn text(t: &Table) -> String {
    format!("{HEADER}{}", serde_yaml_ng::to_string(t).unwrap())
}

#[test]
fn requests_table_matches_the_rendered_manifests() {
    let Some(mono) = generate(&load("mono", Hypervisor::Virtualbox)) else {
        return;
    };
    let Some(dist) = generate(&load("distributed", Hypervisor::Virtualbox)) else {
        return;
    };
    assert_eq!(
        mono, dist,
        "the requests do not depend on the profile's nodes"
    );
    let fresh = text(&mono);
    if std::env::var("MLK_REGENERATE").is_ok_and(|v| v.split(',').any(|x| x == "requests")) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/profile/requests.yaml");
        mlk::fsutil::write_atomic(std::path::Path::new(path), fresh.as_bytes(), None).unwrap();
        return;
    }
    assert!(
        TABLE_SOURCE == fresh,
        "src/profile/requests.yaml is stale: run scripts/regen-requests.sh\n{}",
        similar::TextDiff::from_lines(TABLE_SOURCE, &fresh).unified_diff()
    );
    // What the table says, in meaning: Kubeflow is most of it, DaemonSets are per node.
    let kf = &mono.components["kubeflow"];
    let mib: u64 = kf.pods.iter().map(|g| g.each.mem_mib * g.count).sum();
    assert!(mib > 4096, "Kubeflow requests {mib} MiB");
    assert!(mono.components["telegraf-ds"].per_node.len() == 1);
    assert!(mono.components["telegraf-ds"].pods.is_empty());
}

/// Defect 10: every embedded profile (mono-lite, the 16 GB one, too) fits, sample workload
/// included, on every provider, with the numbers per node printed for the record.
#[test]
fn embedded_profiles_fit_with_the_sample_workload() {
    let names = mlk::profile::embedded_names();
    assert!(names.iter().any(|n| n == "mono-lite"), "{names:?}");
    for name in &names {
        for provider in Hypervisor::ALL {
            let p = load(name, provider);
            let fit = mlk::profile::requirements::fit(&p).unwrap();
            for n in &fit {
                let used = n.daemonsets.plus(n.placed);
                eprintln!(
                    "{name}/{}: {} requests {}m CPU/{} MiB of {}m/{} MiB allocatable",
                    provider.as_str(),
                    n.name,
                    used.cpu_m,
                    used.mem_mib,
                    n.allocatable.cpu_m,
                    n.allocatable.mem_mib
                );
                assert!(used.mem_mib <= n.allocatable.mem_mib && used.cpu_m <= n.allocatable.cpu_m);
            }
            let work: u64 = mlk::profile::requirements::workload(&p)
                .iter()
                .map(|g| g.each.mem_mib * g.count)
                .sum();
            assert!(
                work >= 1024,
                "{name}: the sample workload requests {work} MiB"
            );
        }
    }
}

/// A profile that does not fit is refused with the numbers: the pod that found no room,
/// what each node has left, and the requests by component.
#[test]
fn a_profile_that_does_not_fit_gets_an_error_with_the_numbers() {
    let mut p = load("mono", Hypervisor::Virtualbox);
    p.nodes[0].memory = 8192;
    let e = mlk::profile::requirements::fit(&p).unwrap_err();
    for want in [
        "do not fit",
        "MiB",
        "Kubeflow",
        "the sample workload",
        "node1",
        "eviction threshold",
    ] {
        assert!(e.contains(want), "{want}: {e}");
    }
    let mut d = load("distributed", Hypervisor::Virtualbox);
    d.nodes[1].memory = 1024;
    d.nodes[2].memory = 1024;
    let e = mlk::profile::requirements::fit(&d).unwrap_err();
    assert!(e.contains("node2") || e.contains("DaemonSets"), "{e}");
}
