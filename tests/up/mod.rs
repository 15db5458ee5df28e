//! `mlk up` on real SSH hosts (sshd in network namespaces): stages, resume, kill -9, lock.
mod conflicts;
mod faults;
mod happy;
mod host;
mod host_failure;
mod journal;
mod kill;
pub mod lab;
mod retry;

/// A cluster name unique to one test.
pub fn cluster(tag: &str) -> String {
    format!("{tag}-{:04x}", rand::random::<u16>())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
