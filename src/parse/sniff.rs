//! Recognize a tool's output from its first lines, so a directory captured by anyone (or by
//! an older perf_manual) can be parsed without knowing which command wrote each file.
//!
//! Only the head is looked at — the first [`HEAD_LINES`] lines within [`HEAD_BYTES`] — so
//! sniffing a large file costs nothing. Each parser says what a line shows of its format (a
//! [`Sign`]): sysstat's header keywords, vmstat's `procs ---memory` banner, perf's summary
//! title or sample lines, perf_manual's own `==> /proc/<path> @ <time> <==` snapshot titles,
//! and the shape of the usual /proc files read with a plain `cat`.

use super::{Format, PARSERS};

/// How many lines of the head are read.
pub(crate) const HEAD_LINES: usize = 20;
/// How many bytes of the head are read.
pub(crate) const HEAD_BYTES: usize = 4096;

/// What one line shows of a format, weakest first. The strongest sign in the head decides;
/// between equal signs the earlier line does, then the parser listed first in [`PARSERS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sign {
    /// A line shaped like one sample of a tool that prints no header: `perf script`'s
    /// `comm pid time: period event:`.
    Sample,
    /// A sample of an event only one recording holds (`sched:sched_switch`): it is a `perf
    /// script` sample too, so it must outweigh one.
    Event,
    /// A line shaped like a /proc file read with a plain `cat` (`MemTotal:`, loadavg's five
    /// cells): a tool's own header says more.
    Shape,
    /// A tool's column header: sysstat's `Device r/s`, `PID Command`, `CPU %usr`.
    Header,
    /// The banner a tool prints over its columns: vmstat's `procs ---memory---`.
    Banner,
    /// The title of a summary a tool prints after the output of the command it traced, which
    /// may hold another tool's banner: `perf trace -s -- vmstat 1`'s `Summary of events:`.
    Title,
    /// perf_manual's own snapshot title over a verbatim copy of a file, which may look like
    /// anything.
    Snapshot,
}

/// The format of `text`, judged from its content alone, or `None` when unknown, empty or binary.
pub fn sniff(text: &str) -> Option<Format> {
    let head = head(text);
    if head.contains('\0') {
        return None;
    }
    let mut strongest: Option<(Sign, Format)> = None;
    for line in head.lines().take(HEAD_LINES) {
        for parser in PARSERS {
            if let Some(sign) = parser.sign(line)
                && strongest.is_none_or(|(stronger, _)| sign > stronger)
            {
                strongest = Some((sign, parser.format()));
            }
        }
    }
    strongest.map(|(_, format)| format)
}

/// Binary inputs told by their first bytes: what holds other files, or needs a tool to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    /// `perf record`'s data file (`PERFILE2` at offset 0): `perf script` turns it into text.
    PerfData,
    /// A tar archive: `ustar` at offset 257, as POSIX and GNU tar write it.
    Tar,
    /// A sysstat data file (`sar -o`, sadc, /var/log/sysstat/saDD): its magic number 0xd596
    /// in either byte order at offset 0; `sar -A -f` turns it into text.
    SysstatData,
    /// gzip (`1f 8b`): a compressed tar (`.tgz`) or one compressed file.
    Gzip,
}

/// How many leading bytes [`sniff_container`] needs to tell every [`Container`].
pub(crate) const CONTAINER_HEAD: usize = 512;

/// The container `head` (the first [`CONTAINER_HEAD`] bytes of a file, or all of a shorter
/// one) starts, or `None` for anything else.
pub(crate) fn sniff_container(head: &[u8]) -> Option<Container> {
    if head.starts_with(b"PERFILE2") {
        Some(Container::PerfData)
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(Container::Gzip)
    } else if head.starts_with(&[0x96, 0xd5]) || head.starts_with(&[0xd5, 0x96]) {
        // Neither byte can begin UTF-8 text: 0x96 is a continuation byte, 0xd5 needs one.
        Some(Container::SysstatData)
    } else if head.get(257..262) == Some(b"ustar".as_slice()) {
        Some(Container::Tar)
    } else {
        None
    }
}

