//! Hyper-V ignores the profile's node addresses; the provider learns the real ones after
//! boot. Everything that follows from a node address must use the learned ones: the files
//! rendered for the nodes (cluster.yml, values/*.yaml, the Kubeflow Ingress), the sslip.io
//! domain and the dashboard host names under it, the kubeconfig's server and the summary.
//! Only the Vagrantfile keeps the profile's addresses (it makes the machines). The node side
//! of the kubeconfig stage is the in-process runner (`LocalRunner::rooted`), not a node.
use crate::node_render::{embedded, load_text};
use mlk::executor::Inputs;
use mlk::profile::Hypervisor;
use mlk::provider::addresses::Addresses;
use mlk::remote::{LocalRunner, Runner};
use std::net::Ipv4Addr;
use std::sync::Arc;

#[test]
fn cluster_yml_gets_discovered_addresses_vagrantfile_keeps_profile_ips() {
    let p = load_text(&embedded("distributed"), Some(Hypervisor::Hyperv));
    let old = p.nodes[1].ip.to_string();
    let over: Addresses = [("node2".to_string(), Ipv4Addr::new(172, 29, 80, 7))].into();
    let out = mlk::render::render(&mlk::plan::build(&p, ""), &over).unwrap();
    let cy = &out["cluster.yml"];
    assert!(
        cy.contains("address: \"172.29.80.7\"") || cy.contains("address: 172.29.80.7"),
        "{cy}"
    );
    assert!(
        !cy.contains(&format!("address: \"{old}\"")) && !cy.contains(&format!("address: {old}\n"))
    );
    // The other nodes keep theirs.
    assert!(cy.contains(&p.nodes[0].ip.to_string()));
    assert_eq!(
        out["Vagrantfile"],
        mlk::render::render_all(&p).unwrap()["Vagrantfile"]
    );
    assert!(out["Vagrantfile"].contains(&old));
}

#[test]
fn learned_addresses_reach_domain_values_ingress_kubeconfig_and_summary() {
    let p = load_text(&embedded("distributed"), Some(Hypervisor::Hyperv));
    let learned: Addresses = p
        .nodes
        .iter()
        .zip(7u8..)
        .map(|(n, i)| (n.name.clone(), Ipv4Addr::new(172, 29, 80, i)))
        .collect();
    let plan = mlk::plan::build(&p, "");
    let inputs = Inputs::new(&plan, learned.clone()).unwrap();
    let q = &inputs.profile;
    // The ingress node: the first worker (profile::defaults).
    let worker = p
        .nodes
        .iter()
        .find(|n| n.roles.contains(&mlk::profile::Role::Worker))
        .unwrap();
    let (was, now) = (worker.ip.to_string(), learned[&worker.name].to_string());
    let domain = format!("{now}.sslip.io");
    // Dashboard host names.
    assert_eq!(q.ingress.domain, domain);
    assert_eq!(q.ingress.rancher, format!("rancher.{domain}"));
    assert_eq!(q.ingress.chronograf, format!("chronograf.{domain}"));
    assert_eq!(q.ingress.kubeflow, format!("kubeflow.{domain}"));
    // Values and the Kubeflow Ingress.
    let r = &inputs.rendered;
    let file = |suffix: &str| {
        r.iter()
            .find(|(k, _)| k.ends_with(suffix))
            .unwrap_or_else(|| panic!("no rendered {suffix}: {:?}", r.keys()))
            .1
    };
    assert!(file("rancher.yaml").contains(&format!("rancher.{domain}")));
    assert!(file("chronograf.yaml").contains(&format!("chronograf.{domain}")));
    assert!(file("ingress.yaml").contains(&format!("kubeflow.{domain}")));
    // No file for the nodes names a profile address; the Vagrantfile names them all.
    for (path, text) in r {
        for n in &p.nodes {
            let ip = n.ip.to_string();
            if path == "Vagrantfile" {
                assert!(text.contains(&ip), "Vagrantfile lacks {ip}");
            } else {
                assert!(!text.contains(&ip), "{path} names the profile's {ip}");
            }
        }
    }
    assert!(!r.values().any(|t| t.contains(&format!("{was}.sslip.io"))));

    // The kubeconfig's server, and the summary, through the host stages.
    let cluster = tempfile::tempdir().unwrap();
    let node = tempfile::tempdir().unwrap();
    let cp = q.first_controlplane().name.clone();
    let rke = LocalRunner::rooted(&cp, node.path());
    rke.upload(
        RKE_KUBECONFIG.as_bytes(),
        &mlk::layout::node::kubeconfig(),
        0o600,
    )
    .unwrap();
    let runners: std::collections::BTreeMap<String, Arc<dyn Runner>> =
        [(cp.clone(), Arc::new(rke) as Arc<dyn Runner>)].into();
    mlk::stages::secrets::ensure(q, cluster.path()).unwrap();
    let log = |_: &str| {};
    let ctx = mlk::stages::HostCtx {
        profile: q,
        stages: &plan.stages,
        cluster_dir: cluster.path(),
        rendered: r,
        runners: &runners,
        log: &log,
    };
    for w in [
        mlk::catalogue::HostWork::Kubeconfig,
        mlk::catalogue::HostWork::Summary,
    ] {
        mlk::stages::host_stage(w).run(&ctx).unwrap();
    }
    let kc = std::fs::read_to_string(mlk::layout::of(cluster.path()).kubeconfig()).unwrap();
    let server = format!("https://{}:6443", learned[&cp]);
    assert!(kc.contains(&server), "{kc}");
    let summary = std::fs::read_to_string(mlk::login::report_path(cluster.path())).unwrap();
    assert!(summary.contains(&format!("rancher.{domain}")), "{summary}");
    assert!(
        summary.contains(&format!("\"ingress_address\": \"{now}\"")),
        "{summary}"
    );
    assert!(!summary.contains(&was), "{summary}");
}

/// The shape `rke up` writes (pki/kubeconfig.go), pointing at an address mlk replaces.
const RKE_KUBECONFIG: &str = r#"apiVersion: v1
kind: Config
clusters:
- cluster:
    api-version: v1
    certificate-authority-data: TUxLLXRlc3QtQ0E=
    server: "https://10.0.2.15:6443"
  name: "lab"
contexts:
- context:
    cluster: "lab"
    user: "kube-admin-lab"
  name: "lab"
current-context: "lab"
users:
- name: "kube-admin-lab"
  user:
    client-certificate-data: TUxLLXRlc3QtY2VydA==
    client-key-data: TUxLLXRlc3Qta2V5
"#;
