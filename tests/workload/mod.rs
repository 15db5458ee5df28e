//! `run-workload`: the built-in manifests (parsed, TF_CONFIG per layout, the API server's
//! rules, kubectl's decoder, only kinds the installed release serves), user manifests, the
//! dataset staging on sshd test hosts, and the run logic against a fake kubectl (`fake_*`).
mod api_rules;
mod fake_kubectl;
mod kubeflow_release;
mod staging;

use mlk::workload::{self, Layout, Training};
use serde::Deserialize;
use serde_yaml_ng::Value;

pub fn profile(name: &str) -> mlk::profile::Profile {
    let src = mlk::profile::Source::resolve(name).unwrap();
    mlk::profile::load(
        &src,
        &mlk::profile::Overrides {
            provider: None,
            distribution: None,
        },
        &mlk::commands::host_rules(),
    )
    .unwrap()
}

pub fn docs(yaml: &str) -> Vec<Value> {
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

/// Every built-in manifest mlk can render: (what, yaml).
pub fn built_in_manifests() -> Vec<(String, String)> {
    let mut no_kf = profile("distributed");
    no_kf.components.kubeflow.enabled = false;
    let mut two = profile("distributed");
    two.nodes.truncate(2);
    let t = Training::default();
    [
        ("mono", profile("mono")),
        ("distributed", profile("distributed")),
        ("distributed-no-kubeflow", no_kf),
        ("two-nodes", two),
    ]
    .into_iter()
    .map(|(w, p)| (w.to_string(), workload::mnist(&p, "k1", &t).unwrap().yaml))
    .collect()
}

#[test]
fn mono_is_one_job_reading_the_staged_dataset() {
    let p = profile("mono");
    assert_eq!(workload::layout(&p), Layout::Single);
    let t = Training {
        epochs: 2,
        steps_per_epoch: 50,
        batch: 64,
    };
    let m = workload::mnist(&p, "r1", &t).unwrap();
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
    assert_eq!(env(jobs[0], "TF_CONFIG"), None, "one process: no TF_CONFIG");
    assert_eq!(env(jobs[0], "MLK_EPOCHS"), Some("2"));
    assert_eq!(env(jobs[0], "MLK_STEPS_PER_EPOCH"), Some("50"));
    assert_eq!(env(jobs[0], "MLK_BATCH"), Some("64"));
    assert_eq!(env(jobs[0], "MLK_DATASET"), Some("/mlk-data/mnist.npz"));
    let spec = &jobs[0]["spec"]["template"]["spec"];
    let data = spec["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "data")
        .unwrap();
    assert_eq!(data["hostPath"]["path"], "/opt/mlk/datasets");
    assert_eq!(
        spec["volumes"][0]["configMap"]["name"],
        cm["metadata"]["name"]
    );
    assert!(of_kind(&d, "Service").is_empty() && of_kind(&d, "TFJob").is_empty());
    assert_eq!(m.targets.len(), 1);
    assert_eq!(
        (
            m.targets[0].kind.as_str(),
            m.targets[0].name.as_str(),
            m.targets[0].serves
        ),
        ("Job", "mnist-r1", false)
    );
    assert_eq!(m.images, vec!["tensorflow/tensorflow:2.15.0"]);
    assert!(m.dataset && m.crds.is_empty());
    assert_eq!(
        m.cleanup,
        Some(("mlk-workloads".into(), "mlk.io/run=r1".into()))
    );
}

/// Parameter-server layout: TF_CONFIG of every task names every Service, and its own task;
/// one worker per worker node, whatever Kubeflow's setting.
fn check_ps_layout(workers: usize, kubeflow: bool) {
    let mut p = profile("distributed");
    p.components.kubeflow.enabled = kubeflow;
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
    let m = workload::mnist(&p, "ps1", &Training::default()).unwrap();
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
        // Workers may not share a node.
        let anti = &job["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"];
        assert_eq!(ty == "worker", !anti.is_null(), "{ty}");
        assert_eq!(
            labels["mlk.io/serve"],
            if ty == "chief" { "false" } else { "true" }
        );
        assert!(seen.insert((ty.to_string(), idx)), "task {ty}/{idx} twice");
    }
    let chief: Vec<_> = m.targets.iter().filter(|t| !t.serves).collect();
    assert_eq!(chief.len(), 1);
    assert_eq!(chief[0].name, "mnist-ps1-chief-0");
    assert_eq!(
        m.targets.len(),
        jobs.len(),
        "every Job is watched, serving ones too"
    );
    assert_eq!(m.cleanup.as_ref().unwrap().1, "mlk.io/run=ps1");
}

#[test]
fn parameter_server_layout_per_node_count_with_and_without_kubeflow() {
    for n in 1..=3 {
        check_ps_layout(n, false);
        check_ps_layout(n, true);
    }
}

#[test]
fn user_manifests_need_a_job_and_errors_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("w.yaml");
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: train, namespace: ml}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: 'python:3.12-slim'}]\n").unwrap();
    let m = workload::user_file(&f).unwrap();
    assert_eq!(m.targets.len(), 1);
    let t = &m.targets[0];
    assert_eq!(
        (
            t.kind.as_str(),
            t.name.as_str(),
            t.namespace.as_str(),
            t.pods.as_str()
        ),
        ("Job", "train", "ml", "job-name=train")
    );
    assert_eq!(m.images, vec!["python:3.12-slim"]);
    assert!(!m.dataset && m.cleanup.is_none() && m.crds.is_empty());
    // A TFJob needs the CRD that Training Operator v1 installs: checked before applying.
    std::fs::write(&f, "apiVersion: kubeflow.org/v1\nkind: TFJob\nmetadata: {name: tf}\nspec:\n  tfReplicaSpecs:\n    Worker:\n      template:\n        spec:\n          containers: [{name: tensorflow, image: 'tensorflow/tensorflow:2.15.0'}]\n").unwrap();
    let m = workload::user_file(&f).unwrap();
    assert_eq!(m.crds, vec!["tfjobs.kubeflow.org"]);
    assert_eq!(m.targets[0].pods, "training.kubeflow.org/job-name=tf");
    assert_eq!(m.images, vec!["tensorflow/tensorflow:2.15.0"]);
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
    let Some(kubectl) = crate::tools::find("kubectl") else {
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
    for (what, yaml) in built_in_manifests() {
        let err = decode(&yaml);
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
    let (code, err) = mlk(&["--epochs", "0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--epochs"), "{err}");
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
        measure: None,
        samples: None,
        samples_error: None,
    };
    mlk::runs::save(&root.join("mono"), &rec).unwrap();
    let (code, err) = mlk(&["--name", "r1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("run `r1` already exists"), "{err}");
}

/// The parameter-server layout must not ship the dataset through the graph (issue 12): the
/// input pipeline reads the node-local raw file inside the graph, shards per worker, and keeps
/// uint8 until it casts per batch. (scripts/bench/mnist-local.sh measures the traced graph with
/// TensorFlow: 8 KB, against 188 MB for the float32 array the old dataset_fn captured.)
#[test]
fn the_input_pipeline_reads_a_node_local_file_inside_the_graph() {
    let script = include_str!("../../templates/workloads/mnist.py");
    let body = script
        .split("\ndef dataset(")
        .nth(1)
        .and_then(|b| b.split("\n\n\n").next())
        .expect("mnist.py defines dataset()");
    for want in [
        "FixedLengthRecordDataset(X_BIN",
        ".shard(n, i)",
        "ctx.input_pipeline_id",
        ".batch(BATCH, drop_remainder=True)",
        ".map(to_float)",
    ] {
        assert!(body.contains(want), "dataset() lacks {want:?}:\n{body}");
    }
    for captured in ["np.", "from_tensor_slices", "astype", "load_data"] {
        assert!(
            !body.contains(captured),
            "dataset() uses {captured:?}:\n{body}"
        );
    }
    // The cast to float happens after batching, per batch.
    assert!(body.find(".batch(").unwrap() < body.find(".map(to_float)").unwrap());
    // Every layout trains the same steps of the same batch.
    assert!(script.contains("model.fit(data, epochs=EPOCHS, steps_per_epoch=STEPS"));
    assert!(
        !script.contains("tf.keras.datasets.mnist.load_data"),
        "no download in the pods"
    );
}
