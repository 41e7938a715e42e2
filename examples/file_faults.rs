//! A program whose memory comes from a file read through the page cache: it maps FILE and
//! reads a byte of every page in `read_mapped_file`, after dropping the file's cached pages
//! with posix_fadvise(DONTNEED) and unmapping the previous pass, so every page it touches is
//! a major fault (a read from disk) — the major-fault flamegraph's known answer on a host
//! without swap. FILE is created with MIB mebibytes (and flushed to disk) when it is missing.
//!
//! Usage: file_faults FILE [MIB] [SECONDS]   (defaults 64 and 10)

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const PAGE: usize = 4096;
const MIB: usize = 1 << 20;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: file_faults FILE [MIB] [SECONDS]");
        std::process::exit(2);
    };
    let mut next = |default: u64| args.next().and_then(|a| a.parse().ok()).unwrap_or(default);
    let mib = next(64) as usize;
    let seconds = next(10);
    if std::fs::metadata(&path).map_or(true, |meta| meta.len() < (mib * MIB) as u64) {
        let mut file = File::create(&path).expect("the file can be created");
        let block = vec![1_u8; MIB];
        for _ in 0..mib {
            file.write_all(&block).expect("the file can be written");
        }
        file.sync_all().expect("the file reaches the disk");
    }
    let file = File::open(&path).expect("the file can be opened");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut sum = 0_u64;
    while Instant::now() < deadline {
        sum = sum.wrapping_add(read_mapped_file(&file, mib * MIB));
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("{sum}");
}

/// Drop the file's cached pages, map it, and read a byte of every page: each read faults the
/// page in from disk.
#[inline(never)]
fn read_mapped_file(file: &File, len: usize) -> u64 {
    let fd = file.as_raw_fd();
    // SAFETY: the fd is open; DONTNEED only drops clean cached pages of it.
    unsafe { libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED) };
    // SAFETY: a private read-only mapping of an open file, unmapped before returning.
    let mapped = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_PRIVATE,
            fd,
            0,
        )
    };
    assert_ne!(mapped, libc::MAP_FAILED, "the file can be mapped");
    // SAFETY: `mapped` is `len` readable bytes until munmap below.
    let bytes = unsafe { std::slice::from_raw_parts(mapped as *const u8, len) };
    let mut sum = 0_u64;
    for page in bytes.chunks(PAGE) {
        sum = sum.wrapping_add(u64::from(std::hint::black_box(page[0])));
    }
    // SAFETY: unmaps exactly what mmap returned.
    unsafe { libc::munmap(mapped, len) };
    sum
}
