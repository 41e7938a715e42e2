//! `/sys/class/net/IFACE/speed` (Mb/s; -1 when the driver does not know it), one snapshot per
//! file: it gives the `net_dev` rows of the same file `speed_mbps` and `ifutil`, the percent
//! of the link used, as sar's %ifutil computes it for a full-duplex link: max(rx, tx)
//! bytes/s × 8 over the speed. Where the speed is unknown there is no `ifutil`, never a 0.
//! Wherever the speed file was read, `speed_known` is 1 or 0 (so sar's 0.00 for an unknown
//! speed can be told from an idle link).

use std::collections::BTreeMap;

use super::Output;
use super::rate::Reading;
use super::snapshot::{Snapshot, Source, single_value};

/// Each interface's link speeds in Mb/s, in time order; `None` where the driver did not know it.
pub(super) type LinkSpeeds = BTreeMap<String, Vec<Reading<Option<f64>>>>;

pub(super) fn link_speeds(groups: &[(Source, Vec<Snapshot>)], out: &mut Output) -> LinkSpeeds {
    let mut speeds = LinkSpeeds::new();
    for (source, snapshots) in groups {
        let Source::NetSpeed(iface) = source else {
            continue;
        };
        for snapshot in snapshots {
            let Some(value) = single_value(snapshot, out, "a link speed in Mb/s") else {
                continue;
            };
            let Ok(mbps) = value.parse::<i64>() else {
                out.warn(snapshot.first_line(), "expected a link speed in Mb/s");
                continue;
            };
            speeds.entry(iface.clone()).or_default().push(Reading {
                time_us: snapshot.time_us,
                value: (mbps > 0).then_some(mbps as f64),
            });
        }
    }
    speeds
}

/// The link speed of `iface` last read at or before `time_us`: `None` where no speed was read,
/// `Some(None)` where the driver did not know it. The sampler copies every speed file it can
/// read; where it read some but not this interface's (`lo`, `ifb*`: EINVAL), it is unknown.
pub(super) fn speed_at(speeds: &LinkSpeeds, iface: &str, time_us: i64) -> Option<Option<f64>> {
    if speeds.is_empty() {
        return None;
    }
    Some(
        speeds
            .get(iface)
            .and_then(|readings| {
                readings
                    .iter()
                    .rev()
                    .find(|reading| reading.time_us <= time_us)
            })
            .and_then(|reading| reading.value),
    )
}
