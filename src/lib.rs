//! mlk: a machine-learning Kubernetes lab from a YAML profile, in resumable stages.
pub mod addon;
pub mod advice;
pub mod catalogue;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod diagnose;
pub mod distribution;
pub mod doctor;
pub mod executor;
pub mod exit;
pub mod fleet;
pub mod fsutil;
pub mod inventory;
pub mod kubeconfig;
pub mod layout;
pub mod lockfile;
pub mod login;
pub mod manifest;
pub mod plan;
pub mod platform;
pub mod profile;
pub mod progress;
pub mod provider;
pub mod quote;
pub mod remote;
pub mod render;
pub mod report;
pub mod runs;
pub mod stages;
pub mod state;
pub mod text;
pub mod version;
pub mod workload;

/// Runs one parsed command line.
pub fn run(cli: cli::Cli) -> anyhow::Result<()> {
    commands::dispatch(cli)
}
