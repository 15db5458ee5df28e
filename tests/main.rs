//! The single integration-test binary: one `mod` per area.
mod report;
mod ssh_exec;
mod ssh_support;
mod workload;
