//! The report's figures through mlk's SSH tunnel: a real influxd runs INSIDE a test host
//! (scripts/testhosts.sh, own network namespace), bound to the node's 127.0.0.1, so the only
//! way in is an SSH direct-tcpip channel from the node.
use super::{Env, cli, influxd};
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::remote::{Forwarder, Runner, SshRunner, port_forward};
use std::sync::Arc;

const PORT: u16 = 8086;

/// Starts a real influxd inside the node, its data under `dir`, HTTP on the node's
/// 127.0.0.1:`port` (RPC on `port` + 2).
pub fn start_influxd(runner: &dyn Runner, dir: &str, port: u16) {
    let conf = format!("{dir}.conf");
    runner
        .upload(
            influxd::config(dir, "127.0.0.1", port, port + 2).as_bytes(),
            &conf,
            0o644,
        )
        .expect("upload influxd config");
    let (st, out) = run(
        runner,
        // The subshell detaches influxd from the SSH channel, so exec returns at once.
        &format!(
            "mkdir -p {dir} && (setsid /usr/bin/influxd -config {conf} >{dir}/log 2>&1 </dev/null &) && echo started"
        ),
    );
    assert_eq!(st, 0, "{out:?}");
}

/// Starts influxd in node1 and returns the environment (hosts torn down on drop).
pub fn node_env() -> Option<Env> {
    if !have_root("report through the SSH tunnel") {
        return None;
    }
    if !influxd::available() {
        assert!(
            std::env::var("CI").is_err(),
            "influxd missing in CI (apt package influxdb)"
        );
        eprintln!("SKIP: /usr/bin/influxd not installed (apt-get install influxdb)");
        return None;
    }
    let hosts = TestHosts::up(1);
    let runner = Arc::new(hosts.connect(1));
    start_influxd(runner.as_ref(), "/tmp/mlk-influx", PORT);
    let fwd: Forwarder = port_forward::to(runner.clone(), "127.0.0.1".into(), PORT);
    let password = format!("pw-{:08x}", rand::random::<u32>());
    let env = Env {
        fwd,
        password,
        _guard: Box::new((runner, hosts)),
    };
    influxd::init(&env.fwd, &env.password);
    Some(env)
}

#[test]
fn report_through_the_ssh_tunnel_to_influxd_in_a_test_host() {
    let Some(env) = node_env() else { return };
    let runs = super::check_figures(&env);
    super::check_missing_cpu_count(&env);
    super::check_sampling_is_read_from_the_data(&env);
    super::check_no_data(&env);
    let guard = env
        ._guard
        .downcast_ref::<(Arc<SshRunner>, TestHosts)>()
        .expect("guard");
    // Nothing listens on port 1 inside the node: the channel open fails.
    super::check_influx_errors(
        &env,
        port_forward::to(guard.0.clone(), "127.0.0.1".into(), 1),
    );

    // The command line, end to end: two clusters' runs side by side, through the tunnel.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let ssh_config = guard.1.dir.join("ssh_config");
    cli::cluster(
        root,
        "mono",
        &[&runs[0]],
        Some(&env.password),
        Some(&ssh_config),
    );
    cli::cluster(
        root,
        "distributed",
        &[&runs[1]],
        Some(&env.password),
        Some(&ssh_config),
    );
    let t = std::time::Instant::now();
    let o = cli::mlk(
        root,
        &[
            "report",
            "mono/mono-1",
            "distributed/dist-1",
            "--influx",
            "127.0.0.1:8086",
            "--format",
            "md",
        ],
    );
    if std::env::var_os("MLK_BENCH").is_some() {
        // Read by scripts/bench/report.sh; no test asserts on time.
        eprintln!(
            "bench: mlk report, 2 runs, md, via SSH tunnel: {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let main = std::path::PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert_eq!(main, root.join("mono/reports/mono-1-vs-dist-1/report.md"));
    let md = std::fs::read_to_string(&main).unwrap();
    let want = mlk::report::summary::fmt(
        super::dataset::mono(0).expected().totals["node_cpu_s"],
        "CPU·s",
    );
    assert!(
        md.contains(&format!("| Node CPU-seconds, all nodes | {want} |")),
        "{md}"
    );
    // The command says where each window comes from and how often it was sampled.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("run mono-1: window ") && err.contains("from containers"),
        "{err}"
    );
    assert!(
        err.contains("run dist-1: sampling node inputs (cpu, mem, net, diskio, system) every 1 s"),
        "{err}"
    );
    // Nothing listens there: a clear error, exit class remote (4).
    let o = cli::mlk(
        root,
        &[
            "report",
            "mono/mono-1",
            "--influx",
            "127.0.0.1:1",
            "--out",
            root.join("x").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot reach InfluxDB at 127.0.0.1:1 (tunnelled from node1)"),
        "{err}"
    );
    // Without --influx mlk asks the node's kubectl for Service tick/influxdb; this node has no
    // cluster (and maybe no kubectl), so the lookup fails, and says where and why.
    let y = root.join("y");
    let o = cli::mlk(
        root,
        &["report", "mono/mono-1", "--out", y.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no InfluxDB service found from node1")
            && err.contains("kubectl -n tick get service influxdb")
            && err.contains("stage tick"),
        "{err}"
    );
    assert!(!y.exists());
}
