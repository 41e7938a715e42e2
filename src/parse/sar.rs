//! Parser for sar reports, live (`sar -n DEV 1 3`) or read back from a data file (`sar -f`).
//!
//! Each sar report is one header-keyed table, so adding one is one more [`TableSpec`] in
//! [`REPORTS`]: its first column, a marker column that tells it from reports sharing that
//! first column, and its label columns. A file holding several reports (`sar -n DEV,EDEV`,
//! `sar -A`) yields each known one; an unknown one is skipped with one warning, at its first
//! header.
//!
//! | option | table | labels | fields (as sysstat 12.6 names the columns) |
//! |---|---|---|---|
//! | `-u`, `-u ALL`, `-P` | `sar_cpu` | `cpu` | `user nice system iowait steal idle`; with `ALL`: `usr nice sys iowait steal irq soft guest gnice idle`; always `busy` = 100 − `idle` − `iowait` |
//! | `-q` | `sar_queue` | | `runq_sz plist_sz ldavg_1 ldavg_5 ldavg_15 blocked` |
//! | `-r`, `-r ALL` | `sar_memory` | | `kbmemfree kbavail kbmemused memused kbbuffers kbcached kbcommit commit kbactive kbinact kbdirty`; with `ALL`: `kbanonpg kbslab kbkstack kbpgtbl kbvmused` |
//! | `-S` | `sar_swap_space` | | `kbswpfree kbswpused swpused kbswpcad swpcad` |
//! | `-B` | `sar_paging` | | `pgpgin_s pgpgout_s fault_s majflt_s pgfree_s pgscank_s pgscand_s pgsteal_s vmeff` |
//! | `-W` | `sar_swap` | | `pswpin_s pswpout_s` |
//! | `-w` | `sar_task` | | `proc_s cswch_s` |
//! | `-v` | `sar_kernel` | | `dentunusd file_nr inode_nr pty_nr` |
//! | `-b` | `sar_io` | | `tps rtps wtps dtps bread_s bwrtn_s bdscd_s` |
//! | `-d` (`-p`) | `sar_disk` | `device` | `tps rkb_s wkb_s dkb_s areq_sz aqu_sz await util`; older sysstat (10.x): `tps rd_sec_s wr_sec_s avgrq_sz aqu_sz await svctm util` (sectors, not KiB) |
//! | `-n DEV` | `sar_dev` | `iface` | `rxpck_s txpck_s rxkb_s txkb_s rxcmp_s txcmp_s rxmcst_s ifutil` |
//! | `-n EDEV` | `sar_edev` | `iface` | `rxerr_s txerr_s coll_s rxdrop_s txdrop_s txcarr_s rxfram_s rxfifo_s txfifo_s` |
//! | `-n TCP` | `sar_tcp` | | `active_s passive_s iseg_s oseg_s` |
//! | `-n ETCP` | `sar_etcp` | | `atmptf_s estres_s retrans_s isegerr_s orsts_s` |
//! | `-n UDP` | `sar_udp` | | `idgm_s odgm_s noport_s idgmerr_s` |
//! | `-n SOCK` | `sar_sock` | | `totsck tcpsck udpsck rawsck ip_frag tcp_tw` |
//! | `-n SOFT` | `sar_softnet` | `cpu` | `total_s dropd_s squeezd_s rx_rps_s flw_lim_s blg_len` |
//! | `-H` | `sar_hugepages` | | `kbhugfree kbhugused hugused kbhugrsvd kbhugsurp` |
//! | `-q CPU` (in `-q ALL`) | `sar_psi_cpu` | | `scpu_10 scpu_60 scpu_300 scpu` |
//! | `-q IO` | `sar_psi_io` | | `sio_10 sio_60 sio_300 sio fio_10 fio_60 fio_300 fio` |
//! | `-q MEM` | `sar_psi_mem` | | `smem_10 smem_60 smem_300 smem fmem_10 fmem_60 fmem_300 fmem` |
//! | `-I SUM`, `-I ALL` | `sar_irq` | `irq` (`sum`, `24`, `LOC`), `cpu` (`all`, `0`, ...) | `intr_s` |
//!
//! `sar -I` prints one column per CPU (`all CPU0 CPU1`, with `-P`): each cell becomes a
//! record of its own, labelled with its CPU. The PSI reports (`%scpu-10` ...) are the
//! percentages of time tasks stalled on the resource: over the last 10, 60 and 300 seconds as
//! the kernel averages them, and over the interval.
//!
//! `-u` says `%user` (guest time included) and `-u ALL` says `%usr` (guest time apart): the
//! two are different measures, so they keep different names.

