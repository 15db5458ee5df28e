//! Is a (re)started cluster healthy? Every node answers over SSH, and when Kubernetes was
//! installed, the rke-up stage's own check passes on the first controlplane node (every node
//! Ready, CoreDNS available: `templates/stages/rke-up.sh.hbs`). Retried until a deadline,
//! since VMs and kubelets take a while after boot.
use crate::catalogue::StageId;
use crate::exit::{Class, classify};
use crate::inventory::Endpoint;
use crate::remote::Connector;
use crate::remote::{RemoteError, Runner};
use anyhow::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What is checked, and how long to keep trying.
pub struct Check<'a> {
    pub endpoints: &'a [Endpoint],
    /// The first controlplane node's name.
    pub controlplane: &'a str,
    /// The stage that made Kubernetes (its script's `check` is the health check).
    pub kubernetes: StageId,
    /// That stage is recorded done: check Kubernetes too.
    pub installed: bool,
    pub deadline: Instant,
    pub pause: Duration,
}

/// Runs the checks, logging one ✓ line per success; the first failure past the deadline is
/// a remote error (exit 4) naming the node and what did not answer.
pub fn check(c: &Check, connect: &Connector, log: &mut dyn FnMut(&str)) -> Result<()> {
    let mut runners = Vec::new();
    for ep in c.endpoints {
        let r = reach(ep, connect, c)?;
        log(&format!(
            "✓ {} answers over SSH ({}@{}:{})",
            ep.name, ep.user, ep.host, ep.port
        ));
        runners.push((ep.name.clone(), r));
    }
    if !c.installed {
        log(&format!(
            "- Kubernetes: not installed yet (stage {} not done): not checked",
            c.kubernetes
        ));
        return Ok(());
    }
    let Some((_, cp)) = runners.iter().find(|(n, _)| n == c.controlplane) else {
        return Err(classify(
            Class::Usage,
            format!(
                "no endpoint for the first controlplane node {}",
                c.controlplane
            ),
        ));
    };
    let cmd = format!(
        "bash {} check",
        crate::layout::node::path(&c.kubernetes.script_path())
    );
    let mut tail: Vec<String> = Vec::new();
    loop {
        tail.clear();
        let r = cp.exec(&cmd, Some(Duration::from_secs(60)), &mut |l| {
            tail.push(l.to_string())
        });
        match r {
            Ok(o) if o.status == 0 => {
                log(&format!(
                    "✓ Kubernetes: every node Ready, CoreDNS available ({}'s check)",
                    c.kubernetes
                ));
                return Ok(());
            }
            Err(e) if !e.is_transient() => return Err(remote(e)),
            _ if Instant::now() >= c.deadline => {
                let last: Vec<&str> = tail
                    .iter()
                    .rev()
                    .take(5)
                    .rev()
                    .map(String::as_str)
                    .collect();
                return Err(classify(
                    Class::Remote,
                    format!(
                        "{}: Kubernetes is not healthy yet: `{cmd}` still fails{}",
                        c.controlplane,
                        if last.is_empty() {
                            String::new()
                        } else {
                            format!("; last output:\n  {}", last.join("\n  "))
                        }
                    ),
                ));
            }
            _ => std::thread::sleep(c.pause),
        }
    }
}

/// Connects to `ep` and runs `true`, retrying transient faults (a booting VM) until the deadline.
fn reach(ep: &Endpoint, connect: &Connector, c: &Check) -> Result<Arc<dyn Runner>> {
    loop {
        let r = connect(ep).and_then(|r| {
            r.exec("true", Some(Duration::from_secs(30)), &mut |_| {})
                .map(|_| r)
        });
        match r {
            Ok(r) => return Ok(r),
            Err(e) if e.is_transient() && Instant::now() < c.deadline => {
                std::thread::sleep(c.pause);
            }
            Err(e) => return Err(remote(e)),
        }
    }
}

fn remote(e: RemoteError) -> anyhow::Error {
    crate::exit::tag(Class::Remote, "not healthy", e)
}
