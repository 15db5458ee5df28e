//! The run logic of `run-workload` against a FAKE kubectl: no Kubernetes API server can run
//! here, so a scripted `Runner` answers the commands (sha256sum, docker, date, kubectl) with
//! JSON in the shape of the Kubernetes API objects (batch/v1 Job `status.conditions`; v1 Pod
//! `status.phase`, `status.containerStatuses[].state.{running,terminated}` with `startedAt`,
//! `finishedAt`, `exitCode`). The real submission path is exercised only on a real cluster (docs/report.md).
use mlk::remote::{ExecOutput, RemoteError, Runner, Tunnel};
use mlk::runs::{Measure, Outcome, RunRecord};
use mlk::stages::binaries::Runners;
use mlk::stages::cache::Cache;
use mlk::workload::run::{Nodes, Options, execute};
use mlk::workload::{Manifest, Training};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Fake {
    /// Per Job/TFJob name: successive (object JSON, pods JSON) answers; the last repeats.
    status: Mutex<BTreeMap<String, Vec<(String, String)>>>,
    /// The answer to the final `get pods -l <run> -o json`.
    final_pods: String,
    apply_status: i32,
    crd_status: i32,
    clock: Mutex<Vec<i64>>,
    commands: Mutex<Vec<String>>,
    uploads: Mutex<Vec<(String, String)>>,
}

impl Fake {
    fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }
    fn index(&self, needle: &str) -> usize {
        self.commands()
            .iter()
            .position(|c| c.contains(needle))
            .unwrap_or_else(|| panic!("no command with {needle:?}: {:#?}", self.commands()))
    }
}

impl Runner for Fake {
    fn node(&self) -> &str {
        "node1"
    }
    fn exec(
        &self,
        cmd: &str,
        _t: Option<Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<ExecOutput, RemoteError> {
        self.commands.lock().unwrap().push(cmd.to_string());
        let status = if cmd.starts_with("sha256sum ") {
            on_line(&format!(
                "{}  /opt/mlk/datasets/mnist.npz",
                mlk::workload::prepare::MNIST.sha256
            ));
            0
        } else if cmd.contains("docker image inspect") {
            on_line("present");
            0
        } else if cmd == "date -u +%s" {
            let mut c = self.clock.lock().unwrap();
            on_line(&c.remove(0).to_string());
            0
        } else if cmd.contains("get crd") {
            if self.crd_status != 0 {
                on_line(
                    "Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io \"tfjobs.kubeflow.org\" not found",
                );
            }
            self.crd_status
        } else if cmd.contains("kubectl apply") {
            on_line("job.batch/mnist-r created");
            self.apply_status
        } else if cmd.contains("--ignore-not-found") {
            let name = cmd
                .split(" get ")
                .nth(1)
                .and_then(|r| r.split('\'').nth(1))
                .unwrap()
                .to_string();
            let mut all = self.status.lock().unwrap();
            let seq = all
                .get_mut(&name)
                .unwrap_or_else(|| panic!("no status for {name}"));
            let (obj, pods) = if seq.len() > 1 {
                seq.remove(0)
            } else {
                seq[0].clone()
            };
            for l in obj.lines() {
                on_line(l);
            }
            on_line(mlk::workload::kube::MARK);
            on_line(&pods);
            0
        } else if cmd.contains("get pods -l") && cmd.ends_with("-o json") {
            on_line(&self.final_pods);
            0
        } else if cmd.contains(" logs -l ") {
            on_line("NAME READY STATUS");
            on_line("[pod/mnist-r-abc/tensorflow] ValueError: boom");
            0
        } else {
            0
        };
        Ok(ExecOutput {
            status,
            tail: vec![],
        })
    }
    fn upload(&self, data: &[u8], path: &str, _mode: i32) -> Result<(), RemoteError> {
        self.uploads
            .lock()
            .unwrap()
            .push((path.into(), String::from_utf8_lossy(data).into()));
        Ok(())
    }
    fn download(&self, _path: &str) -> Result<Vec<u8>, RemoteError> {
        unimplemented!("not used by run-workload")
    }
    fn tunnel(&self, _h: &str, _p: u16) -> Result<Box<dyn Tunnel>, RemoteError> {
        unimplemented!("not used by run-workload")
    }
}

fn job(conditions: &[(&str, &str)]) -> String {
    let c: Vec<String> = conditions
        .iter()
        .map(|(t, reason)| {
            format!(
                r#"{{"type":"{t}","status":"True","reason":"{reason}","message":"","lastTransitionTime":"2026-01-01T10:05:00Z"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"apiVersion":"batch/v1","kind":"Job","metadata":{{"name":"x","namespace":"mlk-workloads"}},"status":{{"active":1,"conditions":[{}]}}}}"#,
        c.join(",")
    )
}

/// A pod as `kubectl get pods -o json` prints it (trimmed to the fields mlk reads).
fn pod(name: &str, task: &str, serve: bool, node: &str, phase: &str, state: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","namespace":"mlk-workloads","labels":{{"mlk.io/run":"r","mlk.io/task":"{task}","mlk.io/serve":"{serve}"}}}},"spec":{{"nodeName":"{node}"}},"status":{{"phase":"{phase}","containerStatuses":[{{"name":"tensorflow","restartCount":0,"state":{state}}}]}}}}"#
    )
}

fn list(items: &[String]) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}],"metadata":{{"resourceVersion":""}}}}"#,
        items.join(",")
    )
}