use super::sniff::Sign;
use super::sysstat::{Instances, TableSpec, read_tables, stamped_header};
use super::{Format, Parser, Table};
use crate::record::{Feed, Fields, Parsed, Rank, Unit, metric::Convert};

/// A report without labels, told by its first column alone, and the fields its rows can have.
const fn plain(
    table: &'static str,
    first: &'static [&'static str],
    fields: &'static [&'static str],
) -> TableSpec {
    TableSpec {
        table,
        first,
        marker: None,
        labels: &[],
        renames: &[],
        skip: &[],
        instances: None,
        busy: true,
        fields,
    }
}

/// A report without labels that shares its first column with another.
const fn marked(
    table: &'static str,
    first: &'static [&'static str],
    marker: &'static str,
    fields: &'static [&'static str],
) -> TableSpec {
    TableSpec {
        marker: Some(marker),
        ..plain(table, first, fields)
    }
}

/// A report with one row per instance named in its `label` column, which may be printed
/// first or (with `sar -p`, for devices) last.
const fn per(
    table: &'static str,
    label: &'static [(&'static str, &'static str)],
    first: &'static [&'static str],
    marker: &'static str,
    fields: &'static [&'static str],
) -> TableSpec {
    TableSpec {
        labels: label,
        ..marked(table, first, marker, fields)
    }
}

const CPU: &[(&str, &str)] = &[("CPU", "cpu")];
const IFACE: &[(&str, &str)] = &[("IFACE", "iface")];
const DEVICE: &[(&str, &str)] = &[("DEV", "device")];

/// The reports sar prints that become records. `CPU` heads three reports and `IFACE` two,
/// `tps` heads both `-b` and `sar -d -p`: their markers tell them apart. Each report's fields
/// are those sysstat 10 to 12 print (sar(1) and the fixtures under tests/data/sar).
pub const REPORTS: &[TableSpec] = &[
    per(
        "sar_cpu",
        CPU,
        &["CPU"],
        "%idle",
        &[
            "user", "usr", "nice", "system", "sys", "iowait", "steal", "irq", "soft", "guest",
            "gnice", "idle", "busy",
        ],
    ),
    per(
        "sar_softnet",
        CPU,
        &["CPU"],
        "dropd/s",
        &[
            "total_s",
            "dropd_s",
            "squeezd_s",
            "rx_rps_s",
            "flw_lim_s",
            "blg_len",
        ],
    ),
    plain(
        "sar_queue",
        &["runq-sz"],
        &[
            "runq_sz", "plist_sz", "ldavg_1", "ldavg_5", "ldavg_15", "blocked",
        ],
    ),
    plain(
        "sar_memory",
        &["kbmemfree"],
        &[
            "kbmemfree",
            "kbavail",
            "kbmemused",
            "memused",
            "kbbuffers",
            "kbcached",
            "kbcommit",
            "commit",
            "kbactive",
            "kbinact",
            "kbdirty",
            "kbanonpg",
            "kbslab",
            "kbkstack",
            "kbpgtbl",
            "kbvmused",
        ],
    ),
    plain(
        "sar_swap_space",
        &["kbswpfree"],
        &["kbswpfree", "kbswpused", "swpused", "kbswpcad", "swpcad"],
    ),
    plain(
        "sar_paging",
        &["pgpgin/s"],
        &[
            "pgpgin_s",
            "pgpgout_s",
            "fault_s",
            "majflt_s",
            "pgfree_s",
            "pgscank_s",
            "pgscand_s",
            "pgsteal_s",
            "vmeff",
        ],
    ),
    plain("sar_swap", &["pswpin/s"], &["pswpin_s", "pswpout_s"]),
    plain("sar_task", &["proc/s"], &["proc_s", "cswch_s"]),
    plain(
        "sar_kernel",
        &["dentunusd"],
        &["dentunusd", "file_nr", "inode_nr", "pty_nr"],
    ),
    marked(
        "sar_io",
        &["tps"],
        "rtps",
        &[
            "tps", "rtps", "wtps", "dtps", "bread_s", "bwrtn_s", "bdscd_s",
        ],
    ),
    TableSpec {
        // Older sysstat (10.x) says `avgqu-sz` for the same queue length.
        renames: &[("avgqu-sz", "aqu_sz")],
        ..per(
            "sar_disk",
            DEVICE,
            &["DEV", "tps"],
            "%util",
            &[
                "tps", "rkb_s", "wkb_s", "dkb_s", "areq_sz", "aqu_sz", "await", "util", "rd_sec_s",
                "wr_sec_s", "avgrq_sz", "svctm",
            ],
        )
    },
    per(
        "sar_dev",
        IFACE,
        &["IFACE"],
        "rxpck/s",
        &[
            "rxpck_s", "txpck_s", "rxkb_s", "txkb_s", "rxcmp_s", "txcmp_s", "rxmcst_s", "ifutil",
        ],
    ),
    per(
        "sar_edev",
        IFACE,
        &["IFACE"],
        "rxerr/s",
        &[
            "rxerr_s", "txerr_s", "coll_s", "rxdrop_s", "txdrop_s", "txcarr_s", "rxfram_s",
            "rxfifo_s", "txfifo_s",
        ],
    ),
    plain(
        "sar_tcp",
        &["active/s"],
        &["active_s", "passive_s", "iseg_s", "oseg_s"],
    ),
    plain(
        "sar_etcp",
        &["atmptf/s"],
        &["atmptf_s", "estres_s", "retrans_s", "isegerr_s", "orsts_s"],
    ),
    plain(
        "sar_udp",
        &["idgm/s"],
        &["idgm_s", "odgm_s", "noport_s", "idgmerr_s"],
    ),
    plain(
        "sar_sock",
        &["totsck"],
        &["totsck", "tcpsck", "udpsck", "rawsck", "ip_frag", "tcp_tw"],
    ),
    plain(
        "sar_hugepages",
        &["kbhugfree"],
        &[
            "kbhugfree",
            "kbhugused",
            "hugused",
            "kbhugrsvd",
            "kbhugsurp",
        ],
    ),
    plain(
        "sar_psi_cpu",
        &["%scpu-10"],
        &["scpu_10", "scpu_60", "scpu_300", "scpu"],
    ),
    plain(
        "sar_psi_io",
        &["%sio-10"],
        &[
            "sio_10", "sio_60", "sio_300", "sio", "fio_10", "fio_60", "fio_300", "fio",
        ],
    ),
    plain(
        "sar_psi_mem",
        &["%smem-10"],
        &[
            "smem_10", "smem_60", "smem_300", "smem", "fmem_10", "fmem_60", "fmem_300", "fmem",
        ],
    ),
    TableSpec {
        instances: Some(Instances {
            label: "cpu",
            prefix: "CPU",
            suffix: "",
            field: "intr_s",
        }),
        ..per("sar_irq", &[("INTR", "irq")], &["INTR"], "all", &["intr_s"])
    },
];

