//! Recognize a tool's output from its first lines, so a directory captured by anyone (or by
//! an older perf_manual) can be parsed without knowing which command wrote each file.
//!
//! Only the head is looked at — the first [`HEAD_LINES`] lines within [`HEAD_BYTES`] — so
//! sniffing a large file costs nothing. Each format is told by the lines its tool prints
//! first: sysstat's header keywords, vmstat's `procs ---memory` banner, perf's summary
//! title or sample lines, perf_manual's own `==> /proc/<path> @ <time> <==` snapshot titles,
//! and the shape of the usual /proc files read with a plain `cat`.

use super::sysstat::parse_stamp;
use super::{Format, sar};

/// How many lines of the head are read.
pub const HEAD_LINES: usize = 20;
/// How many bytes of the head are read.
pub const HEAD_BYTES: usize = 4096;

/// The format of `text`, judged from its content alone, or `None` when unknown, empty or binary.
pub fn sniff(text: &str) -> Option<Format> {
    let head = head(text);
    if head.contains('\0') {
        return None;
    }
    let lines: Vec<&str> = head.lines().take(HEAD_LINES).collect();
    let any = |test: &dyn Fn(&str) -> bool| lines.iter().any(|line| test(line));
    if any(&|line| line.starts_with("==> /proc/") || line.starts_with("==> /sys/")) {
        return Some(Format::Procfs);
    }
    if any(&is_perf_trace_summary_line) {
        return Some(Format::PerfTraceSummary);
    }
    if any(&|line| line.trim_start_matches('-').starts_with("procs") && line.contains("memory")) {
        return Some(Format::Vmstat);
    }
    if let Some(format) = lines.iter().find_map(|line| sysstat_header(line)) {
        return Some(format);
    }
    if any(&is_procfs_line) {
        return Some(Format::Procfs);
    }
    if any(&|line| line.contains(" sched:sched_switch: ") || line.contains(" PERF_RECORD_SWITCH")) {
        return Some(Format::PerfSchedSwitch);
    }
    if any(&is_perf_script_sample) {
        return Some(Format::PerfScript);
    }
    None
}

/// Binary inputs told by their first bytes: what holds other files, or needs a tool to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// `perf record`'s data file (`PERFILE2` at offset 0): `perf script` turns it into text.
    PerfData,
    /// A tar archive: `ustar` at offset 257, as POSIX and GNU tar write it.
    Tar,
    /// gzip (`1f 8b`): a compressed tar (`.tgz`) or one compressed file.
    Gzip,
}

/// How many leading bytes [`sniff_container`] needs to tell every [`Container`].
pub const CONTAINER_HEAD: usize = 512;

