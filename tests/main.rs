//! The single integration-test binary: one `mod` per area.
mod advice;
mod doctor;
mod diagnose;
mod up_preflight;
