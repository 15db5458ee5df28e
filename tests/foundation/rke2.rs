//! RKE2 (`--distribution rke2`, issue 17): what the rendered files and the plan mean, checked
//! beyond the snapshots: addresses in each node's config.yaml, no token anywhere rendered or
//! planned, canal's interface, the ingress class every Ingress uses, the matrix and its pins.
use super::common::{PROFILES, load, load_with, mlk};
use mlk::distribution::Distribution;
use mlk::profile::Hypervisor;
use serde_yaml_ng::Value;

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

#[test]
fn each_node_config_has_its_private_address_and_the_servers_join_order() {
    let p = load_with("distributed", None, Distribution::Rke2);
    let files = mlk::render::render_all(&p).unwrap();
    let first = &p.nodes[0];
    for n in &p.nodes {
        let c = yaml(&files[&format!("rke2/{}/config.yaml", n.name)]);
        assert_eq!(
            c["node-ip"].as_str(),
            Some(n.ip.to_string().as_str()),
            "{}",
            n.name
        );
        assert_eq!(c["node-name"].as_str(), Some(n.name.as_str()));
        assert_eq!(
            c["token-file"].as_str(),
            Some("/etc/rancher/rke2/mlk-token")
        );
        assert!(c.get("token").is_none(), "no token value in config.yaml");
        if n.name == first.name {
            assert!(c.get("server").is_none(), "the first server joins no one");
            assert_eq!(
                c["advertise-address"].as_str(),
                Some(n.ip.to_string().as_str())
            );
            let sans: Vec<&str> = c["tls-san"]
                .as_sequence()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            for want in [
                n.ip.to_string().as_str(),
                n.name.as_str(),
                "mlk-distributed-node1",
            ] {
                assert!(sans.contains(&want), "{want} in {sans:?}");
            }
            assert_eq!(c["write-kubeconfig-mode"].as_str(), Some("0600"));
            assert_eq!(c["ingress-controller"][0].as_str(), Some("traefik"));
        } else {
            // Workers are agents: they join the first server on 9345 and carry no server keys.
            assert_eq!(
                c["server"].as_str(),
                Some(format!("https://{}:9345", first.ip).as_str())
            );
            assert!(c.get("tls-san").is_none() && c.get("ingress-controller").is_none());
        }
        assert!(!files[&format!("rke2/{}/config.yaml", n.name)].contains("10.0.2.15"));
    }
    let (servers, agents) = mlk::distribution::rke2::join_order(&p);
    assert_eq!(servers, ["node1"]);
    assert_eq!(agents, ["node2", "node3"]);
}

#[test]
fn canal_takes_the_private_nic_and_hyperv_matches_the_node_addresses() {
    let vb = load_with(
        "distributed",
        Some(Hypervisor::Virtualbox),
        Distribution::Rke2,
    );
    let c = yaml(&mlk::render::render_all(&vb).unwrap()["rke2/rke2-canal-config.yaml"]);
    assert_eq!(c["kind"].as_str(), Some("HelmChartConfig"));
    assert_eq!(c["metadata"]["name"].as_str(), Some("rke2-canal"));
    assert_eq!(c["metadata"]["namespace"].as_str(), Some("kube-system"));
    let v = yaml(c["spec"]["valuesContent"].as_str().unwrap());
    assert_eq!(v["flannel"]["iface"].as_str(), Some("eth1"));
    let hv = load_with("distributed", Some(Hypervisor::Hyperv), Distribution::Rke2);
    let c = yaml(&mlk::render::render_all(&hv).unwrap()["rke2/rke2-canal-config.yaml"]);
    let v = yaml(c["spec"]["valuesContent"].as_str().unwrap());
    let re = regex::Regex::new(v["flannel"]["regexIface"].as_str().unwrap()).unwrap();
    for n in &hv.nodes {
        assert!(re.is_match(&n.ip.to_string()), "{}", n.ip);
    }
    assert!(!re.is_match("10.0.2.15") && !re.is_match("192.168.56.200"));
}

#[test]
fn every_ingress_uses_the_installed_class_without_nginx_annotations() {
    for name in PROFILES {
        let files = mlk::render::render_all(&load_with(name, None, Distribution::Rke2)).unwrap();
        assert_eq!(
            yaml(&files["values/rancher.yaml"])["ingress"]["ingressClassName"].as_str(),
            Some("traefik")
        );
        assert_eq!(
            yaml(&files["values/chronograf.yaml"])["ingress"]["className"].as_str(),
            Some("traefik")
        );
        assert_eq!(
            yaml(&files["values/influxdb.yaml"])["ingress"]["className"].as_str(),
            Some("traefik")
        );
        // mono-lite has no Kubeflow; the others must have its Ingress.
        let kubeflow = name != "mono-lite";
        assert_eq!(
            files.contains_key("kubeflow/ingress.yaml"),
            kubeflow,
            "{name}"
        );
        if kubeflow {
            let kf = yaml(&files["kubeflow/ingress.yaml"]);
            assert_eq!(kf["spec"]["ingressClassName"].as_str(), Some("traefik"));
        }
        for (path, text) in &files {
            if path.starts_with("values/") || path.starts_with("kubeflow/") {
                assert!(
                    !text
                        .lines()
                        .any(|l| !l.trim_start().starts_with('#') && l.contains("nginx")),
                    "{name}: {path} still names nginx"
                );
            }
        }
        // RKE keeps its nginx class.
        let rke = mlk::render::render_all(&load(name, None)).unwrap();
        let class = |f: &str| {
            yaml(&rke[f])["ingress"]["ingressClassName"]
                .as_str()
                .map(String::from)
        };
        assert_eq!(
            class("values/rancher.yaml").as_deref(),
            Some("nginx"),
            "{name}"
        );
        if kubeflow {
            assert_eq!(
                yaml(&rke["kubeflow/ingress.yaml"])["spec"]["ingressClassName"].as_str(),
                Some("nginx")
            );
        }
    }
}

