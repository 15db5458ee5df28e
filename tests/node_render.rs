//! What the node-side files say, per provider: the CNI interface in cluster.yml, and the
//! os-prep/docker scripts' settings (hosts, registries, proxy), read back from the render.
use mlk::profile::{self, Hypervisor, Overrides, Profile};
use serde::Deserialize;
use serde_yaml_ng::Value;

pub fn rules() -> profile::validate::HostRules {
    profile::validate::HostRules {
        vbox_ranges: None,
        vbox_source: "test".into(),
    }
}

/// A profile from YAML text, with an optional provider override (as `--provider` does).
pub fn load_text(yaml: &str, provider: Option<Hypervisor>) -> Profile {
    let src = profile::Source {
        file: "test.yaml".into(),
        text: yaml.into(),
    };
    profile::load(
        &src,
        &Overrides {
            provider,
            distribution: None,
        },
        &rules(),
    )
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
        for prov in Hypervisor::ALL {
            let c = cluster_yml(&load_text(&embedded(name), Some(prov)));
            let opts = &c["network"]["options"];
            match prov {
                // NAT first, the private network second.
                Hypervisor::Virtualbox | Hypervisor::Libvirt => {
                    assert_eq!(
                        opts["canal_iface"].as_str(),
                        Some("eth1"),
                        "{name} {prov:?}"
                    )
                }
                // One NIC: no interface named, the CNI takes the default-route one.
                Hypervisor::Hyperv => assert!(
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
    let c = cluster_yml(&load_text(&flannel, Some(Hypervisor::Libvirt)));
    assert_eq!(c["network"]["plugin"].as_str(), Some("flannel"));
    assert_eq!(
        c["network"]["options"]["flannel_iface"].as_str(),
        Some("eth1")
    );
    assert!(c["network"]["options"].get("canal_iface").is_none());
    let c = cluster_yml(&load_text(&flannel, Some(Hypervisor::Hyperv)));
    assert!(c["network"]["options"].is_null(), "{:?}", c["network"]);
    // A profile that names the interface is taken at its word, on Hyper-V too.
    let named = embedded("mono").replace("nodes:\n", "kubernetes:\n  iface: eth0\nnodes:\n");
    let c = cluster_yml(&load_text(&named, Some(Hypervisor::Hyperv)));
    assert_eq!(
        c["network"]["options"]["canal_iface"].as_str(),
        Some("eth0")
    );
}

const PROXY: &str =
    "proxy:\n  http: http://proxy.campus.example:3128\n  noProxy: [.campus.example, 10.0.0.0/8]\n";
const MIRROR: &str = "registries:\n  mirrors:\n    docker.io:\n      endpoints: [https://cache.campus.example/, http://192.168.56.1:5000]\n";

/// A script's function (or expression) as bash evaluates it, with the script's
/// definitions loaded (everything but its final `main "$@"`).
pub fn eval_in(script: &str, expr: &str) -> String {
    let body = script
        .strip_suffix("mlk_main \"$@\"\n")
        .or_else(|| script.strip_suffix("main \"$@\"\n"))
        .expect("ends with main");
    let out = std::process::Command::new("bash")
        .args(["-c", &format!("{body}\n{expr}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{expr}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The no-proxy entries every consumer must get: loopback, nodes, the pod and service
/// networks, in-cluster names, the dashboards, then the profile's own.
fn must_bypass(p: &Profile) -> Vec<String> {
    let mut v: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
    v.extend(p.nodes.iter().map(|n| n.ip.to_string()));
    v.extend(["10.42.0.0/16", "10.43.0.0/16", ".svc", ".cluster.local"].map(String::from));
    v.push(p.ingress.rancher.clone());
    v.extend([".campus.example", "10.0.0.0/8"].map(String::from));
    v
}

#[test]
fn the_proxy_reaches_apt_docker_every_stage_and_rancher() {
    let p = load_text(&format!("{}{PROXY}", embedded("distributed")), None);
    let files = mlk::render::render_all(&p).unwrap();
    let http = "http://proxy.campus.example:3128";
    let bypass = must_bypass(&p);

    // apt: both schemes (https falls back to the http proxy, which tunnels with CONNECT).
    let apt = eval_in(&files["stages/os-prep.sh"], "apt_proxy_conf");
    assert_eq!(
        apt,
        format!(
            "// Written by mlk os-prep: the profile's proxy.\nAcquire::http::Proxy \"{http}\";\nAcquire::https::Proxy \"{http}\";\n"
        )
    );
    // dockerd: a systemd drop-in whose Environment= carries all three.
    let unit = eval_in(&files["stages/docker.sh"], "proxy_dropin");
    let env_line = unit
        .lines()
        .find(|l| l.starts_with("Environment="))
        .unwrap();
    assert!(unit.contains("[Service]\n"), "{unit}");
    assert!(
        env_line.contains(&format!("\"HTTP_PROXY={http}\"")),
        "{unit}"
    );
    assert!(
        env_line.contains(&format!("\"HTTPS_PROXY={http}\"")),
        "{unit}"
    );
    let no = env_line
        .split("\"NO_PROXY=")
        .nth(1)
        .unwrap()
        .trim_end_matches('"');
    let no: Vec<&str> = no.split(',').collect();
    for b in &bypass {
        assert!(no.contains(&b.as_str()), "{b} not in NO_PROXY {no:?}");
    }
    // Every stage script runs with the proxy in its environment (curl, helm, git, kustomize)
    // and hands it to sudo.
    for (path, text) in files.iter().filter(|(k, _)| k.ends_with(".sh")) {
        let env = eval_in(
            text,
            "echo \"$http_proxy|$HTTPS_PROXY|$no_proxy|${PROXY_ENV[*]}\"",
        );
        let f: Vec<&str> = env.trim_end().splitn(4, '|').collect();
        assert_eq!((f[0], f[1]), (http, http), "{path}");
        for b in &bypass {
            assert!(
                f[2].split(',').any(|e| e == b),
                "{path}: {b} not in no_proxy"
            );
        }
        assert!(
            f[3].contains(&format!("https_proxy={http}")),
            "{path}: {}",
            f[3]
        );
    }
    // Rancher: the chart's own `proxy`/`noProxy` values.
    let r: Value = serde_yaml_ng::from_str(&files["values/rancher.yaml"]).unwrap();
    assert_eq!(r["proxy"].as_str(), Some(http));
    let rno: Vec<&str> = r["noProxy"].as_str().unwrap().split(',').collect();
    for b in &bypass {
        assert!(rno.contains(&b.as_str()), "{b} not in Rancher's noProxy");
    }

    // Without a proxy nothing of it is written (and apt's file must then be absent).
    let plain = mlk::render::render_all(&load_text(&embedded("distributed"), None)).unwrap();
    assert_eq!(eval_in(&plain["stages/os-prep.sh"], "apt_proxy_conf"), "");
    assert_eq!(eval_in(&plain["stages/docker.sh"], "proxy_dropin"), "");
    assert_eq!(
        eval_in(
            &plain["stages/docker.sh"],
            "echo \"[${PROXY_ENV[*]}][${http_proxy:-}]\""
        ),
        "[][]\n"
    );
    let r: Value = serde_yaml_ng::from_str(&plain["values/rancher.yaml"]).unwrap();
    assert!(r.get("proxy").is_none() && r.get("noProxy").is_none());
}

/// The real Rancher chart (vendored at the pinned version) turns those values into the
/// Deployment's HTTP_PROXY/HTTPS_PROXY/NO_PROXY (templates/deployment.yaml).
#[test]
fn rancher_gets_the_proxy_through_its_real_chart() {
    let Some(helm) = crate::tools::find("helm") else {
        return;
    };
    let p = load_text(&format!("{}{PROXY}", embedded("distributed")), None);
    let files = mlk::render::render_all(&p).unwrap();
    let version = mlk::lockfile::get().chart("rancher").version.clone();
    let chart = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/upstream/charts/rancher-{version}"));
    assert!(chart.is_dir(), "{} is not vendored", chart.display());
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("rancher.yaml");
    std::fs::write(&values, &files["values/rancher.yaml"]).unwrap();
    let out = std::process::Command::new(helm)
        .args(["template", "rancher"])
        .arg(&chart)
        .args([
            "--namespace",
            "cattle-system",
            "--kube-version",
            "1.32.5",
            "-f",
        ])
        .arg(&values)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let deploy = serde_yaml_ng::Deserializer::from_str(&text)
        .filter_map(|d| Value::deserialize(d).ok())
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "rancher")
        .expect("the rancher Deployment");
    let env = deploy["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_sequence()
        .unwrap();
    let get = |k: &str| {
        env.iter()
            .find(|e| e["name"] == k)
            .and_then(|e| e["value"].as_str())
            .unwrap_or_else(|| panic!("no {k} in {env:?}"))
            .to_string()
    };
    assert_eq!(get("HTTP_PROXY"), "http://proxy.campus.example:3128");
    assert_eq!(get("HTTPS_PROXY"), "http://proxy.campus.example:3128");
    for b in must_bypass(&p) {
        assert!(get("NO_PROXY").split(',').any(|e| e == b), "{b}");
    }
}

#[test]
fn mirrors_render_into_daemon_json_and_no_password_into_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("token");
    std::fs::write(&pw, "s3cr3t-T0ken-xyz\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let creds = format!(
        "  credentials:\n    docker.io:\n      username: student\n      passwordFile: {}\n    registry.campus.example:5000:\n      username: lab\n      passwordEnv: MLK_TEST_REGISTRY_PASSWORD\n",
        pw.display()
    );
    let p = load_text(&format!("{}{MIRROR}{creds}", embedded("mono")), None);
    let files = mlk::render::render_all(&p).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&eval_in(&files["stages/docker.sh"], "daemon_json")).unwrap();
    // Each mirror as moby's ValidateMirror keeps it: one trailing '/'.
    assert_eq!(
        json,
        serde_json::json!({"registry-mirrors": ["https://cache.campus.example/", "http://192.168.56.1:5000/"]})
    );
    // The login file is built at run time from the sources the profile names...
    let env = |k: &str| (k == "MLK_TEST_REGISTRY_PASSWORD").then(|| "env-Pa55word-abc".to_string());
    let cfg = mlk::stages::registry_auth::config_json(&p, &env)
        .unwrap()
        .unwrap();
    let cfg: serde_json::Value = serde_json::from_slice(&cfg).unwrap();
    let b64 = |s: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s);
    assert_eq!(
        cfg,
        serde_json::json!({"auths": {
            "https://index.docker.io/v1/": {"auth": b64("student:s3cr3t-T0ken-xyz")},
            "registry.campus.example:5000": {"auth": b64("lab:env-Pa55word-abc")},
        }})
    );
    // ...and no rendered file holds a password, plain or encoded.
    for (path, text) in &files {
        for secret in ["s3cr3t-T0ken-xyz", "env-Pa55word-abc"] {
            assert!(!text.contains(secret), "{path}");
        }
        assert!(!text.contains(&b64("student:s3cr3t-T0ken-xyz")), "{path}");
    }
    // Unset variables and readable password files are refused, naming the field, not the value.
    let err = format!(
        "{:#}",
        mlk::stages::registry_auth::config_json(&p, &|_| None).unwrap_err()
    );
    assert!(
        err.contains("registries.credentials.registry.campus.example:5000.passwordEnv")
            && err.contains("MLK_TEST_REGISTRY_PASSWORD is not set"),
        "{err}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = format!(
            "{:#}",
            mlk::stages::registry_auth::config_json(&p, &env).unwrap_err()
        );
        assert!(
            err.contains("chmod 600") && !err.contains("s3cr3t"),
            "{err}"
        );
    }
    // No credentials: no login file at all.
    let none = load_text(&format!("{}{MIRROR}", embedded("mono")), None);
    assert!(
        mlk::stages::registry_auth::config_json(&none, &|_| None)
            .unwrap()
            .is_none()
    );
}
