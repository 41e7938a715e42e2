//! perf_manual's own HTTP load probe (`src/red/`): it runs inside perf_manual, so it needs no
//! program and has no argv. Its raw file is read by `parse/red.rs` into the RED tables.

use super::{Descriptor, Runs, StepArgs, args::Arg};

pub(super) const COLLECTORS: &[Descriptor] = &[Descriptor {
    name: "red-probe",
    description: "perf_manual's own HTTP/1.1 load probe: RED of `endpoint` (http or https; rate, errors by class, HDR duration percentiles) over the phase, with `connections` (default 10), for the open model `rate` requests/s, and for an in-house CA `ca_cert` (a PEM file).",
    programs: &[],
    takes: &[Arg::Endpoint, Arg::CaCert, Arg::Connections, Arg::Rate],
    requires: needs_endpoint,
    output: "red/{step}.txt",
    runs: Runs::Probe,
}];

/// Connections a step uses when it names none: wrk's default.
pub(crate) const DEFAULT_CONNECTIONS: u32 = 10;

fn needs_endpoint(args: &StepArgs) -> Option<String> {
    args.endpoint
        .is_none()
        .then(|| "collector red-probe needs `endpoint = \"http://HOST[:PORT]/PATH\"`".to_string())
}
