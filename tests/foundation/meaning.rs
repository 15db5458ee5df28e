//! Tests of meaning: what the rendered files say agrees with the profile and the lock table.
use super::common::{PROFILES, load, render};
use mlk::profile::{Hypervisor, Role};
use serde_yaml_ng::Value;

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

#[test]
fn cluster_yml_nodes_roles_and_version_follow_the_profile() {
    let lock = mlk::lockfile::get();
    for name in PROFILES {
        let p = load(name, None);
        let files = render(name, Hypervisor::Virtualbox);
        let c = yaml(&files["cluster.yml"]);
        assert_eq!(
            c["kubernetes_version"].as_str(),
            Some(lock.kubernetes.as_str())
        );
        assert_eq!(c["cluster_name"].as_str(), Some(name));
        assert_eq!(c["ingress"]["provider"].as_str(), Some("nginx"));
        assert_eq!(c["network"]["plugin"].as_str(), Some("canal"));
        let nodes = c["nodes"].as_sequence().unwrap();
        assert_eq!(nodes.len(), p.nodes.len());
        for (n, want) in nodes.iter().zip(&p.nodes) {
            let ip = want.ip.to_string();
            assert_eq!(n["address"].as_str(), Some(ip.as_str()));
            // Not 10.0.2.15: every VirtualBox VM has that NAT address.
            assert_eq!(n["internal_address"].as_str(), Some(ip.as_str()));
            assert_eq!(n["hostname_override"].as_str(), Some(want.name.as_str()));
            assert_eq!(n["user"].as_str(), Some("vagrant"));
            assert!(n["ssh_key_path"].as_str().is_some_and(|k| !k.is_empty()));
            let roles: Vec<&str> = n["role"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            let want_roles: Vec<&str> = want.roles.iter().map(|r| r.as_str()).collect();
            assert_eq!(roles, want_roles, "{name} {}", want.name);
        }
    }
    // The documented split of `distributed`.
    let d = load("distributed", None);
    assert_eq!(
        d.nodes[0].roles,
        [Role::Controlplane, Role::Etcd, Role::Worker]
    );
    assert!(d.nodes[1..].iter().all(|n| n.roles == [Role::Worker]));
    let total = |n: &str| {
        let p = load(n, None);
        (
            p.nodes.iter().map(|n| n.cpus).sum::<u32>(),
            p.nodes.iter().map(|n| n.memory).sum::<u32>(),
        )
    };
    assert_eq!(
        total("mono"),
        total("distributed"),
        "same total CPU and memory"
    );
}

/// mono and distributed can be up at once (the comparison workflow): no address in common,
/// so neither cluster's folder ever makes the doctor refuse the other.
#[test]
fn embedded_profiles_use_disjoint_addresses() {
    let ips =
        |n: &str| -> Vec<std::net::Ipv4Addr> { load(n, None).nodes.iter().map(|n| n.ip).collect() };
    let (mono, dist) = (ips("mono"), ips("distributed"));
    assert_eq!(
        mono,
        ["192.168.56.10".parse::<std::net::Ipv4Addr>().unwrap()]
    );
    assert_eq!(
        dist,
        ["192.168.56.20", "192.168.56.21", "192.168.56.22"]
            .map(|s| s.parse::<std::net::Ipv4Addr>().unwrap())
    );
    assert!(mono.iter().all(|ip| !dist.contains(ip)));
    // The dashboards (sslip.io names of the first worker) differ too.
    let host = |n: &str| {
        mlk::render::render_all(&load(n, None)).unwrap()["values/rancher.yaml"]
            .lines()
            .find(|l| l.starts_with("hostname:"))
            .unwrap()
            .to_string()
    };
    assert_ne!(host("mono"), host("distributed"));
}

/// The `config.vm.define` blocks of a Vagrantfile, by node name.
fn define_blocks(vf: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in vf.split("config.vm.define '").skip(1) {
        let (name, rest) = part.split_once('\'').unwrap();
        out.push((name.to_string(), rest.to_string()));
    }
    out
}

fn setting(block: &str, key: &str) -> String {
    let line = block
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no `{key}` in\n{block}"));
    line.split_once(" = ").unwrap().1.to_string()
}

#[test]
fn vagrantfile_has_one_define_per_node_with_its_ip_cpus_and_memory() {
    for name in PROFILES {
        for prov in Hypervisor::ALL {
            let p = load(name, Some(prov));
            let vf = &render(name, prov)["Vagrantfile"];
            let blocks = define_blocks(vf);
            let names: Vec<&str> = blocks.iter().map(|(n, _)| n.as_str()).collect();
            let want: Vec<&str> = p.nodes.iter().map(|n| n.name.as_str()).collect();
            assert_eq!(names, want, "{name}/{prov:?}");
            for ((_, b), n) in blocks.iter().zip(&p.nodes) {
                assert_eq!(setting(b, "node.vm.hostname"), format!("'{}'", n.name));
                assert!(
                    b.contains(&format!("\"private_network\", ip: '{}'", n.ip)),
                    "{b}"
                );
                for prefix in ["vb", "hv", "lv"] {
                    assert_eq!(setting(b, &format!("{prefix}.cpus")), n.cpus.to_string());
                    assert_eq!(
                        setting(b, &format!("{prefix}.memory")),
                        n.memory.to_string()
                    );
                }
                // Embedded profiles set no maxmemory: no dynamic memory under Hyper-V.
                assert_eq!(n.maxmemory, n.memory);
                assert!(!b.contains("hv.maxmemory"), "{b}");
                assert_eq!(setting(b, "vb.name"), format!("'mlk-{name}-{}'", n.name));
                assert_eq!(setting(b, "lv.driver"), "'kvm'");
            }
            let default = format!("ENV[\"VAGRANT_DEFAULT_PROVIDER\"] ||= '{}'", prov.as_str());
            assert!(vf.contains(&default), "{name}/{prov:?} lacks {default}");
            assert!(vf.contains("config.vm.synced_folder \".\", \"/vagrant\", disabled: true"));
            assert!(
                !vf.contains(".vm.provision"),
                "no provisioning in the Vagrantfile"
            );
        }
    }
}

#[test]
fn values_files_use_sslip_host_names_of_node1() {
    for name in PROFILES {
        let p = load(name, None);
        let ip = p.nodes[0].ip;
        let files = render(name, Hypervisor::Virtualbox);
        let rancher = yaml(&files["values/rancher.yaml"]);
        assert_eq!(
            rancher["hostname"].as_str(),
            Some(format!("rancher.{ip}.sslip.io").as_str())
        );
        let chrono = yaml(&files["values/chronograf.yaml"]);
        assert_eq!(
            chrono["ingress"]["hostname"].as_str(),
            Some(format!("chronograf.{ip}.sslip.io").as_str())
        );
        assert_eq!(chrono["ingress"]["className"].as_str(), Some("nginx"));
        let kf_host = format!("kubeflow.{ip}.sslip.io");
        let mut want = vec![
            format!("https://rancher.{ip}.sslip.io"),
            format!("http://chronograf.{ip}.sslip.io"),
        ];
        // mono-lite has no Kubeflow: no Ingress of it, and no dashboard.
        if p.components.kubeflow.enabled {
            let kf = yaml(&files["kubeflow/ingress.yaml"]);
            assert_eq!(
                kf["spec"]["rules"][0]["host"].as_str(),
                Some(kf_host.as_str())
            );
            assert_eq!(kf["spec"]["ingressClassName"].as_str(), Some("nginx"));
            want.push(format!("https://{kf_host}"));
        } else {
            assert!(!files.contains_key("kubeflow/ingress.yaml"), "{name}");
        }
        let plan = mlk::plan::build(&p, name);
        let urls: Vec<&str> = plan.dashboards.iter().map(|d| d.url.as_str()).collect();
        assert_eq!(urls, want);
        for (path, text) in &files {
            assert!(!text.contains("xip.io"), "{path} mentions the dead xip.io");
        }
    }
}

#[test]
fn plan_json_versions_and_releases_match_the_lock_and_the_render() {
    let lock = mlk::lockfile::get();
    for name in PROFILES {
        let p = load(name, None);
        let files = render(name, Hypervisor::Virtualbox);
        let plan = mlk::plan::build(&p, name);
        let j: serde_json::Value = serde_json::to_value(&plan).unwrap();
        assert_eq!(j["kubernetes_version"], lock.kubernetes.as_str());
        for b in j["binaries"].as_array().unwrap() {
            let pin = lock.binary(b["name"].as_str().unwrap());
            assert_eq!(b["version"], pin.version.as_str());
            assert_eq!(b["url"], pin.url.as_str());
            let sha = b["sha256"].as_str().unwrap();
            let hex64 = sha.len() == 64 && sha.bytes().all(|c| c.is_ascii_hexdigit());
            assert!(
                hex64 || sha.is_empty() && b["sha256_url"].is_string(),
                "{b}: neither a sha256 nor a checksum file"
            );
        }
        let bins: Vec<&str> = j["binaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        let locked: Vec<&str> = lock.binaries.keys().map(String::as_str).collect();
        assert_eq!(bins, locked, "the plan shows every pinned binary");
        for needed in ["helm", "kubectl", "rke"] {
            assert!(bins.contains(&needed), "{needed} missing from the plan");
        }
        let releases = j["helm_releases"].as_array().unwrap();
        let names: Vec<&str> = releases
            .iter()
            .map(|r| r["release"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "local-path-provisioner",
                "cert-manager",
                "rancher",
                "influxdb",
                "telegraf",
                "telegraf-ds",
                "kapacitor",
                "chronograf"
            ]
        );
        for r in releases {
            let chart_name = r["chart"].as_str().unwrap().split_once('/').unwrap().1;
            let pin = lock.chart(chart_name);
            assert_eq!(r["chart"], format!("{}/{chart_name}", pin.repo));
            assert_eq!(r["repo_url"], pin.repo_url.as_str());
            assert_eq!(r["version"], pin.version.as_str());
            assert!(r["namespace"].as_str().is_some_and(|n| !n.is_empty()));
            let values = r["values"].as_str().unwrap();
            assert!(files.contains_key(values), "{values} is not rendered");
        }
        if p.components.kubeflow.enabled {
            assert_eq!(
                j["kubeflow"]["manifests_release"],
                lock.kubeflow.version.as_str()
            );
        } else {
            assert!(j.get("kubeflow").is_none(), "{name}: {j}");
        }
        // What the host needs is in the plan, as `mlk profile list` says it.
        let needs = mlk::doctor::capacity::needs(&p);
        assert_eq!(j["needs"]["vm_memory_mib"], needs.vm_memory_mib);
        let mem: u64 = p.nodes.iter().map(|n| u64::from(n.memory)).sum();
        assert_eq!(needs.vm_memory_mib, mem);
        assert!(needs.host_memory_mib > mem && needs.disk_mib > 0 && needs.download_mib > 0);
        let ns =
            |rel: &str| releases.iter().find(|r| r["release"] == rel).unwrap()["namespace"].clone();
        assert_eq!(ns("rancher"), "cattle-system");
        assert_eq!(ns("influxdb"), "tick");
        // Every script stage's script is rendered.
        for st in j["stages"].as_array().unwrap() {
            if let Some(script) = st["action"]["script"].as_str() {
                assert!(files.contains_key(script), "{script} is not rendered");
            }
        }
    }
}

#[test]
fn profile_overrides_reach_the_render() {
    let path = super::common::fixture("profiles/good/full.yaml");
    let p = load(path.to_str().unwrap(), None);
    let files = mlk::render::render_all(&p).unwrap();
    let c = yaml(&files["cluster.yml"]);
    assert_eq!(c["kubernetes_version"].as_str(), Some("v1.31.9-rancher1-1"));
    assert_eq!(
        c["network"]["options"]["flannel_iface"].as_str(),
        Some("enp0s8")
    );
    let vf = &files["Vagrantfile"];
    assert!(vf.contains("lv.driver = 'qemu'") && vf.contains("vb.linked_clone = false"));
    assert!(vf.contains("hv.maxmemory = 12288"));
    assert!(vf.contains("config.vm.synced_folder \".\", \"/vagrant\"\n"));
    // Software emulation has no host CPU to pass through.
    assert!(vf.contains("lv.cpu_model = \"qemu64\""));
    let rancher = yaml(&files["values/rancher.yaml"]);
    assert_eq!(
        rancher["hostname"].as_str(),
        Some("rancher.lab.example.test")
    );
    let plan = mlk::plan::build(&p, "full");
    let ids: Vec<&str> = plan.stages.iter().map(|s| s.id.as_str()).collect();
    let at = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert_eq!(at("gpu-check"), at("os-prep") + 1);
    assert_eq!(at("say-done"), at("summary") + 1);
    let chart = |r: &str| {
        plan.helm_releases
            .iter()
            .find(|x| x.release == r)
            .unwrap()
            .version
            .clone()
    };
    assert_eq!(chart("rancher"), "2.12.3");
    assert_eq!(chart("telegraf"), "1.8.70");
}

/// RKE's ingress runs only on workers: default host names use the first worker's address.
#[test]
fn default_host_names_point_at_the_first_worker() {
    let full = super::common::fixture("profiles/good/full.yaml");
    let text = std::fs::read_to_string(full).unwrap();
    // full.yaml without its ingress section: cp1 (.20) is no worker, w1 (.21) is.
    let cut = text.find("ingress:").unwrap();
    let end = text.find("virtualbox:").unwrap();
    let src = mlk::profile::Source {
        file: "no-ingress.yaml".into(),
        text: format!("{}{}", &text[..cut], &text[end..]),
    };
    let p = mlk::profile::load(&src, &Default::default(), &super::common::rules()).unwrap();
    let files = mlk::render::render_all(&p).unwrap();
    let rancher = yaml(&files["values/rancher.yaml"]);
    assert_eq!(
        rancher["hostname"].as_str(),
        Some("rancher.192.168.57.21.sslip.io")
    );
}

/// The Hyper-V block of a node's define block.
fn hyperv_block(b: &str) -> String {
    let start = b.find("node.vm.provider \"hyperv\"").expect("hyperv block");
    let rest = &b[start..];
    rest[..rest.find("\n    end").unwrap()].to_string()
}

#[test]
fn hyperv_names_its_switch_pins_its_box_and_sets_maxmemory_only_above_memory() {
    for name in PROFILES {
        let vf = &render(name, Hypervisor::Hyperv)["Vagrantfile"];
        let p = load(name, Some(Hypervisor::Hyperv));
        for ((_, b), n) in define_blocks(vf).iter().zip(&p.nodes) {
            let hv = hyperv_block(b);
            // The node's own private network (same id), with the switch named: no prompt.
            assert!(
                hv.contains(&format!(
                    "override.vm.network \"private_network\", ip: '{}', id: \"mlk\", bridge: 'Default Switch'",
                    n.ip
                )),
                "{hv}"
            );
            assert!(
                b.contains(&format!(
                    "\"private_network\", ip: '{}', id: \"mlk\"\n",
                    n.ip
                )),
                "{b}"
            );
            assert_eq!(setting(&hv, "override.vm.box"), "'generic/ubuntu2204'");
            assert_eq!(setting(&hv, "override.vm.box_version"), "'4.3.12'");
            assert!(!vf.contains(">= 0"), "{vf}");
        }
    }
    // The fixture with every option: its own switch, and maxmemory above memory on cp1 only.
    let p = full_under_hyperv();
    let vf = &mlk::render::render_all(&p).unwrap()["Vagrantfile"];
    let blocks = define_blocks(vf);
    for ((_, b), n) in blocks.iter().zip(&p.nodes) {
        let hv = hyperv_block(b);
        assert!(hv.contains("bridge: 'mlk-nat'"), "{hv}");
        if n.maxmemory > n.memory {
            assert_eq!(setting(&hv, "hv.maxmemory"), n.maxmemory.to_string());
        } else {
            assert!(!hv.contains("hv.maxmemory"), "{}: {hv}", n.name);
        }
    }
    assert!(
        p.nodes.iter().any(|n| n.maxmemory > n.memory)
            && p.nodes.iter().any(|n| n.maxmemory == n.memory),
        "the fixture has both kinds of node"
    );
}

/// The fixture with every option, as a Hyper-V profile: without its synced folder, which
/// Hyper-V refuses (SMB asks for credentials).
pub fn full_under_hyperv() -> mlk::profile::Profile {
    let text = std::fs::read_to_string(super::common::fixture("profiles/good/full.yaml"))
        .unwrap()
        .replace("syncedFolder: true", "syncedFolder: false");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full-hyperv.yaml");
    std::fs::write(&path, text).unwrap();
    super::common::load(path.to_str().unwrap(), Some(Hypervisor::Hyperv))
}
