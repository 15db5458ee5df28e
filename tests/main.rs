//! The single integration-test binary: one `mod` per area.
mod advice;
mod doctor;
mod diagnose;
