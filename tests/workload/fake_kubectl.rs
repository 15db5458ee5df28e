//! The run-record logic of `run-workload` against a FAKE kubectl: no Kubernetes API server can
//! run here, so a scripted `Runner` answers the kubectl commands (apply, status, logs). The
//! real submission path is exercised only on a real cluster (docs/report.md).
use mlk::remote::{ExecOutput, RemoteError, Runner, Tunnel};
use mlk::runs::{Outcome, RunRecord};
use mlk::workload::run::{Options, execute};
use std::sync::Mutex;
use std::time::Duration;

struct FakeKubectl {
    /// Answers to successive status polls.
    statuses: Mutex<Vec<&'static str>>,
    apply_status: i32,
    commands: Mutex<Vec<String>>,
    uploads: Mutex<Vec<(String, String)>>,
}

impl FakeKubectl {
    fn new(statuses: Vec<&'static str>, apply_status: i32) -> Self {
        FakeKubectl {
            statuses: Mutex::new(statuses),
            apply_status,
            commands: Mutex::default(),
            uploads: Mutex::default(),
        }
    }
}

impl Runner for FakeKubectl {
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
        let status = if cmd.contains("kubectl apply") {
            on_line("job.batch/mnist-r created");
            self.apply_status
        } else if cmd.contains("-o jsonpath=") {
            let mut s = self.statuses.lock().unwrap();
            on_line(if s.len() > 1 { s.remove(0) } else { s[0] });
            0
        } else if cmd.contains("kubectl -n") && cmd.contains(" logs ") {
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

fn record() -> RunRecord {
    RunRecord {
        name: "r".into(),
        cluster: "mono".into(),
        profile: "mono".into(),
        workload: "mnist".into(),
        start: mlk::report::time::rfc3339(mlk::report::time::now()),
        end: None,
        outcome: Outcome::Running,
        nodes: vec!["node1".into()],
        controlplane: "node1".into(),
    }
}

const FAST: Options = Options {
    poll: Duration::from_millis(10),
    timeout: Duration::from_secs(30),
};

#[test]
fn fake_kubectl_success_records_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let m = mlk::workload::mnist(&super::profile("mono"), "r", 1).unwrap();
    let k = FakeKubectl::new(
        vec!["|", "1|", "1|", "|SuccessCriteriaMet=True,Complete=True,"],
        0,
    );
    let mut said = Vec::new();
    let rec = execute(&k, tmp.path(), &m, record(), &FAST, &mut |l| {
        said.push(l.to_string())
    })
    .unwrap();
    assert_eq!(rec.outcome, Outcome::Succeeded);
    let saved = mlk::runs::load(tmp.path(), "r").unwrap();
    assert_eq!(saved, rec);
    let (s, e) = (
        mlk::report::time::parse(&saved.start).unwrap(),
        mlk::report::time::parse(saved.end.as_ref().unwrap()).unwrap(),
    );
    assert!(e >= s);
    // The rendered manifest went to the node and was applied from there.
    let up = k.uploads.lock().unwrap();
    assert_eq!(up[0].0, "/opt/mlk/workloads/r.yaml");
    assert_eq!(up[0].1, m.yaml);
    assert!(
        k.commands
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.ends_with("kubectl apply -f '/opt/mlk/workloads/r.yaml'"))
    );
    assert!(
        said.iter()
            .any(|l| l.contains("Job mnist-r: 1 pod(s) active")),
        "{said:?}"
    );
    assert!(said.last().unwrap().contains("succeeded"));
}

#[test]
fn fake_kubectl_failure_shows_logs_and_records_failed() {
    let tmp = tempfile::tempdir().unwrap();
    let m = mlk::workload::mnist(&super::profile("mono"), "r", 1).unwrap();
    let k = FakeKubectl::new(vec!["1|", "|FailureTarget=True,Failed=True,"], 0);
    let mut said = Vec::new();
    let err = execute(&k, tmp.path(), &m, record(), &FAST, &mut |l| {
        said.push(l.to_string())
    })
    .unwrap_err();
    assert_eq!(mlk::exit::class_of(&err), mlk::exit::Class::Remote);
    assert!(
        format!("{err:#}").contains("run r failed: Job mnist-r: condition Failed=True"),
        "{err:#}"
    );
    assert!(
        said.iter().any(|l| l.contains("ValueError: boom")),
        "logs shown: {said:?}"
    );
    let saved = mlk::runs::load(tmp.path(), "r").unwrap();
    assert_eq!(saved.outcome, Outcome::Failed);
    assert!(saved.end.is_some());
}

#[test]
fn fake_kubectl_apply_error_and_timeout_are_recorded_failed() {
    let tmp = tempfile::tempdir().unwrap();
    let m = mlk::workload::mnist(&super::profile("mono"), "r", 1).unwrap();
    let k = FakeKubectl::new(vec!["|"], 1);
    let err = execute(&k, tmp.path(), &m, record(), &FAST, &mut |_| {}).unwrap_err();
    assert!(
        format!("{err:#}").contains("kubectl apply failed (exit 1) on node1"),
        "{err:#}"
    );
    assert_eq!(
        mlk::runs::load(tmp.path(), "r").unwrap().outcome,
        Outcome::Failed
    );
    let k = FakeKubectl::new(vec!["1|"], 0);
    let quick = Options {
        poll: Duration::from_millis(5),
        timeout: Duration::from_millis(30),
    };
    let err = execute(&k, tmp.path(), &m, record(), &quick, &mut |_| {}).unwrap_err();
    assert!(
        format!("{err:#}").contains("still running after"),
        "{err:#}"
    );
    assert_eq!(
        mlk::runs::load(tmp.path(), "r").unwrap().outcome,
        Outcome::Failed
    );
}
