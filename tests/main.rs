//! The single integration-test binary: one `mod` per area.
mod report;
mod ssh_exec;
mod ssh_support;
mod download_cache;
mod helm_values;
mod kubeconfig_merge;
mod secrets_host;
mod tools;
mod advice;
mod doctor;
