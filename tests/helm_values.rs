//! Every Helm release of both embedded profiles, rendered by the real helm (in `unshare -n`)
//! from the real chart at the pinned version (tests/upstream/charts.rs), for the profile's
//! Kubernetes version. The assertions read the rendered objects, i.e. what the cluster gets:
//! URLs point at Services and ports that exist, credentials come from the one Secret, hosts,
//! ingress class and StorageClass agree across releases, and the Telegraf fixes hold.
use crate::upstream::charts::{self, Release};
use mlk::profile::Hypervisor;
use serde_yaml_ng::Value;

fn load(name: &str, provider: Hypervisor) -> mlk::profile::Profile {
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

fn find<'a>(rels: &'a [Release], release: &str, kind: &str, name: &str) -> &'a Value {
    let r = rels.iter().find(|r| r.release.release == release).unwrap();
    r.objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{release}: no {kind} {name}"))
}

fn all_of<'a>(rels: &'a [Release], kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> {
    rels.iter().flat_map(move |r| {
        r.objects
            .iter()
            .filter(move |o| o["kind"] == kind)
            .map(|o| (r.release.release.as_str(), o))
    })
}

/// The env list of the first container of a workload object.
fn env(o: &Value) -> &Vec<Value> {
    o["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_sequence()
        .unwrap()
}

fn env_value<'a>(o: &'a Value, name: &str) -> &'a Value {
    env(o)
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no env {name}"))
}

/// The Service and port an in-cluster URL `http://<svc>.<ns>:<port>` points at exist.
fn assert_url_resolves(rels: &[Release], url: &str) {
    let rest = url.strip_prefix("http://").unwrap();
    let hostport = rest.split('/').next().unwrap();
    let (host, port) = hostport.split_once(':').unwrap();
    let (svc, ns) = host.split_once('.').unwrap();
    let found = all_of(rels, "Service").any(|(_, s)| {
        s["metadata"]["name"] == svc
            && s["metadata"]["namespace"] == ns
            && s["spec"]["ports"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|p| p["port"].as_u64() == port.parse().ok())
    });
    assert!(found, "{url}: no Service {ns}/{svc} with port {port}");
}

