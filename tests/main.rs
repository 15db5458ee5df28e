//! The single integration-test binary: one `mod` per area.
mod advice;
mod diagnose;
mod diagnose_e2e;
mod doctor;
mod ssh_exec;
mod ssh_support;
mod up;
mod up_preflight;
