//! perf_manual's own /proc sampler (`collect/sampler.rs`): it runs inside perf_manual, so it
//! needs no program and has no argv.

use super::{Descriptor, Runs};

pub(super) const COLLECTORS: &[Descriptor] = &[Descriptor {
    name: "procfs",
    description: "perf_manual's own /proc sampler: stat, meminfo, vmstat, loadavg, diskstats, net/dev, pressure.",
    programs: &[],
    takes: &[],
    requires: |_| None,
    output: "proc",
    runs: Runs::InProcess,
}];
