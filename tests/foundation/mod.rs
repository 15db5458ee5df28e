//! Tests of the foundation (issue 2): profiles, schema, plan, rendering and the CLI around them.
mod bad_profiles;
mod cli;
pub(crate) mod common;
mod helm_keys;
mod lines_prop;
mod lint;
mod lock;
mod meaning;
mod quote_prop;
mod rke2;
mod schema;
mod snapshots;
mod vagrant;
