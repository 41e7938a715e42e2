//! perf_manual: a declarative playbook runner for Linux performance investigations.
//! See ARCHITECTURE.md for the map.

pub mod collect;
pub mod parse;
pub mod playbook;
pub mod profile;
pub mod record;
pub mod rules;
pub mod schedule;
pub mod analysis;
