//! `mlk port-forward SERVICE` on the test host of e2e.rs (sshd in a network namespace, the
//! FAKE kubectl answering the Service lookups with the node's 127.0.0.1, a real HTTP server
//! there): the named and the NAMESPACE/SERVICE[:PORT] forms carry real HTTP; bad names are
//! usage errors; a Service that is not there and a port where nothing listens say so.
use super::world::{setup, text};
use crate::ssh_support::run;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

/// Starts `mlk port-forward ARGS -c CLUSTER` and returns it with the address it printed.
fn forward(w: &super::world::World, args: &[&str]) -> (Child, String) {
    let mut c = w.mlk(None, &["port-forward"]);
    c.args(args).arg("-c").arg(&w.name);
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut addr = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut addr)
        .unwrap();
    (child, addr.trim().to_string())
}

fn get(addr: &str, path: &str) -> std::process::Output {
    std::process::Command::new("curl")
        .args(["-sS", "--max-time", "30"])
        .arg(format!("http://{addr}/{path}"))
        .output()
        .unwrap()
}

fn stop(mut child: Child) -> String {
    let _ = child.kill();
    text(&child.wait_with_output().unwrap().stderr)
}

#[test]
fn port_forward_carries_a_named_or_given_service_and_says_what_fails() {
    let Some(w) = setup() else { return };
    let (st, out) = run(
        &w.node,
        "mkdir -p /tmp/www && echo hello-from-the-node >/tmp/www/hello.txt && \
         (sudo setsid /usr/bin/python3 -m http.server 80 --bind 127.0.0.1 --directory /tmp/www >/tmp/www.log 2>&1 </dev/null &) && \
         for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/80) 2>/dev/null && break; sleep 0.1; done; echo up",
    );
    assert_eq!(st, 0, "{out:?}");
    // A dashboard's name (its Service and port as `mlk open` knows them), then the same
    // Service by NAMESPACE/SERVICE without a port: the Service's first port, asked of kubectl.
    for args in [
        vec!["chronograf"],
        vec!["tick/chronograf-chronograf", "--port", "0"],
    ] {
        let (child, addr) = forward(&w, &args);
        assert!(addr.starts_with("127.0.0.1:"), "{args:?}: {addr:?}");
        let o = get(&addr, "hello.txt");
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout), "hello-from-the-node\n");
        let err = stop(child);
        assert!(
            err.contains("to tick/chronograf-chronograf (127.0.0.1:80) through node1"),
            "{err}"
        );
    }
    // Nothing listens on the node's port 81: the client's connection closes, mlk says why.
    let (child, addr) = forward(&w, &["tick/chronograf-chronograf:81"]);
    let o = get(&addr, "hello.txt");
    assert!(!o.status.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let err = stop(child);
    assert!(
        err.contains("open a tunnel to 127.0.0.1:81 from the node")
            && err.contains("is anything listening there?"),
        "{err}"
    );
    // Not a Kubernetes name (and never into the node's shell): exit 2.
    let o = w.run(None, &["port-forward", "tick/x;reboot"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("service `x;reboot` is not a Kubernetes name"),
        "{}",
        text(&o.stderr)
    );
    let o = w.run(None, &["port-forward", "grafana"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("one of rancher, chronograf, influxdb, kubeflow"),
        "{}",
        text(&o.stderr)
    );
    // A Service kubectl does not find: exit 4 (remote), kubectl's words in the message.
    let o = w.run(None, &["port-forward", "tick/grafana"], &[]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("no ClusterIP and port for service tick/grafana"),
        "{}",
        text(&o.stderr)
    );
}
