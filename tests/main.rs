//! The single integration-test binary: one `mod` per area.
mod download_cache;
mod helm_values;
mod kubeconfig_merge;
mod secrets_host;
mod tools;
