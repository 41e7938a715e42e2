//! perf_manual: a declarative playbook runner for Linux performance investigations.
//! See ARCHITECTURE.md for the map.

pub mod analysis;
pub mod base;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod exit;
pub mod parse;
pub mod playbook;
pub mod profile;
pub mod record;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod store;
