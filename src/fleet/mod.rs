//! Fleets: many identical clusters from one profile, for teaching labs (`mlk fleet ...`).
//! A fleet is a small record (`record`) of its clusters, their addresses (`alloc`) and the
//! profile they are made from; each cluster is a normal mlk cluster made from a generated
//! profile (`member`), brought up by its own `mlk up` child process (`run`, `up`), K at a time
//! within the host's capacity (`capacity`). docs/fleet.md is the user's guide.
pub mod alloc;
pub mod capacity;
pub mod display;
pub mod lifecycle;
pub mod member;
pub mod names;
pub mod plan;
pub mod record;
pub mod roster;
pub mod run;
pub mod status;
pub mod up;
