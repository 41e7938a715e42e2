//! perf_manual: a declarative playbook runner for Linux performance investigations.
//! See ARCHITECTURE.md for the map.

pub mod base;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod exit;
pub mod judge;
pub mod parse;
pub mod playbook;
pub mod profile;
pub mod record;
pub mod red;
pub mod regress;
pub mod report;
pub mod rules;
pub(crate) mod schedule;
pub mod schemas;
pub mod stats;
pub mod store;
