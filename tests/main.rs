//! The single integration-test binary: one `mod` per area. Areas marked `cfg(unix)` drive
//! Unix-only machinery (sshd and network namespaces as root, Unix modes, signals, FIFOs);
//! the others compile and run on Windows too (docs/platforms.md).
mod advice;
mod arch;
mod ci_scripts;
#[cfg(unix)]
mod clusters;
#[cfg(unix)]
mod contracts;
#[cfg(unix)]
mod diagnose;
#[cfg(unix)]
mod diagnose_e2e;
#[cfg(unix)]
mod docker_group;
#[cfg(unix)]
mod doctor;
mod doctor_os;
mod download_cache;
mod fleet;
mod foundation;
mod helm_values;
mod host_paths;
#[cfg(unix)]
mod inprocess_executor;
mod kubeconfig_merge;
mod kubeflow_overlay;
mod learned_addresses;
#[cfg(unix)]
mod login;
mod manifest_validation;
#[cfg(unix)]
mod node_prep;
mod node_render;
#[cfg(unix)]
mod registry_mirror;
#[cfg(unix)]
mod reliability;
#[cfg(unix)]
mod report;
mod requests_table;
#[cfg(unix)]
mod rke2_stage;
mod schema_validation;
mod secrets_host;
#[cfg(unix)]
mod ssh_connect;
#[cfg(unix)]
mod ssh_exec;
#[cfg(unix)]
mod ssh_faults;
#[cfg(unix)]
mod ssh_files;
#[cfg(unix)]
mod ssh_support;
#[cfg(unix)]
mod ssh_testhosts;
#[cfg(unix)]
mod stages_remote;
mod tools;
#[cfg(unix)]
mod up;
mod up_preflight;
mod upstream;
mod vagrant_cli;
#[cfg(unix)]
mod workload;
