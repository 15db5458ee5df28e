//! The single integration-test binary: one `mod` per area.
mod ssh_exec;
mod ssh_support;
mod up;