/// Kernel page size assumed when turning sar -W's pages into KiB (4 KiB: x86-64 and most arm64
/// kernels), as for /proc/vmstat's.
const PAGE_KIB: f64 = 4.0;

/// Memory in use as `memory.used_pct` counts it (100 − MemAvailable / MemTotal), from sar -r:
/// sar prints no total, but `%memused` is `kbmemused` of it (sysstat 10 to 12).
fn used_pct_of_sar(fields: &Fields) -> Option<f64> {
    let available = *fields.get("kbavail")?;
    let used = *fields.get("kbmemused")?;
    let used_pct = *fields.get("memused")?;
    (used > 0.0 && used_pct > 0.0).then(|| 100.0 - available / (used * 100.0 / used_pct) * 100.0)
}

/// What each report feeds: sar samples the counters the tools made for them read (ranked
/// below those tools and above perf_manual's own /proc stand-ins), except for throughput per
/// interface, where `sar -n DEV` is the tool made for it. `runq-sz` is taken as printed:
/// sadc leaves itself out of it.
fn sar_feeds() -> Vec<Feed> {
    let sar = |tool: &str, source: &str, metric: &str| Feed::new(Rank::Sar, tool, source, metric);
    let psi = |source: &str, resource: &str, kind: &str| {
        sar("sar -q ALL", source, "pressure.stall").set(&[("resource", resource), ("kind", kind)])
    };
    let mut feeds = vec![
        sar("sar -u", "sar_cpu.busy", "cpu.busy"),
        sar("sar -u", "sar_cpu.iowait", "cpu.iowait"),
        sar("sar -u", "sar_cpu.steal", "cpu.steal"),
        sar("sar -u ALL", "sar_cpu.soft", "cpu.softirq"),
        sar("sar -q", "sar_queue.runq_sz", "procs.runnable"),
        sar("sar -q", "sar_queue.blocked", "procs.blocked"),
        sar("sar -q", "sar_queue.ldavg_1", "load.avg1"),
        sar("sar -q", "sar_queue.ldavg_5", "load.avg5"),
        sar("sar -q", "sar_queue.ldavg_15", "load.avg15"),
        sar("sar -w", "sar_task.cswch_s", "cpu.context_switches_s"),
        sar("sar -I SUM", "sar_irq.intr_s", "cpu.interrupts_s")
            .only(&[("irq", "sum"), ("cpu", "all")]),
        psi("sar_psi_cpu.scpu", "cpu", "some"),
        psi("sar_psi_io.sio", "io", "some"),
        psi("sar_psi_io.fio", "io", "full"),
        psi("sar_psi_mem.smem", "memory", "some"),
        psi("sar_psi_mem.fmem", "memory", "full"),
        sar(
            "sar -r",
            "sar_memory.kbavail,kbmemused,memused",
            "memory.used_pct",
        )
        .convert(Convert::Derive(used_pct_of_sar)),
        sar("sar -r", "sar_memory.kbavail", "memory.available"),
        sar("sar -S", "sar_swap_space.swpused", "memory.swap_used_pct"),
        sar("sar -W", "sar_swap.pswpin_s", "memory.swap_in_kb_s").convert(Convert::Scale(PAGE_KIB)),
        sar("sar -W", "sar_swap.pswpout_s", "memory.swap_out_kb_s")
            .convert(Convert::Scale(PAGE_KIB)),
        sar("sar -B", "sar_paging.fault_s", "memory.page_faults_s"),
        sar("sar -B", "sar_paging.majflt_s", "memory.major_faults_s"),
        sar("sar -B", "sar_paging.pgscand_s", "memory.direct_scan_s"),
        sar("sar -d", "sar_disk.util", "disk.util"),
        sar("sar -d", "sar_disk.aqu_sz", "disk.aqu_sz"),
        sar("sar -d", "sar_disk.await", "disk.await"),
        sar("sar -d", "sar_disk.rkb_s", "disk.rkb_s"),
        sar("sar -d", "sar_disk.wkb_s", "disk.wkb_s"),
        // sysstat 10 counts 512-byte sectors.
        sar("sar -d", "sar_disk.rd_sec_s", "disk.rkb_s").convert(Convert::Scale(0.5)),
        sar("sar -d", "sar_disk.wr_sec_s", "disk.wkb_s").convert(Convert::Scale(0.5)),
    ];
    for (field, metric) in [
        ("ifutil", "net.util"),
        ("rxkb_s", "net.rxkb_s"),
        ("txkb_s", "net.txkb_s"),
        ("rxpck_s", "net.rxpck_s"),
        ("txpck_s", "net.txpck_s"),
    ] {
        let source = format!("sar_dev.{field}");
        feeds.push(Feed::new(Rank::Primary, "sar -n DEV", &source, metric));
    }
    for field in ["rxdrop_s", "txdrop_s", "rxerr_s", "txerr_s"] {
        let source = format!("sar_edev.{field}");
        feeds.push(sar("sar -n EDEV", &source, &format!("net.{field}")));
    }
    for (tool, source, metric) in [
        ("sar -n TCP", "sar_tcp.active_s", "tcp.active_opens_s"),
        ("sar -n TCP", "sar_tcp.passive_s", "tcp.passive_opens_s"),
        ("sar -n TCP", "sar_tcp.iseg_s", "tcp.in_segs_s"),
        ("sar -n TCP", "sar_tcp.oseg_s", "tcp.out_segs_s"),
        ("sar -n ETCP", "sar_etcp.atmptf_s", "tcp.attempt_fails_s"),
        ("sar -n ETCP", "sar_etcp.estres_s", "tcp.estab_resets_s"),
        ("sar -n ETCP", "sar_etcp.retrans_s", "tcp.retrans_segs_s"),
        ("sar -n ETCP", "sar_etcp.isegerr_s", "tcp.in_errs_s"),
        ("sar -n ETCP", "sar_etcp.orsts_s", "tcp.out_rsts_s"),
        ("sar -n UDP", "sar_udp.idgm_s", "udp.in_datagrams_s"),
        ("sar -n UDP", "sar_udp.odgm_s", "udp.out_datagrams_s"),
        ("sar -n UDP", "sar_udp.noport_s", "udp.no_ports_s"),
        ("sar -n UDP", "sar_udp.idgmerr_s", "udp.in_errors_s"),
        ("sar -n SOCK", "sar_sock.totsck", "sockets.used"),
        ("sar -n SOCK", "sar_sock.tcpsck", "sockets.tcp_inuse"),
        ("sar -n SOCK", "sar_sock.udpsck", "sockets.udp_inuse"),
        ("sar -n SOCK", "sar_sock.tcp_tw", "sockets.tcp_tw"),
    ] {
        feeds.push(sar(tool, source, metric));
    }
    feeds
}

