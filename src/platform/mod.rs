//! Everything that differs between Linux, macOS and Windows hosts, each behind small
//! functions, so the rest of mlk has no `#[cfg]` of its own (docs/platforms.md).
pub mod files;
pub mod host;
pub mod process;
pub mod shell;
pub mod socket;
