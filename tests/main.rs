//! The single integration-test binary: one `mod` per area.
mod advice;
mod doctor;
mod download_cache;
mod kubeconfig_merge;
mod report;
mod secrets_host;
mod ssh_exec;
mod ssh_support;
mod tools;
mod workload;