const RUNNING: &str = r#"{"running":{"startedAt":"2026-01-01T10:00:05Z"}}"#;
const DONE: &str = r#"{"terminated":{"exitCode":0,"reason":"Completed","startedAt":"2026-01-01T10:00:05Z","finishedAt":"2026-01-01T10:06:40Z"}}"#;

fn record(name: &str, cluster: &str) -> RunRecord {
    RunRecord {
        name: name.into(),
        cluster: cluster.into(),
        profile: cluster.into(),
        workload: "mnist".into(),
        start: mlk::report::time::rfc3339(mlk::report::time::now()),
        end: None,
        outcome: Outcome::Running,
        nodes: vec!["node1".into()],
        controlplane: "node1".into(),
        measure: Some(Measure {
            window: None,
            baseline: None,
            pods: vec![],
            distribution: "rke1-docker".into(),
            network_plugin: "canal".into(),
            private_iface: "eth1".into(),
            node_interval_s: 1,
            pod_interval_s: 10,
            images: vec![],
            dataset: None,
            training: None,
            node_specs: vec![],
        }),
        samples: None,
        samples_error: None,
    }
}

fn opts(baseline: Duration, timeout: Duration) -> Options {
    Options {
        poll: Duration::from_millis(5),
        timeout,
        baseline,
    }
}

/// Runs `m` against `fake`; returns the result and everything said.
fn go(
    fake: &Arc<Fake>,
    dir: &std::path::Path,
    m: &Manifest,
    rec: RunRecord,
    o: &Options,
) -> (anyhow::Result<RunRecord>, Vec<String>) {
    let mut all = Runners::new();
    all.insert("node1".into(), fake.clone() as Arc<dyn Runner>);
    let cache = Cache::new(dir.join("cache"), false);
    let nodes = Nodes {
        control: fake.as_ref(),
        all: &all,
        cache: Some(&cache),
    };
    let mut said = Vec::new();
    let r = execute(&nodes, dir, m, rec, o, &mut |l| said.push(l.to_string()));
    (r, said)
}

#[test]
fn fake_kubectl_success_records_window_baseline_pods_and_cleans_up_after_the_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let m = mlk::workload::mnist(&super::profile("mono"), "r", &Training::default()).unwrap();
    let p = |phase, state| {
        list(&[pod(
            "mnist-r-abcde",
            "single-0",
            false,
            "node1",
            phase,
            state,
        )])
    };
    let fake = Arc::new(Fake {
        status: Mutex::new(BTreeMap::from([(
            "mnist-r".to_string(),
            vec![
                (String::new(), list(&[])),
                (
                    job(&[]),
                    p("Pending", r#"{"waiting":{"reason":"ContainerCreating"}}"#),
                ),
                (job(&[]), p("Running", RUNNING)),
                (
                    job(&[
                        ("SuccessCriteriaMet", "CompletionsReached"),
                        ("Complete", "CompletionsReached"),
                    ]),
                    p("Succeeded", DONE),
                ),
            ],
        )])),
        final_pods: p("Succeeded", DONE),
        clock: Mutex::new(vec![1_767_261_540, 1_767_261_600]),
        ..Default::default()
    });
    let (r, said) = go(
        &fake,
        tmp.path(),
        &m,
        record("r", "mono"),
        &opts(Duration::from_millis(10), Duration::from_secs(30)),
    );
    let rec = r.unwrap();
    assert_eq!(rec.outcome, Outcome::Succeeded);
    assert_eq!(mlk::runs::load(tmp.path(), "r").unwrap(), rec);
    let me = rec.measure.unwrap();
    let w = me.window.unwrap();
    assert_eq!(
        (w.start.as_str(), w.end.as_str(), w.source.as_str()),
        ("2026-01-01T10:00:05Z", "2026-01-01T10:06:40Z", "containers")
    );
    let b = me.baseline.unwrap();
    assert_eq!(
        (b.start.as_str(), b.end.as_str(), b.source.as_str()),
        ("2026-01-01T09:59:00Z", "2026-01-01T10:00:00Z", "node-clock")
    );
    assert_eq!(me.pods.len(), 1);
    assert_eq!(
        (
            me.pods[0].role.as_str(),
            me.pods[0].node.as_str(),
            me.pods[0].serves
        ),
        ("single", "node1", false)
    );
    assert_eq!(me.pods[0].containers[0].exit_code, Some(0));
    // Order: dataset and image checked, baseline, apply; then pods, logs, and only then cleanup.
    let at = |n: &str| fake.index(n);
    assert!(at("sha256sum '/opt/mlk/datasets/mnist.npz'") < at("kubectl apply"));
    assert!(at("docker image inspect 'tensorflow/tensorflow:2.15.0'") < at("kubectl apply"));
    assert!(at("date -u +%s") < at("kubectl apply"));
    assert!(at(" logs -l 'mlk.io/run=r'") < at("delete job,service,configmap -l 'mlk.io/run=r'"));
    let up = fake.uploads.lock().unwrap();
    assert_eq!(up[0].0, "/opt/mlk/workloads/r.yaml");
    assert_eq!(up[0].1, m.yaml);
    assert!(
        said.iter()
            .any(|l| l.contains("Job mnist-r: 1 Pending (ContainerCreating)")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|l| l.contains("Job mnist-r: 1 Running")),
        "{said:?}"
    );
    let logs = std::fs::read_to_string(mlk::runs::log_path(tmp.path(), "r")).unwrap();
    assert!(logs.contains("ValueError: boom"), "{logs}");
    assert!(said.last().unwrap().contains("succeeded"));
}

