//! The provider seam: where the nodes come from (Vagrant VMs, or SSH hosts that already exist).
pub mod ssh;
pub mod vagrant;

use crate::inventory::Endpoint;
use anyhow::Result;
use serde::Serialize;

/// State of one machine as the provider sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MachineStatus {
    pub name: String,
    /// Provider's own word: running, poweroff, not_created, reachable...
    pub state: String,
    pub running: bool,
}

pub trait Provider: Send + Sync {
    /// Short name for messages: vagrant/libvirt, ssh...
    fn name(&self) -> String;
    /// Creates or starts every machine; idempotent. Returns how to reach each node.
    fn up(&self, log: &mut dyn FnMut(&str)) -> Result<Vec<Endpoint>>;
    /// How to reach each node, without changing anything.
    fn endpoints(&self) -> Result<Vec<Endpoint>>;
    fn status(&self) -> Result<Vec<MachineStatus>>;
    /// Removes every machine; idempotent.
    fn destroy(&self, log: &mut dyn FnMut(&str)) -> Result<()>;
    /// Shuts every machine down, keeping it (`mlk stop`); `up` starts it again.
    fn halt(&self, log: &mut dyn FnMut(&str)) -> Result<()>;
}