/// The container `head` (the first [`CONTAINER_HEAD`] bytes of a file, or all of a shorter
/// one) starts, or `None` for anything else.
pub fn sniff_container(head: &[u8]) -> Option<Container> {
    if head.starts_with(b"PERFILE2") {
        Some(Container::PerfData)
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(Container::Gzip)
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

/// The sysstat report a header row announces, by its column names.
fn sysstat_header(line: &str) -> Option<Format> {
    let cells: Vec<&str> = line.split_ascii_whitespace().collect();
    let has = |name: &str| cells.contains(&name);
    if has("avg-cpu:") || ((has("Device") || has("Device:")) && (has("r/s") || has("tps"))) {
        return Some(Format::Iostat);
    }
    if (has("PID") || has("TGID")) && has("Command") {
        return Some(Format::Pidstat);
    }
    let (_, taken) = parse_stamp(&cells)?;
    let header = cells.get(taken..)?;
    match *header.first()? {
        "CPU" if is_mpstat_cpu_header(header) => Some(Format::Mpstat),
        "CPU" => Some(Format::Sar),
        "NODE" => Some(Format::Mpstat),
        first
            if sar::REPORTS
                .iter()
                .any(|report| report.first.contains(&first)) =>
        {
            Some(Format::Sar)
        }
        first if OTHER_SAR_FIRST_COLUMNS.contains(&first) => Some(Format::Sar),
        _ => None,
    }
}

/// First columns of sar reports perf_manual does not read (`sar -A` prints them all), so that
/// a file holding only those is still known as sar's, and warned about as such.
const OTHER_SAR_FIRST_COLUMNS: &[&str] = &[
    "TTY",
    "MBfsfree",
    "FCHOST",
    "call/s",
    "scall/s",
    "irec/s",
    "ihdrerr/s",
    "imsg/s",
    "ierr/s",
    "tcp6sck",
    "irec6/s",
    "ihdrer6/s",
    "imsg6/s",
    "ierr6/s",
    "idgm6/s",
    "FAN",
    "TEMP",
    "IN",
    "BUS",
];

/// mpstat and sar both head CPU reports with `CPU`: mpstat's utilization report puts `%irq`
/// before `%steal` (sar's `-u ALL` the other way round) and never says `%system` (sar's
/// `-u` does); its interrupt reports have only `…/s` columns named after interrupts
/// (`intr/s`, `24/s`, `LOC/s`, `NET_RX/s`), where sar's per-CPU reports have lower-case
/// measures (`total/s`, `MHz`).
fn is_mpstat_cpu_header(header: &[&str]) -> bool {
    let at = |name: &str| header.iter().position(|cell| *cell == name);
    if at("%idle").is_some() {
        let steal_first =
            matches!((at("%steal"), at("%irq")), (Some(steal), Some(irq)) if steal < irq);
        return at("%system").is_none() && !steal_first;
    }
    let interrupts = header.get(1..).unwrap_or_default();
    !interrupts.is_empty()
        && interrupts.iter().all(|cell| {
            cell.strip_suffix("/s").is_some_and(|name| {
                name == "intr" || !name.is_empty() && !name.bytes().any(|b| b.is_ascii_lowercase())
            })
        })
}

/// `perf trace -s` prints ` Summary of events:` and per-thread tables headed
/// `syscall            calls  errors  total ...`.
fn is_perf_trace_summary_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("Summary of events:")
        || (trimmed.starts_with("syscall")
            && line.contains("calls")
            && line.contains("errors")
            && line.contains("total"))
}

/// The shapes of the /proc files perf_manual reads, without the sampler's `==>` title.
fn is_procfs_line(line: &str) -> bool {
    const KEYED: &[&str] = &[
        "MemTotal:",
        "some avg10=",
        "full avg10=",
        "Inter-|",
        "nr_free_pages ",
        "cpu  ",
        "Ip: Forwarding ",
        "TcpExt: ",
        "sockets: used ",
    ];
    KEYED.iter().any(|key| line.starts_with(key)) || is_loadavg(line) || is_diskstats_row(line)
}

/// `/proc/loadavg`: `0.12 0.34 0.56 1/234 5678`.
fn is_loadavg(line: &str) -> bool {
    let cells: Vec<&str> = line.split_ascii_whitespace().collect();
    let is_load = |cell: &&str| cell.contains('.') && cell.parse::<f64>().is_ok();
    let is_count = |cell: &str| !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
    match cells.as_slice() {
        [one, five, fifteen, tasks, last_pid] => {
            [one, five, fifteen].into_iter().all(is_load)
                && tasks
                    .split_once('/')
                    .is_some_and(|(running, total)| is_count(running) && is_count(total))
                && is_count(last_pid)
        }
        _ => false,
    }
}

/// `/proc/diskstats`: major, minor, device name, then at least 11 counters.
fn is_diskstats_row(line: &str) -> bool {
    let cells: Vec<&str> = line.split_ascii_whitespace().collect();
    let is_count = |cell: &&str| !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
    match cells.as_slice() {
        [major, minor, name, counters @ ..] => {
            counters.len() >= 11
                && is_count(major)
                && is_count(minor)
                && !is_count(name)
                && counters.iter().all(is_count)
        }
        _ => false,
    }
}

/// A `perf script` sample line: `comm  pid [cpu] 12345.678901:  period event:` — a time
/// stamp cell ending in `:` followed later by an event name ending in `:`.
fn is_perf_script_sample(line: &str) -> bool {
    if line.starts_with(char::is_whitespace) {
        return false;
    }
    let cells: Vec<&str> = line.split_ascii_whitespace().collect();
    cells.iter().enumerate().any(|(index, cell)| {
        cell.strip_suffix(':')
            .is_some_and(|stamp| stamp.contains('.') && stamp.parse::<f64>().is_ok())
            && index >= 2
            && cells
                .get(index + 1..)
                .is_some_and(|after| after.iter().any(|c| c.len() > 1 && c.ends_with(':')))
    })
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