pub fn parse(file: &str, text: &str) -> Parsed {
    read_tables(file, text, REPORTS)
}

/// First columns of sar reports perf_manual does not read (`sar -A` prints them all), so that
/// a file holding only those is still known as sar's, and warned about as such.
pub(crate) const OTHER_FIRST_COLUMNS: &[&str] = &[
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

/// sar, told by its reports' headers: a report's first column after the time stamp. mpstat,
/// asked first, claims the `CPU` headers with its own columns.
pub struct Sar;

impl Parser for Sar {
    fn format(&self) -> Format {
        Format::Sar
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let header = stamped_header(line)?;
        let first = header.first()?;
        let is_sar = REPORTS.iter().any(|report| report.first.contains(first))
            || OTHER_FIRST_COLUMNS.contains(first);
        is_sar.then_some(Sign::Header)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        match (table, field) {
            ("sar_cpu" | "sar_psi_cpu" | "sar_psi_io" | "sar_psi_mem", _) => Some(Unit::Percent),
            ("sar_disk", f) if f.ends_with("areq_sz") => Some(Unit::KiB),
            (
                "sar_memory" | "sar_swap_space" | "sar_hugepages",
                "memused" | "commit" | "swpused" | "swpcad" | "hugused",
            ) => Some(Unit::Percent),
            ("sar_memory" | "sar_swap_space" | "sar_hugepages", f) if f.starts_with("kb") => {
                Some(Unit::KiB)
            }
            // sar counts paging in and out in kilobytes, not pages.
            ("sar_paging", "pgpgin_s" | "pgpgout_s") => Some(Unit::KiBPerSecond),
            ("sar_paging", "vmeff") => Some(Unit::Percent),
            ("sar_io", "rtps" | "wtps" | "dtps") => Some(Unit::PerSecond),
            _ => None,
        }
    }

    fn tables(&self) -> Vec<Table> {
        REPORTS.iter().map(TableSpec::declared).collect()
    }

    fn feeds(&self) -> Vec<Feed> {
        sar_feeds()
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn unknown_reports_are_skipped_with_one_warning() {
        let text = "Linux 6.1 (h) \t2026-11-25 \t_x86_64_\t(1 CPU)\n\n\
                    19:11:23 IFACE rxpck/s %ifutil\n19:11:24 lo 1.00 0.00\n\n\
                    19:11:23 IFACE rxbogus/s txbogus/s\n19:11:24 lo 0.00 0.00\n19:11:24 eth0 0.00 0.00\n\n\
                    19:11:23 proc/x cswch/x\n19:11:24 1.00 2.00\n\n\
                    19:11:24 IFACE rxbogus/s txbogus/s\n19:11:25 lo 0.00 0.00\n";
        let parsed = parse("s", text);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records[0].fields["rxpck_s"], 1.0);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [6, 10]);
    }

    #[test]
    fn reports_sharing_a_first_column_are_told_apart_and_devices_may_come_last() {
        let text = "Linux 6.1 (h) \t2026-11-25 \t_x86_64_\t(1 CPU)\n\n\
                    19:11:23 tps rtps wtps dtps bread/s bwrtn/s bdscd/s\n\
                    19:11:24 1.00 1.00 0.00 0.00 8.00 0.00 0.00\n\n\
                    19:11:23 tps rkB/s %util DEV\n19:11:24 2.00 4.00 0.50 vda\n\n\
                    19:11:23 CPU %user %idle\n19:11:24 all 10.00 85.00\n";
        let parsed = parse("s", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let tables: Vec<&str> = parsed.records.iter().map(|r| r.table.as_str()).collect();
        assert_eq!(tables, ["sar_io", "sar_disk", "sar_cpu"]);
        assert_eq!(parsed.records[1].labels["device"], "vda");
        assert_eq!(parsed.records[2].fields["busy"], 15.0);
    }
}
