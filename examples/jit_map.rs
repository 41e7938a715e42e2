//! A stand-in for a JIT (Java, Node, .NET): it writes a hot loop's machine code into
//! executable anonymous memory, names it in /tmp/perf-PID.map as JITs do for perf, and runs
//! it. perf can name that code only through the map: the profile tests check that it does,
//! and that the frame is marked as JIT code.
//!
//! x86-64 only. Usage: jit_map [SECONDS]   (default 10)

use std::io::Write;
use std::time::{Duration, Instant};

/// `mov rax, rdi; loop: dec rax; jnz loop; ret`: counts its argument down to zero.
const COUNT_DOWN: [u8; 9] = [0x48, 0x89, 0xf8, 0x48, 0xff, 0xc8, 0x75, 0xfb, 0xc3];

fn main() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("jit_map: x86-64 only");
        std::process::exit(2);
    }
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    // SAFETY: a fresh private anonymous mapping, written before it is made executable.
    let code = unsafe {
        let page = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(page, libc::MAP_FAILED, "mmap");
        std::ptr::copy_nonoverlapping(COUNT_DOWN.as_ptr(), page.cast::<u8>(), COUNT_DOWN.len());
        assert_eq!(
            libc::mprotect(page, 4096, libc::PROT_READ | libc::PROT_EXEC),
            0
        );
        page
    };
    let map = format!("/tmp/perf-{}.map", std::process::id());
    let mut file = std::fs::File::create(&map).expect("the perf map");
    writeln!(
        file,
        "{:x} {:x} jit_hot_loop",
        code as usize,
        COUNT_DOWN.len()
    )
    .expect("written");
    drop(file);
    // SAFETY: the bytes are a complete function of the C ABI taking and returning a u64.
    let count_down: extern "C" fn(u64) -> u64 = unsafe { std::mem::transmute(code) };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut total = 0;
    while Instant::now() < deadline {
        total += count_down(10_000_000);
    }
    let _ = std::fs::remove_file(&map);
    println!("{total}");
}
