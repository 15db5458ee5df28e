//! The report's figures through mlk's SSH tunnel: a real influxd runs INSIDE a test host
//! (scripts/testhosts.sh, own network namespace), bound to the node's 127.0.0.1, so the only
//! way in is an SSH direct-tcpip channel from the node.
use super::{Dial, Env, influxd};
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::remote::{Runner, SshRunner, Tunnel};
use std::sync::Arc;

const PORT: u16 = 8086;

/// Starts influxd in node1 and returns the environment (hosts torn down on drop).
fn node_env() -> Option<Env> {
    if !have_root("report through the SSH tunnel") {
        return None;
    }
    if !influxd::available() {
        assert!(std::env::var("CI").is_err(), "influxd missing in CI (apt package influxdb)");
        eprintln!("SKIP: /usr/bin/influxd not installed (apt-get install influxdb)");
        return None;
    }
    let hosts = TestHosts::up(1);
    let runner = Arc::new(hosts.connect(1));
    let dir = "/tmp/mlk-influx";
    runner
        .upload(influxd::config(dir, "127.0.0.1", PORT, PORT + 2).as_bytes(), "/tmp/influxdb.conf", 0o644)
        .expect("upload influxd config");
    let (st, out) = run(
        runner.as_ref(),
        // The subshell detaches influxd from the SSH channel, so exec returns at once.
        &format!("mkdir -p {dir} && (setsid /usr/bin/influxd -config /tmp/influxdb.conf >{dir}/log 2>&1 </dev/null &) && echo started"),
    );
    assert_eq!(st, 0, "{out:?}");
    let r = runner.clone();
    let dial: Dial = Arc::new(move || Ok(r.tunnel("127.0.0.1", PORT)?));
    let password = format!("pw-{:08x}", rand::random::<u32>());
    let env = Env { dial, password, _guard: Box::new((runner, hosts)) };
    influxd::init(&|| env.dialer(), &env.password);
    Some(env)
}

#[test]
fn report_through_the_ssh_tunnel_to_influxd_in_a_test_host() {
    let Some(env) = node_env() else { return };
    super::check_figures(&env);
    super::check_no_data(&env);
    let guard = env._guard.downcast_ref::<(Arc<SshRunner>, TestHosts)>().expect("guard");
    let r = guard.0.clone();
    // Nothing listens on port 1 inside the node: the channel open fails.
    super::check_influx_errors(&env, Box::new(move || Ok(r.tunnel("127.0.0.1", 1)? as Box<dyn Tunnel>)));
}
