//! The single integration-test binary: one `mod` per area.
mod foundation;
mod report;
mod ssh_connect;
mod ssh_exec;
mod ssh_faults;
mod ssh_files;
mod ssh_support;
mod download_cache;
mod kubeconfig_merge;
mod secrets_host;
mod tools;
mod advice;
mod doctor;
mod ssh_testhosts;
mod up;
mod helm_values;
mod stages_remote;
