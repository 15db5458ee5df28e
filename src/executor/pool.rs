//! One SSH runner per node, connected on first use and reconnected after transient faults.
use super::retry::{Backoff, RetryPolicy};
use crate::inventory::Endpoint;
use crate::remote::{Connector, RemoteError, Runner};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

pub struct Pool<'a> {
    connect: &'a Connector,
    retry: RetryPolicy,
    endpoints: Mutex<Option<BTreeMap<String, Endpoint>>>,
    runners: Mutex<BTreeMap<String, Arc<dyn Runner>>>,
    /// Nodes that already have this run's rendered files in /opt/mlk.
    uploaded: Mutex<BTreeSet<String>>,
}

fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<'a> Pool<'a> {
    pub fn new(connect: &'a Connector, retry: RetryPolicy) -> Pool<'a> {
        Pool {
            connect,
            retry,
            endpoints: Mutex::new(None),
            runners: Mutex::new(BTreeMap::new()),
            uploaded: Mutex::new(BTreeSet::new()),
        }
    }

    pub fn has_endpoints(&self) -> bool {
        guard(&self.endpoints).is_some()
    }

    /// Sets where the nodes are (from the provider); drops runners to moved nodes.
    pub fn set_endpoints(&self, eps: Vec<Endpoint>) {
        let map: BTreeMap<String, Endpoint> =
            eps.into_iter().map(|e| (e.name.clone(), e)).collect();
        let mut runners = guard(&self.runners);
        let old = guard(&self.endpoints).replace(map.clone());
        if let Some(old) = old {
            runners.retain(|n, _| old.get(n) == map.get(n));
        }
    }

    pub fn endpoint(&self, node: &str) -> Option<Endpoint> {
        guard(&self.endpoints).as_ref()?.get(node).cloned()
    }

    /// The node's runner, connecting (with retries on transient faults) when there is none.
    pub fn runner(
        &self,
        node: &str,
        on_retry: &dyn Fn(&RemoteError),
    ) -> Result<Arc<dyn Runner>, RemoteError> {
        self.runner_with(node, &mut Backoff::new(self.retry), on_retry)
    }

    /// [`Pool::runner`] within the caller's retry budget: a stage's reconnection after a fault
    /// spends the same outage budget, and a successful connection ends the outage.
    pub fn runner_with(
        &self,
        node: &str,
        backoff: &mut Backoff,
        on_retry: &dyn Fn(&RemoteError),
    ) -> Result<Arc<dyn Runner>, RemoteError> {
        if let Some(r) = guard(&self.runners).get(node) {
            return Ok(r.clone());
        }
        let ep = self.endpoint(node).ok_or_else(|| RemoteError::Fatal {
            node: node.to_string(),
            message: "the provider gave no SSH endpoint for this node".into(),
        })?;
        let runner = loop {
            match (self.connect)(&ep) {
                Ok(r) => break r,
                Err(e) if e.is_transient() => {
                    on_retry(&e);
                    if !backoff.wait() {
                        return Err(RemoteError::Transient {
                            node: node.to_string(),
                            message: format!(
                                "could not connect within the retry budget ({}s from the fault, {} retries): {e}",
                                self.retry.budget.as_secs(),
                                backoff.attempts
                            ),
                        });
                    }
                }
                Err(e) => return Err(e),
            }
        };
        backoff.recovered();
        guard(&self.runners).insert(node.to_string(), runner.clone());
        Ok(runner)
    }

    /// Forgets a node's runner after a transient fault, so the next use reconnects.
    pub fn reset(&self, node: &str) {
        guard(&self.runners).remove(node);
        guard(&self.uploaded).remove(node);
    }

    pub fn is_uploaded(&self, node: &str) -> bool {
        guard(&self.uploaded).contains(node)
    }

    /// The rendered files changed (learned addresses): every node needs them again.
    pub fn forget_uploads(&self) {
        guard(&self.uploaded).clear();
    }

    pub fn mark_uploaded(&self, node: &str) {
        guard(&self.uploaded).insert(node.to_string());
    }
}
