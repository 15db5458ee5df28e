//! The executor with the in-process runner (`LocalRunner::rooted`: snippets run with bash on
//! this machine, each node's files in its own folder): resume, retry, reconnection after a
//! transient fault, interruption and the state each leaves, without root or sshd. The same
//! behaviours against real OpenSSH (test hosts in network namespaces) are in `up::`; these
//! do not replace them: the in-process runner is not a node.
use crate::node_render::load_text;
use mlk::executor::{Inputs, Run, pool::Pool, retry::RetryPolicy};
use mlk::plan::Plan;
use mlk::plan::stages::StageName;
use mlk::progress::{Progress, ProgressMode};
use mlk::provider::ssh::SshProvider;
use mlk::remote::{Connector, ExecOutput, LocalRunner, RemoteError, Runner, Tunnel};
use mlk::state::{Status, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A two-node lab with `stages` (YAML list items), and its folders.
struct Lab {
    dir: tempfile::TempDir,
    plan: Plan,
    provider: SshProvider,
    /// Connections opened, and transient faults still to inject into the next commands.
    connects: Arc<AtomicUsize>,
    faults: Arc<AtomicUsize>,
}

fn lab(stages: &str) -> Lab {
    let yaml = format!(
        "apiVersion: mlk.io/v1alpha1\nkind: Profile\nname: inproc\nprovider: libvirt\nbox: {{name: mlk/bookworm}}\nnodes:\n  - {{name: node1, ip: 192.168.56.10, cpus: 2, memory: 2048, roles: [controlplane, etcd, worker]}}\n  - {{name: node2, ip: 192.168.56.11, cpus: 2, memory: 2048, roles: [worker]}}\ncomponents:\n  local-path: {{enabled: false}}\n  cert-manager: {{enabled: false}}\n  rancher: {{enabled: false}}\n  tick: {{enabled: false}}\n  kubeflow: {{enabled: false}}\nstages:\n{stages}"
    );
    let p = load_text(&yaml, None);
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("hosts");
    std::fs::write(
        &inv,
        "Host node1\n  HostName 127.0.0.1\n  User t\nHost node2\n  HostName 127.0.0.1\n  User t\n",
    )
    .unwrap();
    for n in ["node1", "node2"] {
        std::fs::create_dir_all(dir.path().join(n)).unwrap();
    }
    Lab {
        provider: SshProvider::from_inventory(&inv, &p).unwrap(),
        plan: mlk::plan::build(&p, ""),
        dir,
        connects: Arc::default(),
        faults: Arc::default(),
    }
}

/// The in-process runner, with transient faults injected while `faults` counts down.
struct Flaky {
    inner: LocalRunner,
    faults: Arc<AtomicUsize>,
}

impl Runner for Flaky {
    fn node(&self) -> &str {
        self.inner.node()
    }
    fn exec(
        &self,
        cmd: &str,
        timeout: Option<Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<ExecOutput, RemoteError> {
        if self
            .faults
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(RemoteError::Transient {
                node: self.node().into(),
                message: "connection reset (injected)".into(),
            });
        }
        self.inner.exec(cmd, timeout, on_line)
    }
    fn upload(&self, data: &[u8], path: &str, mode: i32) -> Result<(), RemoteError> {
        self.inner.upload(data, path, mode)
    }
    fn download(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        self.inner.download(path)
    }
    fn tunnel(&self, host: &str, port: u16) -> Result<Box<dyn Tunnel>, RemoteError> {
        self.inner.tunnel(host, port)
    }
}

impl Lab {
    fn node(&self, n: &str) -> PathBuf {
        self.dir.path().join(n)
    }

    /// Runs every custom stage once, as `mlk up --only` them would.
    fn up(&self, store: &Store) -> anyhow::Result<mlk::executor::Summary> {
        let root = self.dir.path().to_path_buf();
        let (connects, faults) = (self.connects.clone(), self.faults.clone());
        let connect: Box<Connector> = Box::new(move |ep| {
            connects.fetch_add(1, Ordering::SeqCst);
            Ok(Arc::new(Flaky {
                inner: LocalRunner::rooted(&ep.name, &root.join(&ep.name)),
                faults: faults.clone(),
            }) as Arc<dyn Runner>)
        });
        let retry = RetryPolicy {
            budget: Duration::from_secs(5),
            base: Duration::from_millis(10),
            cap: Duration::from_millis(50),
        };
        let progress = Progress::new(ProgressMode::Never, false, self.dir.path()).unwrap();
        let host = LocalRunner::new("host");
        let run = Run {
            plan: &self.plan,
            host: &host,
            cluster_dir: self.dir.path(),
            provider: &self.provider,
            pool: Pool::new(connect.as_ref(), retry),
            state: store,
            progress: &progress,
            retry,
        };
        let picked: Vec<usize> = (self.plan.stages.iter().enumerate())
            .filter(|(_, s)| matches!(s.id, StageName::Custom(_)))
            .map(|(i, _)| i)
            .collect();
        let inputs = Inputs::new(&self.plan, Default::default())?;
        mlk::executor::execute(&run, &picked, inputs)
    }

    fn store(&self) -> Store {
        Store::open(self.dir.path(), "inproc").unwrap()
    }
}

fn lines(p: &Path) -> usize {
    std::fs::read_to_string(p).map_or(0, |t| t.lines().count())
}

#[test]
fn in_process_runner_records_done_and_a_rerun_resumes_without_running_again() {
    let l = lab("  - id: count\n    after: docker\n    run: echo ran >> runs\n");
    let s = l.store();
    assert_eq!(s.get("count", "node1"), None);
    let sum = l.up(&s).unwrap();
    assert_eq!((sum.ran.len(), sum.already_done.len()), (1, 0));
    for n in ["node1", "node2"] {
        let r = s.get("count", n).unwrap();
        assert_eq!(r.status, Status::Done);
        assert!(r.started.is_some() && r.ended.is_some());
        assert_eq!(lines(&l.node(n).join("runs")), 1);
    }
    // A new run (a new store read from the file) finds it done with the same inputs.
    let s = l.store();
    let sum = l.up(&s).unwrap();
    assert_eq!((sum.ran.len(), sum.already_done.len()), (0, 1));
    assert_eq!(lines(&l.node("node1").join("runs")), 1, "not run again");
}

#[test]
fn in_process_runner_a_failure_is_recorded_and_the_rerun_runs_only_where_it_failed() {
    let l = lab(
        "  - id: flaky\n    after: docker\n    run: |\n      echo ran >> runs\n      if [ \"$MLK_NODE\" = node2 ] && [ ! -f ok ]; then echo 'disk on fire'; exit 7; fi\n",
    );
    let s = l.store();
    let err = format!("{:#}", l.up(&s).unwrap_err());
    assert!(
        err.contains("node2") && err.contains("disk on fire"),
        "{err}"
    );
    assert_eq!(s.get("flaky", "node1").unwrap().status, Status::Done);
    let failed = s.get("flaky", "node2").unwrap();
    assert_eq!(failed.status, Status::Failed);
    assert!(failed.message.unwrap().contains("status 7"));
    std::fs::write(l.node("node2").join("ok"), "").unwrap();
    let s = l.store();
    let sum = l.up(&s).unwrap();
    assert_eq!(sum.ran.len(), 1);
    assert_eq!(s.get("flaky", "node2").unwrap().status, Status::Done);
    assert_eq!(lines(&l.node("node1").join("runs")), 1, "node1 was done");
    assert_eq!(lines(&l.node("node2").join("runs")), 2);
}

#[test]
fn in_process_runner_retries_a_retry_safe_stage_and_reconnects_after_a_transient_fault() {
    let l = lab(
        "  - id: second-try\n    after: docker\n    retry: true\n    run: |\n      echo ran >> runs\n      [ \"$(wc -l < runs)\" -ge 2 ]\n",
    );
    // One injected connection reset: that node's runner is dropped and connected again.
    l.faults.store(1, Ordering::SeqCst);
    let s = l.store();
    l.up(&s).unwrap();
    for n in ["node1", "node2"] {
        assert_eq!(s.get("second-try", n).unwrap().status, Status::Done);
        assert_eq!(
            lines(&l.node(n).join("runs")),
            2,
            "{n}: failed once, then retried"
        );
    }
    assert_eq!(
        l.connects.load(Ordering::SeqCst),
        3,
        "two nodes, one reconnection"
    );
    assert_eq!(l.faults.load(Ordering::SeqCst), 0);
}

#[test]
fn in_process_runner_an_interrupted_stage_is_recorded_failed_so_a_resume_runs_it() {
    let l = lab("  - id: slow\n    after: docker\n    run: touch started; sleep 2\n");
    let s = Arc::new(l.store());
    std::thread::scope(|scope| {
        let s2 = s.clone();
        let l = &l;
        let h = scope.spawn(move || l.up(&s2));
        while !(l.node("node1").join("started").exists()
            && l.node("node2").join("started").exists())
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(s.get("slow", "node1").unwrap().status, Status::Running);
        {
            // What Ctrl-C does (the handler then exits): running records become failed on
            // disk, and nothing else is recorded while it holds the state.
            let _held = s.interrupt("interrupted by a signal");
            let on_disk = Store::open(l.dir.path(), "inproc").unwrap();
            for n in ["node1", "node2"] {
                let r = on_disk.get("slow", n).unwrap();
                assert_eq!(r.status, Status::Failed);
                assert_eq!(r.message.as_deref(), Some("interrupted by a signal"));
            }
        }
        // Here the process would be gone; this one lets the stage end.
        h.join().unwrap().unwrap();
    });
}

#[test]
fn in_process_runner_host_stages_run_through_the_host_runner_and_resume_too() {
    let out = tempfile::tempdir().unwrap();
    let f = out.path().join("host-ran");
    let l = lab(&format!(
        "  - id: on-host\n    after: docker\n    target: host\n    run: echo \"$MLK_STAGE on $MLK_NODE\" >> {}\n",
        f.display()
    ));
    let s = l.store();
    l.up(&s).unwrap();
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "on-host on host\n");
    assert_eq!(s.get("on-host", "host").unwrap().status, Status::Done);
    let sum = l.up(&l.store()).unwrap();
    assert_eq!(sum.already_done.len(), 1);
    assert_eq!(lines(&f), 1);
}
