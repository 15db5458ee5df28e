//! The single integration-test binary: one `mod` per area.
mod foundation;
