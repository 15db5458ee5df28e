//! `run-workload`: the built-in manifests (parsed, TF_CONFIG per layout, kubectl's decoder),
//! user manifests, and the run-record logic against a fake kubectl (`fake_*` tests).
mod fake_kubectl;

use mlk::workload::{self, Layout};
use serde::Deserialize;
use serde_yaml_ng::Value;

pub fn profile(name: &str) -> mlk::profile::Profile {
    let src = mlk::profile::Source::resolve(name).unwrap();
    mlk::profile::load(
        &src,
        &mlk::profile::Overrides { provider: None },
        &mlk::commands::host_rules(),
    )
    .unwrap()
}

fn docs(yaml: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn env<'a>(job: &'a Value, name: &str) -> Option<&'a str> {
    job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_sequence()?
        .iter()
        .find(|e| e["name"] == name)?["value"]
        .as_str()
}

#[test]
fn mono_is_one_job_without_tf_config() {
    let p = profile("mono");
    assert_eq!(workload::layout(&p), Layout::Single);
    let m = workload::mnist(&p, "r1", 2).unwrap();
    let d = docs(&m.yaml);
    assert_eq!(
        of_kind(&d, "Namespace")[0]["metadata"]["name"],
        "mlk-workloads"
    );
    let cm = of_kind(&d, "ConfigMap")[0];
    let script = cm["data"]["mnist.py"].as_str().unwrap();
    assert!(script.contains("model.fit(") && script.contains("TF_CONFIG"));
    let jobs = of_kind(&d, "Job");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["metadata"]["name"], "mnist-r1");
    assert_eq!(env(jobs[0], "TF_CONFIG"), Some(""));
    assert_eq!(env(jobs[0], "MLK_EPOCHS"), Some("2"));
    assert_eq!(
        jobs[0]["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"],
        cm["metadata"]["name"]
    );
    assert!(of_kind(&d, "Service").is_empty() && of_kind(&d, "TFJob").is_empty());
    assert_eq!(m.targets.len(), 1);
    assert_eq!(
        (m.targets[0].kind.as_str(), m.targets[0].name.as_str()),
        ("Job", "mnist-r1")
    );
}

#[test]
fn distributed_with_kubeflow_is_a_tfjob_with_one_worker_per_node() {
    let p = profile("distributed");
    assert_eq!(workload::layout(&p), Layout::TfJob);
    let m = workload::mnist(&p, "d1", 3).unwrap();
    let d = docs(&m.yaml);
    let tf = of_kind(&d, "TFJob");
    assert_eq!(tf.len(), 1);
    assert_eq!(tf[0]["apiVersion"], "kubeflow.org/v1");
    let w = &tf[0]["spec"]["tfReplicaSpecs"]["Worker"];
    assert_eq!(w["replicas"].as_u64(), Some(3));
    // The training operator only manages the container named `tensorflow`.
    assert_eq!(w["template"]["spec"]["containers"][0]["name"], "tensorflow");
    assert!(of_kind(&d, "Job").is_empty());
    assert_eq!(m.targets[0].kind, "TFJob");
}

/// Parameter-server layout: TF_CONFIG of every task names every Service, and its own task.
fn check_ps_layout(workers: usize) {
    let mut p = profile("distributed");
    p.components.kubeflow.enabled = false;
    p.nodes.truncate(workers);
    assert_eq!(
        workload::layout(&p),
        if workers > 1 {
            Layout::ParameterServer
        } else {
            Layout::Single
        }
    );
    if workers < 2 {
        return;
    }
    let m = workload::mnist(&p, "ps1", 1).unwrap();
    let d = docs(&m.yaml);
    let jobs = of_kind(&d, "Job");
    let services = of_kind(&d, "Service");
    assert_eq!(jobs.len(), 2 + workers, "chief + ps + one worker per node");
    assert_eq!(services.len(), jobs.len());
    let svc_addrs: Vec<String> = services
        .iter()
        .map(|s| {
            format!(
                "{}.{}.svc:{}",
                s["metadata"]["name"].as_str().unwrap(),
                s["metadata"]["namespace"].as_str().unwrap(),
                s["spec"]["ports"][0]["port"].as_u64().unwrap()
            )
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for job in &jobs {
        let cfg: serde_json::Value = serde_json::from_str(env(job, "TF_CONFIG").unwrap()).unwrap();
        let cluster = cfg["cluster"].as_object().unwrap();
        assert_eq!(cluster["chief"].as_array().unwrap().len(), 1);
        assert_eq!(cluster["ps"].as_array().unwrap().len(), 1);
        assert_eq!(cluster["worker"].as_array().unwrap().len(), workers);
        let mut all: Vec<String> = cluster
            .values()
            .flat_map(|v| {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
            })
            .collect();
        all.sort();
        let mut want = svc_addrs.clone();
        want.sort();
        assert_eq!(
            all, want,
            "every TF_CONFIG address is a Service of the layout"
        );
        let (ty, idx) = (
            cfg["task"]["type"].as_str().unwrap(),
            cfg["task"]["index"].as_u64().unwrap(),
        );
        // The task's own address is the Service that selects this Job's pods.
        let own = cluster[ty][idx as usize].as_str().unwrap();
        let svc = services
            .iter()
            .find(|s| own.starts_with(&format!("{}.", s["metadata"]["name"].as_str().unwrap())))
            .unwrap();
        let labels = &job["spec"]["template"]["metadata"]["labels"];
        for (k, v) in svc["spec"]["selector"].as_mapping().unwrap() {
            assert_eq!(
                &labels[k.as_str().unwrap()],
                v,
                "Service {own} selects the pods of its task"
            );
        }
        assert!(seen.insert((ty.to_string(), idx)), "task {ty}/{idx} twice");
    }
    assert_eq!(m.targets.len(), 1);
    assert_eq!(m.targets[0].name, "mnist-ps1-chief-0");
    assert_eq!(
        m.cleanup.as_ref().unwrap().1,
        "mlk.io/run=ps1,mlk.io/serve=true"
    );
}

#[test]
fn parameter_server_tf_config_per_node_count() {
    for n in 1..=3 {
        check_ps_layout(n);
    }
}

#[test]
fn user_manifests_need_a_job_and_errors_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("w.yaml");
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: train, namespace: ml}\n").unwrap();
    let m = workload::user_file(&f).unwrap();
    assert_eq!(
        m.targets,
        vec![workload::Target {
            kind: "Job".into(),
            name: "train".into(),
            namespace: "ml".into()
        }]
    );
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n").unwrap();
    let e = format!("{:#}", workload::user_file(&f).unwrap_err());
    assert!(e.contains("w.yaml") && e.contains("no Job or TFJob"), "{e}");
    std::fs::write(&f, "kind: [\n").unwrap();
    let e = format!("{:#}", workload::user_file(&f).unwrap_err());
    assert!(
        e.contains("w.yaml") && e.contains("document 1 is not YAML"),
        "{e}"
    );
}

