//! `mlk fleet`: a fleet of clusters on real sshd test hosts (one inventory, custom stages),
//! failure isolation, address allocation as a property, and bad rosters.
mod alloc_props;
mod input;
#[cfg(unix)]
mod testhosts;
