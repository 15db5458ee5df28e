//! The single integration-test binary: one `mod` per area.
mod advice;
mod doctor;
mod diagnose;
mod up_preflight;
mod ssh_exec;
mod ssh_support;
mod up;