/// kubectl's client-side decoder reads every built-in manifest. Offline, `apply --dry-run=client`
/// stops at API discovery (no server can run here), but it decodes each object's metadata
/// first: a YAML 1.1 trap such as `namespace: y` (a bool) fails there, as the control shows.
#[test]
fn kubectl_decodes_the_built_in_manifests() {
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/kubectl");
    let Some(kubectl) = [tools, "/usr/bin/kubectl".into()]
        .into_iter()
        .find(|p| p.is_file())
    else {
        assert!(std::env::var("CI").is_err(), "kubectl missing in CI");
        eprintln!("SKIP: no kubectl");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // A kubeconfig pointing at a closed loopback port: nothing leaves the machine.
    let kc = tmp.path().join("kubeconfig");
    std::fs::write(&kc, "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n").unwrap();
    let decode = |yaml: &str| {
        let f = tmp.path().join("m.yaml");
        std::fs::write(&f, yaml).unwrap();
        let o = std::process::Command::new(&kubectl)
            .env("KUBECONFIG", &kc)
            .args(["apply", "--dry-run=client", "--validate=false", "-f"])
            .arg(&f)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let mut no_kf = profile("distributed");
    no_kf.components.kubeflow.enabled = false;
    for (what, p) in [
        ("mono", profile("mono")),
        ("distributed", profile("distributed")),
        ("ps", no_kf),
    ] {
        let err = decode(&workload::mnist(&p, "k1", 1).unwrap().yaml);
        assert!(
            !err.contains("unable to decode") && !err.contains("error converting YAML"),
            "{what}: {err}"
        );
        assert!(
            err.contains("127.0.0.1:9"),
            "{what}: kubectl should stop only at discovery: {err}"
        );
    }
    let bad = decode("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x, namespace: y}\n");
    assert!(bad.contains("unable to decode"), "control: {bad}");
}

#[test]
fn run_workload_usage_errors_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("mono")).unwrap();
    let mlk = |args: &[&str]| {
        let o = assert_cmd::Command::cargo_bin("mlk")
            .unwrap()
            .arg("--dir")
            .arg(root)
            .arg("run-workload")
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = mlk(&["--cluster", "nope"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no cluster nope in") && err.contains("mono"),
        "{err}"
    );
    let (code, err) = mlk(&["--name", "Bad_Name"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("run name `Bad_Name`"), "{err}");
    let f = root.join("nojob.yaml");
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n").unwrap();
    let (code, err) = mlk(&["--workload", f.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no Job or TFJob"), "{err}");
    // Everything else is fine: the missing piece is the node inventory, and no run is recorded.
    let (code, err) = mlk(&["--name", "r1"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("cannot read the node inventory") && err.contains("--inventory"),
        "{err}"
    );
    assert!(!root.join("mono/runs/r1.json").exists());
    let rec = mlk::runs::RunRecord {
        name: "r1".into(),
        cluster: "mono".into(),
        profile: "mono".into(),
        workload: "mnist".into(),
        start: "2026-01-01T00:00:00Z".into(),
        end: None,
        outcome: mlk::runs::Outcome::Running,
        nodes: vec![],
        controlplane: String::new(),
    };
    mlk::runs::save(&root.join("mono"), &rec).unwrap();
    let (code, err) = mlk(&["--name", "r1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("run `r1` already exists"), "{err}");
}