#[test]
fn fake_kubectl_a_crashed_worker_fails_the_run_at_once_and_its_logs_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = super::profile("distributed");
    p.nodes.truncate(2);
    let m = mlk::workload::mnist(&p, "d", &Training::default()).unwrap();
    let running = |name: &str, task: &str, serve: bool| {
        (
            job(&[]),
            list(&[pod(name, task, serve, "node1", "Running", RUNNING)]),
        )
    };
    let crashed = r#"{"terminated":{"exitCode":1,"reason":"Error","startedAt":"2026-01-01T10:00:05Z","finishedAt":"2026-01-01T10:01:00Z"}}"#;
    let mut status = BTreeMap::new();
    for t in &m.targets {
        let task = t.name.trim_start_matches("mnist-d-").to_string();
        status.insert(
            t.name.clone(),
            vec![running(&format!("{}-x", t.name), &task, t.serves)],
        );
    }
    status.insert(
        "mnist-d-worker-1".into(),
        vec![
            running("mnist-d-worker-1-x", "worker-1", true),
            (
                job(&[]),
                list(&[pod(
                    "mnist-d-worker-1-x",
                    "worker-1",
                    true,
                    "node2",
                    "Failed",
                    crashed,
                )]),
            ),
        ],
    );
    let fake = Arc::new(Fake {
        status: Mutex::new(status),
        final_pods: list(&[
            pod(
                "mnist-d-chief-0-x",
                "chief-0",
                false,
                "node1",
                "Running",
                RUNNING,
            ),
            pod(
                "mnist-d-worker-1-x",
                "worker-1",
                true,
                "node2",
                "Failed",
                crashed,
            ),
        ]),
        ..Default::default()
    });
    // A long --timeout: the run must end on the crash, not on the timeout.
    let (r, said) = go(
        &fake,
        tmp.path(),
        &m,
        record("d", "distributed"),
        &opts(Duration::ZERO, Duration::from_secs(600)),
    );
    let err = format!("{:#}", r.unwrap_err());
    assert!(
        err.contains("run d failed: Job mnist-d-worker-1: pod mnist-d-worker-1-x: container tensorflow exited 1 (Error)"),
        "{err}"
    );
    assert!(!err.contains("still running"));
    let saved = mlk::runs::load(tmp.path(), "d").unwrap();
    assert_eq!(saved.outcome, Outcome::Failed);
    let me = saved.measure.unwrap();
    assert!(me.window.is_none(), "the chief never finished");
    assert_eq!(me.pods.len(), 2);
    assert!(
        said.iter().any(|l| l.contains("no training window")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|l| l.contains("ValueError: boom")),
        "logs shown: {said:?}"
    );
    assert!(fake.index(" logs -l ") < fake.index("delete job,service,configmap"));
    assert!(
        fake.commands().iter().all(|c| !c.contains("date -u")),
        "no baseline asked for"
    );
}