#[test]
fn the_plan_shows_the_rke2_matrix_and_the_stages_of_rke2() {
    let p = load_with("distributed", None, Distribution::Rke2);
    let plan = mlk::plan::build(&p, "x");
    let text = plan.to_text();
    let lock = mlk::lockfile::of(Distribution::Rke2);
    assert!(
        text.contains("Kubernetes v1.36.3+rke2r1 via RKE2"),
        "{text}"
    );
    let ids: Vec<&str> = plan.stages.iter().map(|s| s.id.as_str()).collect();
    assert!(ids.contains(&"rke2-up") && !ids.contains(&"rke-up") && !ids.contains(&"docker"));
    let versions: Vec<(&str, &str)> = plan
        .helm_releases
        .iter()
        .map(|r| (r.release.as_str(), r.version.as_str()))
        .collect();
    assert!(versions.contains(&("rancher", "2.15.0")), "{versions:?}");
    assert!(
        versions.contains(&("cert-manager", "v1.21.1")),
        "{versions:?}"
    );
    assert!(versions.contains(&("local-path-provisioner", "0.0.37")));
    assert!(
        versions.contains(&("influxdb", "4.12.5")),
        "InfluxData charts unchanged"
    );
    assert_eq!(plan.kubeflow.as_ref().unwrap().manifests_release, "26.03");
    // Every download has a pinned sha256; RKE2 has no rke binary.
    let names: Vec<&str> = plan.binaries.iter().map(|b| b.name.as_str()).collect();
    assert!(!names.contains(&"rke"), "{names:?}");
    for want in [
        "kubectl",
        "helm",
        "kustomize",
        "rke2.linux-amd64.tar.gz",
        "sha256sum-amd64.txt",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    for b in &plan.binaries {
        assert_eq!(b.sha256.len(), 64, "{}: pinned", b.name);
        assert!(b.sha256_url.is_none());
    }
    assert_eq!(lock.binary("helm").version, "v3.21.4");
    assert_eq!(lock.binary("kustomize").version, "v5.8.1");
    // `mlk plan --json` names the distribution as profiles and `--distribution` spell it.
    let j = serde_json::to_value(&plan).unwrap();
    assert_eq!(j["distribution"], "rke2", "{j}");
    // The RKE matrix is untouched.
    let rke = mlk::plan::build(&load("distributed", None), "x");
    assert!(rke.to_text().contains("via RKE,"));
    assert_eq!(serde_json::to_value(&rke).unwrap()["distribution"], "rke");
    assert!(
        rke.helm_releases
            .iter()
            .any(|r| r.release == "rancher" && r.version == "2.13.8")
    );
}

#[test]
fn the_profile_key_and_the_flag_choose_rke2_and_bad_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = mlk::profile::embedded_source("mono").unwrap().replace(
        "components:",
        "kubernetes:\n  distribution: rke2\ncomponents:",
    );
    assert!(text.contains("distribution: rke2"));
    let f = dir.path().join("p.yaml");
    std::fs::write(&f, &text).unwrap();
    let out = mlk().args(["plan", "-p"]).arg(&f).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("via RKE2"));
    let out = mlk()
        .args(["plan", "-p", "mono", "--distribution", "rke2"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("rke2-up"));
    let out = mlk()
        .args(["plan", "-p", "mono", "--distribution", "k3s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rke2"));
    // An RKE version on RKE2 names the field and what is allowed.
    let bad = text.replace(
        "distribution: rke2",
        "distribution: rke2\n  version: v1.32.5-rancher1-1",
    );
    std::fs::write(&f, bad).unwrap();
    let out = mlk().args(["plan", "-p"]).arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kubernetes.version") && err.contains("rke2r"),
        "{err}"
    );
}

#[test]
fn no_join_token_in_rendered_files_or_the_plan() {
    // The token exists only at run time; nothing rendered or planned has a `token:` key.
    let p = load_with("distributed", None, Distribution::Rke2);
    for (path, text) in mlk::render::render_all(&p).unwrap() {
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with("token:")),
            "{path}"
        );
    }
    let json = serde_json::to_string(&mlk::plan::build(&p, "x")).unwrap();
    assert!(!json.contains("rke2-token\""), "{json}");
}
