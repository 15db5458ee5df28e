//! Runs outlive their clusters (issue 13): a real InfluxDB inside a test host holds
//! Telegraf-shaped data; each run's samples are exported by the function `run-workload` calls
//! when a run ends (`runs::export::after_run`: node clock, Service lookup, SSH tunnel); the
//! test host is destroyed; then `mlk report` works from the records alone, and its figures
//! are the ones computed while the host was up.
use super::tunnel::{node_env, start_influxd};
use super::{cli, generate, generate_from};
use crate::ssh_support::{TestHosts, run};
use mlk::remote::{ExecOutput, RemoteError, Runner, SshRunner, Tunnel};
use mlk::report::influx::Client;
use mlk::report::write::Format;
use mlk::runs::RunRecord;
use mlk::runs::samples::Exported;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

fn json_of(files: &[std::path::PathBuf]) -> Value {
    serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap()
}

/// The report without the one line that must differ: where the samples came from.
fn without_origin(mut v: Value) -> (Value, Vec<String>) {
    let mut origins = Vec::new();
    for r in v["runs"].as_array_mut().unwrap() {
        let m = r["method"].as_object_mut().unwrap();
        origins.push(m.remove("data").unwrap().as_str().unwrap().to_string());
    }
    (v, origins)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The test host as `run-workload` sees its first controlplane node: the real node (its
/// `date`, SSH tunnels from it), but this node runs no Kubernetes, so a FAKE kubectl answers
/// the one question mlk asks it here, the address of Service tick/influxdb, with the address
/// influxd listens on inside the node.
struct NodeWithFakeKubectl(Arc<SshRunner>);

impl Runner for NodeWithFakeKubectl {
    fn node(&self) -> &str {
        self.0.node()
    }
    fn exec(
        &self,
        cmd: &str,
        t: Option<std::time::Duration>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<ExecOutput, RemoteError> {
        if cmd.contains("kubectl -n") && cmd.contains("get service influxdb") {
            on_line("127.0.0.1 8086");
            return Ok(ExecOutput {
                status: 0,
                tail: vec![],
            });
        }
        self.0.exec(cmd, t, on_line)
    }
    fn upload(&self, data: &[u8], path: &str, mode: i32) -> Result<(), RemoteError> {
        self.0.upload(data, path, mode)
    }
    fn download(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        self.0.download(path)
    }
    fn tunnel(&self, host: &str, port: u16) -> Result<Box<dyn Tunnel>, RemoteError> {
        self.0.tunnel(host, port)
    }
    fn forward(
        &self,
        host: &str,
        port: u16,
        client: std::net::TcpStream,
    ) -> Result<(), RemoteError> {
        self.0.forward(host, port, client)
    }
}

/// Exports run `name`'s samples with the function `run-workload` calls when a run ends
/// (through the node: its clock, the Service lookup, an SSH tunnel; the cluster's password
/// file), and returns the record as saved.
fn export(node: &Arc<SshRunner>, dir: &Path, name: &str) -> RunRecord {
    let mut said = Vec::new();
    let control: Arc<dyn Runner> = Arc::new(NodeWithFakeKubectl(node.clone()));
    mlk::runs::export::after_run(dir, name, control, None, &mut |l| said.push(l.to_string()))
        .unwrap()
        .expect("the run has a record");
    assert!(
        said.iter().any(|l| l.contains("samples exported to")),
        "{said:?}"
    );
    mlk::runs::load(dir, name).unwrap()
}

#[test]
fn a_report_from_exported_samples_equals_the_live_one_after_the_host_is_gone() {
    let Some(env) = node_env() else { return };
    let (mono, dist) = super::load(&env);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut recs = vec![mono.record("canal"), dist.record("canal")];
    let (node, ssh_config) = {
        let g = env
            ._guard
            .downcast_ref::<(Arc<SshRunner>, TestHosts)>()
            .unwrap();
        (g.0.clone(), g.1.dir.join("ssh_config"))
    };
    for r in &recs {
        cli::cluster(
            root,
            &r.cluster,
            &[r],
            Some(&env.password),
            Some(&ssh_config),
        );
    }
    // An old run (no export) in mono too.
    let mut old = mono.record("canal");
    old.name = "old-1".into();
    cli::cluster(root, "mono", &[&old], None, None);

    // What run-workload does at its end: export, and point the record at the file.
    let bench = std::env::var_os("MLK_BENCH").is_some();
    for r in recs.iter_mut() {
        let dir = root.join(&r.cluster);
        let t = std::time::Instant::now();
        *r = export(&node, &dir, &r.name);
        let took = t.elapsed().as_secs_f64();
        let s = r.samples.clone().expect("the record points at the samples");
        assert!(
            s.source
                .contains("InfluxDB at 127.0.0.1:8086 (tunnelled from node1)"),
            "{}",
            s.source
        );
        assert_eq!(s.file, format!("{}.samples.lp.gz", r.name));
        let file = dir.join("runs").join(&s.file);
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(s.bytes, bytes.len() as u64);
        assert_eq!(s.sha256, mlk::runs::samples::sha256(&bytes));
        assert!(s.points > 1000, "{} points", s.points);
        // The export is the report's span, not the whole database: the other run's samples
        // (half an hour away) are not in it.
        let e = Exported::load(&dir, r).unwrap();
        assert_eq!(e.points() as u64, s.points);
        assert_eq!(e.header.record.name, r.name);
        assert!(e.header.queries.iter().any(|q| q.contains("FROM \"cpu\"")));
        // Integer fields keep line protocol's `i` (SHOW FIELD KEYS), floats do not.
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .unwrap();
        let n_cpus = text.lines().find(|l| l.starts_with("system,")).unwrap();
        assert!(
            n_cpus.contains(" n_cpus=") && n_cpus.split(' ').nth(1).unwrap().ends_with('i'),
            "{n_cpus}"
        );
        let cpu = text.lines().find(|l| l.starts_with("cpu,")).unwrap();
        assert!(
            cpu.starts_with("cpu,cpu=cpu-total,host=node1 usage_active="),
            "{cpu}"
        );
        let floats = cpu.split(' ').nth(1).unwrap();
        assert!(floats.split(',').all(|f| !f.ends_with('i')), "{cpu}");
        // Other pods' veths are left out; the run's pods' veths are in.
        if r.name == "mono-1" {
            let v = super::dataset::veth("mlk-workloads", "mnist-mono-1-abcde");
            assert!(
                text.contains(&format!("interface={v}")),
                "the run pod's veth {v}"
            );
            let other = super::dataset::veth("kube-system", "canal-abcde");
            assert!(!text.contains(&other), "another pod's veth {other}");
        }
        if bench {
            // Read by scripts/bench/report.sh; no test asserts on time or size.
            eprintln!(
                "bench: export of {} via SSH tunnel: {took:.2} s, {} points, {} bytes gzip ({:.1} B/point)",
                r.name,
                s.points,
                s.bytes,
                s.bytes as f64 / s.points as f64
            );
        }
    }

    // While the host is up: the figures from the live InfluxDB, and from the exported files.
    let live = json_of(&generate(&env, &recs, &root.join("live"), Format::Json).unwrap());
    let files: Vec<Exported> = recs
        .iter()
        .map(|r| Exported::load(&root.join(&r.cluster), r).unwrap())
        .collect();
    let inputs: Vec<(&RunRecord, &dyn mlk::report::source::SampleSource)> = recs
        .iter()
        .zip(&files)
        .map(|(r, f)| (r, f as &dyn mlk::report::source::SampleSource))
        .collect();
    let from_files = json_of(
        &mlk::report::generate(&inputs, &root.join("files"), Format::Json)
            .unwrap()
            .files,
    );
    let (live_rest, live_origin) = without_origin(live);
    let (file_rest, file_origin) = without_origin(from_files);
    assert_eq!(live_rest, file_rest, "the same figures from both sources");
    assert!(live_origin[0].starts_with("the cluster's live InfluxDB at test influxd"));
    assert!(
        file_origin[0].starts_with("the run's exported samples mono/runs/mono-1.samples.lp.gz"),
        "{}",
        file_origin[0]
    );

    // The file is InfluxDB's own export format: a second, empty influxd loads it with
    // `influx -import`, and answers the report's queries as the first one did.
    {
        start_influxd(node.as_ref(), "/tmp/mlk-influx2", 8096);
        let fwd = mlk::remote::port_forward::to(node.clone(), "127.0.0.1".into(), 8096);
        super::influxd::init(&fwd, &env.password);
        for r in &recs {
            let f = root
                .join(&r.cluster)
                .join("runs")
                .join(format!("{}.samples.lp.gz", r.name));
            let remote = format!("/tmp/{}.lp.gz", r.name);
            node.upload(&std::fs::read(&f).unwrap(), &remote, 0o644)
                .unwrap();
            let (st, out) = run(
                node.as_ref(),
                &format!(
                    "influx -host 127.0.0.1 -port 8096 -username admin -password {} -import -path={remote} -compressed 2>&1",
                    env.password
                ),
            );
            assert_eq!(st, 0, "influx -import: {out:?}");
            assert!(
                out.iter().any(|l| l.contains("Failed 0 inserts")),
                "{out:?}"
            );
        }
        let again = Client::new(
            fwd,
            "re-imported influxd",
            "telegraf",
            "admin",
            &env.password,
        );
        let reimported =
            json_of(&generate_from(&again, &recs, &root.join("again"), Format::Json).unwrap());
        assert_eq!(
            without_origin(reimported).0,
            live_rest,
            "the re-imported samples answer as the original InfluxDB did"
        );
    }

    // Destroy the test host: its InfluxDB and every sample in it are gone.
    drop(env);
    // `mlk down` as a user runs it: the hosts are forgotten, the run records and their
    // samples are kept. (distributed's profile has three nodes; the inventory names them.)
    let three: String = ["node1", "node2", "node3"]
        .iter()
        .map(|n| format!("Host {n}\n  HostName 127.0.0.1\n  Port 1\n  User vagrant\n"))
        .collect();
    std::fs::write(root.join("distributed/ssh-config"), three).unwrap();
    for c in ["mono", "distributed"] {
        let o = cli::mlk(root, &["down", "-c", c, "-f", "--provider", "ssh"]);
        assert!(o.status.success(), "down {c}: {}", stderr(&o));
        assert!(root.join(c).join("runs").is_dir());
    }
    assert!(root.join("mono/runs/mono-1.samples.lp.gz").is_file());

    // The report from the records alone.
    let out = root.join("after");
    let t = std::time::Instant::now();
    let o = cli::mlk(
        root,
        &[
            "report",
            "mono/mono-1",
            "distributed/dist-1",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    if bench {
        eprintln!(
            "bench: mlk report, 2 runs, json, from exported samples: {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    let after = json_of(&[out.join("report.json")]);
    let (after_rest, after_origin) = without_origin(after);
    assert_eq!(
        after_rest, live_rest,
        "figures after the host is gone = figures while it was up"
    );
    assert_eq!(after_origin, file_origin);
    // The method says where the data came from, in every format and on stderr.
    assert!(
        stderr(&o).contains(
            "run mono-1: data from the run's exported samples mono/runs/mono-1.samples.lp.gz"
        ),
        "{}",
        stderr(&o)
    );
    let o = cli::mlk(
        root,
        &[
            "report",
            "dist-1",
            "--format",
            "md",
            "--out",
            root.join("md").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(root.join("md/report.md")).unwrap();
    assert!(
        md.contains("- data: the run's exported samples distributed/runs/dist-1.samples.lp.gz"),
        "{md}"
    );

    // A run that never exported, in a destroyed cluster: nothing to report from, and why.
    let o = cli::mlk(
        root,
        &[
            "report",
            "mono/old-1",
            "--out",
            root.join("x").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("run mono/old-1: it has no exported samples")
            && e.contains("cluster mono was destroyed")
            && e.contains("cannot be reported"),
        "{e}"
    );
    assert!(!root.join("x").exists());

    // `mlk runs list` shows destroyed clusters' runs and their samples.
    let o = cli::mlk(root, &["runs", "list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| {
                format!(
                    "{}/{}",
                    r["cluster"].as_str().unwrap(),
                    r["name"].as_str().unwrap()
                ) == id
            })
            .unwrap_or_else(|| panic!("no {id} in {rows}"))
            .clone()
    };
    assert_eq!(row("mono/mono-1")["samples"], "exported");
    assert_eq!(row("mono/mono-1")["cluster_state"], "destroyed");
    assert_eq!(row("mono/old-1")["samples"], "none");
    assert_eq!(row("distributed/dist-1")["training_s"], 200);

    // `mlk down --purge` takes the samples with the folder.
    let o = cli::mlk(root, &["down", "-c", "mono", "-f", "--purge"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!root.join("mono").exists());
}
