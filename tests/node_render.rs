//! What the node-side files say, per provider: the CNI interface in cluster.yml, and the
//! os-prep/docker scripts' settings (hosts, registries, proxy), read back from the render.
use mlk::profile::{self, Overrides, Profile, Provider};
use serde_yaml_ng::Value;

pub fn rules() -> profile::validate::HostRules {
    profile::validate::HostRules {
        vbox_ranges: None,
        vbox_source: "test".into(),
    }
}

/// A profile from YAML text, with an optional provider override (as `--provider` does).
pub fn load_text(yaml: &str, provider: Option<Provider>) -> Profile {
    let src = profile::Source {
        file: "test.yaml".into(),
        text: yaml.into(),
    };
    profile::load(&src, &Overrides { provider }, &rules())
        .unwrap_or_else(|e| panic!("profile does not load: {e}"))
}

pub fn embedded(name: &str) -> String {
    profile::embedded_source(name).unwrap().to_string()
}

fn cluster_yml(p: &Profile) -> Value {
    let files = mlk::render::render_all(p).unwrap();
    serde_yaml_ng::from_str(&files["cluster.yml"]).unwrap()
}

#[test]
fn the_cni_interface_follows_the_provider() {
    for name in ["mono", "distributed"] {
        for prov in Provider::ALL {
            let c = cluster_yml(&load_text(&embedded(name), Some(prov)));
            let opts = &c["network"]["options"];
            match prov {
                // NAT first, the private network second.
                Provider::Virtualbox | Provider::Libvirt => {
                    assert_eq!(
                        opts["canal_iface"].as_str(),
                        Some("eth1"),
                        "{name} {prov:?}"
                    )
                }
                // One NIC: no interface named, the CNI takes the default-route one.
                Provider::Hyperv => assert!(
                    opts.is_null() || opts.get("canal_iface").is_none(),
                    "{name} on Hyper-V names an interface: {opts:?}"
                ),
            }
        }
    }
    // flannel takes the same interface under its own key.
    let flannel = embedded("mono").replace(
        "nodes:\n",
        "kubernetes:\n  networkPlugin: flannel\nnodes:\n",
    );
    let c = cluster_yml(&load_text(&flannel, Some(Provider::Libvirt)));
    assert_eq!(c["network"]["plugin"].as_str(), Some("flannel"));
    assert_eq!(
        c["network"]["options"]["flannel_iface"].as_str(),
        Some("eth1")
    );
    assert!(c["network"]["options"].get("canal_iface").is_none());
    let c = cluster_yml(&load_text(&flannel, Some(Provider::Hyperv)));
    assert!(c["network"]["options"].is_null(), "{:?}", c["network"]);
    // A profile that names the interface is taken at its word, on Hyper-V too.
    let named = embedded("mono").replace("nodes:\n", "kubernetes:\n  iface: eth0\nnodes:\n");
    let c = cluster_yml(&load_text(&named, Some(Provider::Hyperv)));
    assert_eq!(
        c["network"]["options"]["canal_iface"].as_str(),
        Some("eth0")
    );
}