fn check_profile(name: &str, provider: Hypervisor) {
    let p = load(name, provider);
    let files = mlk::render::render_all(&p).unwrap();
    let Some(rels) = charts::render(&p, &files) else {
        return;
    };
    let rels = rels.as_slice();
    let ns = mlk::addon::TICK_NAMESPACE;
    // Telegraf (both) writes to the InfluxDB Service, with credentials from the Secret.
    let influx_url = format!("http://influxdb.{ns}:8086");
    for (rel, kind) in [("telegraf", "Deployment"), ("telegraf-ds", "DaemonSet")] {
        let conf = find(rels, rel, "ConfigMap", rel)["data"]["telegraf.conf"]
            .as_str()
            .unwrap();
        assert!(conf.contains("[[outputs.influxdb]]"), "{rel}: {conf}");
        assert!(conf.contains(&format!("\"{influx_url}\"")), "{rel}: {conf}");
        assert!(conf.contains("database = \"telegraf\""), "{rel}: {conf}");
        let w = find(rels, rel, kind, rel);
        for (var, key) in [
            ("INFLUX_USER", "influxdb-user"),
            ("INFLUX_PASSWORD", "influxdb-password"),
        ] {
            let r = &env_value(w, var)["valueFrom"]["secretKeyRef"];
            assert_eq!(
                (r["name"].as_str(), r["key"].as_str()),
                (Some("influxdb-auth"), Some(key))
            );
        }
    }
    assert_url_resolves(rels, &influx_url);
    let ds = find(rels, "telegraf-ds", "DaemonSet", "telegraf-ds");
    let ds_env: Vec<&str> = env(ds)
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for keep in [
        "HOSTNAME",
        "HOSTIP",
        "HOST_PROC",
        "HOST_SYS",
        "HOST_MOUNT_PREFIX",
    ] {
        assert!(
            ds_env.contains(&keep),
            "{name}: telegraf-ds lost the chart's default env {keep}"
        );
    }
    // Kapacitor and Chronograf reach InfluxDB and Kapacitor at Services that exist.
    let kap = find(rels, "kapacitor", "Deployment", "kapacitor-kapacitor");
    assert_eq!(
        env_value(kap, "KAPACITOR_INFLUXDB_0_URLS_0")["value"].as_str(),
        Some(influx_url.as_str())
    );
    let chrono = find(rels, "chronograf", "Deployment", "chronograf-chronograf");
    assert_eq!(
        env_value(chrono, "INFLUXDB_URL")["value"].as_str(),
        Some(influx_url.as_str())
    );
    let kap_url = env_value(chrono, "KAPACITOR_URL")["value"]
        .as_str()
        .unwrap();
    assert_url_resolves(rels, kap_url);
    // Every InfluxDB client reads the one Secret the tick stage creates.
    let influx = find(rels, "influxdb", "StatefulSet", "influxdb");
    for (o, var) in [
        (influx, "INFLUXDB_ADMIN_USER"),
        (kap, "KAPACITOR_INFLUXDB_0_USERNAME"),
        (chrono, "INFLUXDB_USERNAME"),
    ] {
        assert_eq!(
            env_value(o, var)["valueFrom"]["secretKeyRef"]["name"],
            "influxdb-auth"
        );
    }
    let tick = &files["stages/tick.sh"];
    assert!(
        tick.contains("create secret generic influxdb-auth")
            && tick.contains("influxdb-user=admin")
            && tick.contains("influxdb-password=\"$PASSWORD_FILE\"")
    );
    let conf = find(rels, "influxdb", "ConfigMap", "influxdb")["data"]["influxdb.conf"]
        .as_str()
        .unwrap();
    assert!(conf.contains("auth-enabled = true"), "{conf}");
    // Ingresses: the profile's hosts, on RKE's nginx class, to Services that exist.
    let hosts = &p.ingress;
    for (rel, ing, host) in [
        ("chronograf", "chronograf-chronograf", &hosts.chronograf),
        ("rancher", "rancher", &hosts.rancher),
    ] {
        let i = find(rels, rel, "Ingress", ing);
        assert_eq!(i["spec"]["ingressClassName"], "nginx", "{rel}");
        assert_eq!(
            i["spec"]["rules"][0]["host"].as_str(),
            Some(host.as_str()),
            "{rel}"
        );
    }
    assert!(
        !files["values/rancher.yaml"].contains("bootstrapPassword:"),
        "a password reached a rendered file"
    );
    // Rancher's certificate comes from the cluster's CA (docs/login.md): the chart's Ingress
    // names Secret tls-rancher-ingress for its host and asks cert-manager for nothing (no
    // Issuer of Rancher's own, no ingress-shim annotation); privateCA mounts Secret tls-ca
    // into Rancher and keeps its CA certificates (no `--no-cacerts`).
    let r = rels
        .iter()
        .find(|r| r.release.release == "rancher")
        .unwrap();
    assert!(
        !r.objects.iter().any(|o| o["kind"] == "Issuer"),
        "Rancher's own Issuer is rendered"
    );
    let ing = find(rels, "rancher", "Ingress", "rancher");
    assert_eq!(ing["spec"]["tls"][0]["secretName"], "tls-rancher-ingress");
    assert_eq!(
        ing["spec"]["tls"][0]["hosts"][0].as_str(),
        Some(hosts.rancher.as_str())
    );
    let ann = serde_json::to_string(&ing["metadata"]["annotations"]).unwrap();
    assert!(!ann.contains("cert-manager.io"), "{ann}");
    let dep = find(rels, "rancher", "Deployment", "rancher");
    let pod = serde_json::to_string(&dep["spec"]["template"]["spec"]).unwrap();
    assert!(pod.contains("\"secretName\":\"tls-ca\""), "{pod}");
    assert!(pod.contains("/etc/rancher/ssl/cacerts.pem"), "{pod}");
    assert!(!pod.contains("--no-cacerts"), "{pod}");
    // Every PVC lands on the default class local-path-provisioner makes.
    let sc = find(rels, "local-path-provisioner", "StorageClass", "local-path");
    assert_eq!(
        sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"],
        "true"
    );
    let mut claims = 0;
    for (rel, o) in all_of(rels, "PersistentVolumeClaim").chain(all_of(rels, "StatefulSet")) {
        let specs: Vec<&Value> = if o["kind"] == "StatefulSet" {
            o["spec"]["volumeClaimTemplates"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|t| &t["spec"])
                .collect()
        } else {
            vec![&o["spec"]]
        };
        for s in specs {
            assert_eq!(s["storageClassName"], "local-path", "{rel}");
            claims += 1;
        }
    }
    assert_eq!(
        claims, 3,
        "influxdb, kapacitor and chronograf each claim a volume"
    );
    // cert-manager brings its CRDs (crds.enabled) and keeps them on uninstall (crds.keep).
    let crds: Vec<&Value> = all_of(rels, "CustomResourceDefinition")
        .map(|(_, o)| o)
        .collect();
    assert!(
        crds.iter()
            .any(|c| c["metadata"]["name"] == "certificates.cert-manager.io")
    );
    for c in crds {
        assert_eq!(
            c["metadata"]["annotations"]["helm.sh/resource-policy"],
            "keep"
        );
    }
}

