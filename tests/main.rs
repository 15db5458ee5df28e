//! The single integration-test binary: one `mod` per area.
mod ssh_connect;
mod ssh_exec;
mod ssh_faults;
mod ssh_files;
mod ssh_support;
mod up;
mod ssh_testhosts;