/// At most [`HEAD_BYTES`] of `text`, cut at a character boundary.
fn head(text: &str) -> &str {
    let mut end = text.len().min(HEAD_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_told_by_shape() {
        for text in [
            "==> /proc/pressure/cpu @ 2026-11-25T19:20:01Z <==\nsome avg10=0.00\n",
            "==> /sys/fs/cgroup/cpu.pressure @ 2026-11-25T19:20:01Z <==\nsome avg10=0.00\n",
            "MemTotal:       32823720 kB\nMemFree: 1 kB\n",
            "some avg10=1.00 avg60=0.50 avg300=0.10 total=12345\n",
            "cpu  100 0 50 1000 2 0 1 0 0 0\ncpu0 50 0 25 500 1 0 0 0 0 0\n",
            "Inter-|   Receive                                                |  Transmit\n",
            "0.12 0.34 0.56 1/234 5678\n",
            " 254       0 vda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
            "nr_free_pages 4606871\nnr_zone_inactive_anon 0\n",
            "Ip: Forwarding DefaultTTL InReceives\nIp: 2 64 7073\n",
            "TcpExt: SyncookiesSent SyncookiesRecv\nTcpExt: 0 0\n",
            "sockets: used 12\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 121\n",
        ] {
            assert_eq!(sniff(text), Some(Format::Procfs), "{text}");
        }
    }

    /// Heads of `perf trace -s -- sleep 0.2` and `perf script` (perf 6.1) captured here.
    #[test]
    fn perf_outputs_are_told_apart() {
        let summary = "\n Summary of events:\n\n sleep (14033), 218 events, 97.3%\n\n   \
            syscall            calls  errors  total       min       avg       max       stddev\n   \
                                                (msec)    (msec)    (msec)    (msec)        (%)\n   \
            --------------- --------  ------ -------- --------- --------- ---------     ------\n   \
            clock_nanosleep        1      0   200.143   200.143   200.143   200.143      0.00%\n";
        assert_eq!(sniff(summary), Some(Format::PerfTraceSummary));
        let script = "stress-ng 14059   756.208035:     250000 cpu-clock:ppp: \n\
            \t           1489e get_common_indices.constprop.0+0x9e (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)\n\
            \t               0 [unknown] ([unknown])\n\n\
            stress-ng 14059   756.208532:     250000 cpu-clock:ppp: \n\
            \tffffffff821e5ae3 xas_load+0x53 ([kernel.kallsyms])\n";
        assert_eq!(sniff(script), Some(Format::PerfScript));
        let with_cpu = "swapper     0 [000] 12345.678901:     10101010 cpu-clock: \n\
            \tffffffff81234567 func+0x12 ([kernel.kallsyms])\n";
        assert_eq!(sniff(with_cpu), Some(Format::PerfScript));
    }

    /// Header lines as sysstat 12.6.1 prints them here, and older ones from their sources.
    #[test]
    fn sar_and_mpstat_cpu_reports_are_told_apart_by_their_columns() {
        let banner = "Linux 6.1 (h) \t2026-11-25 \t_x86_64_\t(2 CPU)\n\n";
        for (header, format) in [
            (
                "CPU %usr %nice %sys %iowait %irq %soft %steal %guest %gnice %idle",
                Format::Mpstat,
            ),
            (
                "CPU %user %nice %sys %iowait %irq %soft %steal %idle intr/s",
                Format::Mpstat,
            ),
            ("CPU intr/s", Format::Mpstat),
            ("CPU 24/s 25/s NMI/s LOC/s", Format::Mpstat),
            ("CPU HI/s TIMER/s NET_TX/s NET_RX/s BLOCK/s", Format::Mpstat),
            (
                "NODE %usr %nice %sys %iowait %irq %soft %steal %guest %gnice %idle",
                Format::Mpstat,
            ),
            ("CPU %user %nice %system %iowait %steal %idle", Format::Sar),
            (
                "CPU %usr %nice %sys %iowait %steal %irq %soft %guest %gnice %idle",
                Format::Sar,
            ),
            (
                "CPU total/s dropd/s squeezd/s rx_rps/s flw_lim/s blg_len",
                Format::Sar,
            ),
            ("CPU MHz", Format::Sar),
            ("INTR intr/s", Format::Sar),
            (
                "runq-sz plist-sz ldavg-1 ldavg-5 ldavg-15 blocked",
                Format::Sar,
            ),
            (
                "tps rkB/s wkB/s dkB/s areq-sz aqu-sz await %util DEV",
                Format::Sar,
            ),
            (
                "kbhugfree kbhugused %hugused kbhugrsvd kbhugsurp",
                Format::Sar,
            ),
            (
                "call/s retrans/s read/s write/s access/s getatt/s",
                Format::Sar,
            ),
        ] {
            let text = format!("{banner}19:50:31 {header}\n19:50:32 all 1.00\n");
            assert_eq!(sniff(&text), Some(format), "{header}");
            let twelve_hour = format!("{banner}07:50:31 PM {header}\n");
            assert_eq!(sniff(&twelve_hour), Some(format), "{header}");
        }
    }

    #[test]
    fn containers_are_told_by_their_magic_bytes() {
        let mut tar = vec![0u8; CONTAINER_HEAD];
        tar[257..265].copy_from_slice(b"ustar\x0000");
        assert_eq!(sniff_container(&tar), Some(Container::Tar));
        tar[257..265].copy_from_slice(b"ustar  \0");
        assert_eq!(sniff_container(&tar), Some(Container::Tar));
        assert_eq!(
            sniff_container(b"PERFILE2h\0\0\0"),
            Some(Container::PerfData)
        );
        assert_eq!(sniff_container(&[0x1f, 0x8b, 8, 0]), Some(Container::Gzip));
        assert_eq!(
            sniff_container(&[0x96, 0xd5, 0x75, 0x21]),
            Some(Container::SysstatData)
        );
        for other in [&b""[..], b"PERFILE", b"Linux 6.1", &[0u8; 300]] {
            assert_eq!(sniff_container(other), None);
        }
    }

    #[test]
    fn empty_binary_and_unknown_text_are_not_guessed() {
        assert_eq!(sniff(""), None);
        assert_eq!(sniff("\0ELF\u{1}\u{2}"), None);
        assert_eq!(sniff("hello world\n"), None);
        assert_eq!(sniff(&"é".repeat(5000)), None);
    }
}