#[test]
fn mono_releases_render_from_the_real_charts_and_agree() {
    for provider in Hypervisor::ALL {
        check_profile("mono", provider);
    }
}

#[test]
fn distributed_releases_render_from_the_real_charts_and_agree() {
    for provider in Hypervisor::ALL {
        check_profile("distributed", provider);
    }
}

/// Defect 2 (regression): mlk's values gave the real telegraf 1.8.74 chart a Service with
/// `ports:` empty, which the API server refuses. No release may render a port-less Service.
#[test]
fn no_release_renders_a_service_without_ports() {
    for name in ["mono", "distributed"] {
        let p = load(name, Hypervisor::Virtualbox);
        let files = mlk::render::render_all(&p).unwrap();
        let Some(rels) = charts::render(&p, &files) else {
            return;
        };
        for (rel, s) in all_of(&rels, "Service") {
            let headless = s["spec"]["clusterIP"] == "None";
            let ports = s["spec"]["ports"].as_sequence().map_or(0, Vec::len);
            assert!(
                headless || ports > 0,
                "{name}: {rel} renders Service {} without ports",
                s["metadata"]["name"].as_str().unwrap()
            );
        }
        assert!(
            all_of(&rels, "Service").all(|(rel, _)| rel != "telegraf"),
            "the polling Telegraf needs no Service"
        );
    }
}

/// Defects 6 and 7 (regression): the DaemonSet uses the node's network (so `net` reports
/// the node's NICs) and can read the Docker socket (group docker, mounted, input enabled).
#[test]
fn telegraf_daemonset_sees_the_nodes_network_and_the_docker_socket() {
    let p = load("distributed", Hypervisor::Virtualbox);
    let files = mlk::render::render_all(&p).unwrap();
    let Some(rels) = charts::render(&p, &files) else {
        return;
    };
    let ds = find(&rels, "telegraf-ds", "DaemonSet", "telegraf-ds");
    let pod = &ds["spec"]["template"]["spec"];
    assert_eq!(pod["hostNetwork"], true);
    assert_eq!(pod["dnsPolicy"], "ClusterFirstWithHostNet");
    let sc = &pod["securityContext"];
    assert_eq!(
        sc["runAsNonRoot"], true,
        "a root start makes the entrypoint reset the groups"
    );
    let gid = mlk::render::context::DOCKER_GID as u64;
    assert!(
        sc["supplementalGroups"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|g| g.as_u64() == Some(gid))
    );
    let mounts = pod["containers"][0]["volumeMounts"].as_sequence().unwrap();
    assert!(
        mounts
            .iter()
            .any(|m| m["mountPath"] == "/var/run/docker.sock")
    );
    let conf = find(&rels, "telegraf-ds", "ConfigMap", "telegraf-ds")["data"]["telegraf.conf"]
        .as_str()
        .unwrap();
    assert!(
        conf.contains("[[inputs.docker]]") && conf.contains("unix:///var/run/docker.sock"),
        "{conf}"
    );
    assert!(conf.contains("[[inputs.kubernetes]]"), "{conf}");
}

