//! The single integration-test binary: one `mod` per area.
mod advice;
mod doctor;
mod download_cache;
mod helm_values;
mod kubeconfig_merge;
mod kubeflow_overlay;
mod report;
mod secrets_host;
mod ssh_exec;
mod ssh_support;
mod stages_remote;
mod tools;