#[test]
fn fake_kubectl_apply_error_and_timeout_are_recorded_failed() {
    let tmp = tempfile::tempdir().unwrap();
    let m = mlk::workload::mnist(&super::profile("mono"), "r", &Training::default()).unwrap();
    let fake = Arc::new(Fake {
        status: Mutex::new(BTreeMap::from([(
            "mnist-r".to_string(),
            vec![(String::new(), list(&[]))],
        )])),
        final_pods: list(&[]),
        apply_status: 1,
        ..Default::default()
    });
    let (r, _) = go(
        &fake,
        tmp.path(),
        &m,
        record("r", "mono"),
        &opts(Duration::ZERO, Duration::from_secs(30)),
    );
    let err = format!("{:#}", r.unwrap_err());
    assert!(
        err.contains("kubectl apply failed (exit 1) on node1"),
        "{err}"
    );
    assert_eq!(
        mlk::runs::load(tmp.path(), "r").unwrap().outcome,
        Outcome::Failed
    );
    let fake = Arc::new(Fake {
        status: Mutex::new(BTreeMap::from([(
            "mnist-r".to_string(),
            vec![(
                job(&[]),
                list(&[pod(
                    "mnist-r-a",
                    "single-0",
                    false,
                    "node1",
                    "Running",
                    RUNNING,
                )]),
            )],
        )])),
        final_pods: list(&[]),
        ..Default::default()
    });
    let (r, _) = go(
        &fake,
        tmp.path(),
        &m,
        record("r2", "mono"),
        &opts(Duration::ZERO, Duration::from_millis(30)),
    );
    let err = format!("{:#}", r.unwrap_err());
    assert!(err.contains("still running after"), "{err}");
    assert_eq!(
        mlk::runs::load(tmp.path(), "r2").unwrap().outcome,
        Outcome::Failed
    );
}

fn tfjob_file(dir: &std::path::Path) -> Manifest {
    let f = dir.join("tf.yaml");
    std::fs::write(&f, "apiVersion: kubeflow.org/v1\nkind: TFJob\nmetadata: {name: tf, namespace: ml}\nspec:\n  tfReplicaSpecs:\n    Worker:\n      replicas: 2\n      template:\n        spec:\n          containers: [{name: tensorflow, image: 'tensorflow/tensorflow:2.15.0'}]\n").unwrap();
    mlk::workload::user_file(&f).unwrap()
}

#[test]
fn fake_kubectl_a_tfjob_without_its_crd_is_refused_before_anything_is_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tfjob_file(tmp.path());
    let fake = Arc::new(Fake {
        crd_status: 1,
        ..Default::default()
    });
    let (r, _) = go(
        &fake,
        tmp.path(),
        &m,
        record("t", "distributed"),
        &opts(Duration::ZERO, Duration::from_secs(30)),
    );
    let err = format!("{:#}", r.unwrap_err());
    assert!(
        err.contains("the cluster serves no tfjobs.kubeflow.org") && err.contains("Trainer v2"),
        "{err}"
    );
    assert!(fake.commands().iter().all(|c| !c.contains("kubectl apply")));
    assert_eq!(
        mlk::runs::load(tmp.path(), "t").unwrap().outcome,
        Outcome::Failed
    );
}

#[test]
fn fake_kubectl_progress_counts_the_pods_of_a_kubeflow_job() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tfjob_file(tmp.path());
    let tf = |conds: &str| {
        format!(
            r#"{{"apiVersion":"kubeflow.org/v1","kind":"TFJob","metadata":{{"name":"tf"}},"status":{{"conditions":[{conds}]}}}}"#
        )
    };
    let two = list(&[
        pod("tf-worker-0", "", false, "node1", "Running", RUNNING),
        pod("tf-worker-1", "", false, "node2", "Running", RUNNING),
    ]);
    let fake = Arc::new(Fake {
        status: Mutex::new(BTreeMap::from([(
            "tf".to_string(),
            vec![
                (
                    tf(r#"{"type":"Created","status":"True"},{"type":"Running","status":"True"}"#),
                    two.clone(),
                ),
                (
                    tf(
                        r#"{"type":"Running","status":"False"},{"type":"Succeeded","status":"True"}"#,
                    ),
                    two.clone(),
                ),
            ],
        )])),
        final_pods: two,
        ..Default::default()
    });
    let (r, said) = go(
        &fake,
        tmp.path(),
        &m,
        record("t", "distributed"),
        &opts(Duration::ZERO, Duration::from_secs(30)),
    );
    r.unwrap();
    assert!(
        said.iter().any(|l| l.contains("TFJob tf: 2 Running")),
        "{said:?}"
    );
    assert!(
        fake.commands()
            .iter()
            .any(|c| c.contains("get pods -l 'training.kubeflow.org/job-name=tf'"))
    );
    // A user's objects are the user's: mlk deletes nothing.
    assert!(fake.commands().iter().all(|c| !c.contains(" delete ")));
}