/// Defect 7, other runtimes: without Docker the DaemonSet mounts no socket and joins no
/// group, and per-container figures come from the kubelet (the kubernetes input).
#[test]
fn without_docker_the_daemonset_uses_the_kubelet_only() {
    let p = load("mono", Hypervisor::Virtualbox);
    let mut ctx = mlk::render::context::build(&p);
    ctx.container_runtime = "containerd".into();
    let values = mlk::render::registry()
        .unwrap()
        .render("helm/telegraf-ds.yaml", &ctx)
        .unwrap();
    assert!(
        !values.contains("docker.sock") && !values.contains("supplementalGroups"),
        "{values}"
    );
    let Some(helm) = charts::helm() else { return };
    let plan = mlk::plan::build(&p, "");
    let r = plan
        .helm_releases
        .iter()
        .find(|r| r.release == "telegraf-ds")
        .unwrap();
    let out = charts::template(&helm, r, &values, &charts::kube_version(&p), &[]).unwrap();
    assert!(
        !out.contains("docker-socket") && !out.contains("[[inputs.docker]]"),
        "{out}"
    );
    assert!(out.contains("[[inputs.kubernetes]]"));
}

/// The harness is not vacuous: the real charts' schemas reject a misspelled key.
#[test]
fn helm_rejects_a_misspelled_key_through_the_same_harness() {
    let Some(helm) = charts::helm() else { return };
    let p = load("mono", Hypervisor::Virtualbox);
    let plan = mlk::plan::build(&p, "");
    let kube = charts::kube_version(&p);
    let r = |name: &str| {
        plan.helm_releases
            .iter()
            .find(|r| r.release == name)
            .unwrap()
    };
    let err = charts::template(
        &helm,
        r("cert-manager"),
        "crds:\n  enable: true\n",
        &kube,
        &[],
    )
    .unwrap_err();
    assert!(err.contains("enable"), "{err}");
    let err = charts::template(
        &helm,
        r("rancher"),
        "hostname: a.b\ningress:\n  servicePort: 8443\n",
        &kube,
        &[],
    )
    .unwrap_err();
    assert!(err.contains("servicePort"), "{err}");
    // Rancher 2.13.8 refuses a Kubernetes it does not support (Chart.yaml kubeVersion).
    let err = charts::template(&helm, r("rancher"), "hostname: a.b\n", "1.35.0", &[]).unwrap_err();
    assert!(err.contains("kube"), "{err}");
}

/// `ingress.allowFrom` (docs/login.md): every dashboard's Ingress carries ingress-nginx's
/// source-range annotation with the profile's networks, in the real charts' output and in
/// Kubeflow's own Ingress; without it, none does.
#[test]
fn allow_from_restricts_every_dashboard_ingress() {
    let base = load("mono", Hypervisor::Virtualbox);
    let cp = base.first_controlplane().ip;
    let net = format!(
        "{}/24",
        std::net::Ipv4Addr::from(u32::from(cp) & 0xffff_ff00)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("allow.yaml");
    let text = format!(
        "{}ingress:\n  allowFrom: [{net}, 203.0.113.7]\n",
        mlk::profile::Source::resolve("mono").unwrap().text
    );
    std::fs::write(&file, text).unwrap();
    let src = mlk::profile::Source::resolve(file.to_str().unwrap()).unwrap();
    let p = mlk::profile::load(
        &src,
        &mlk::profile::Overrides::default(),
        &mlk::profile::validate::host_rules_from_env(),
    )
    .unwrap();
    let key = "nginx.ingress.kubernetes.io/whitelist-source-range";
    let want = format!("{net},203.0.113.7");
    for (profile, expect) in [(&p, Some(want.as_str())), (&base, None)] {
        let files = mlk::render::render_all(profile).unwrap();
        let kf: Value = serde_yaml_ng::from_str(&files["kubeflow/ingress.yaml"]).unwrap();
        assert_eq!(kf["metadata"]["annotations"][key].as_str(), expect);
        let Some(rels) = charts::render(profile, &files) else {
            return;
        };
        for (rel, name) in [
            ("rancher", "rancher"),
            ("chronograf", "chronograf-chronograf"),
        ] {
            let i = find(&rels, rel, "Ingress", name);
            assert_eq!(i["metadata"]["annotations"][key].as_str(), expect, "{rel}");
        }
    }
}
