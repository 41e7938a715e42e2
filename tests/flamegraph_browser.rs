//! The flamegraphs `profile` and `profile-diff` write, opened in a real browser: Debian's
//! headless Chromium loads each SVG with no console message (an uncaught exception in
//! inferno's script, a blocked resource or a log line all land there), its search highlights
//! the frames it should and says how much matched, and a rare deep tower does not push the
//! picture below the first screen.
//!
//! Chromium prints the page's DOM after its scripts ran (`--dump-dom`), and every console
//! message on stderr (`--enable-logging=stderr`). What a script computes in the page (where
//! a frame is on the screen, what the Search button did) is read from a copy of the SVG with
//! a small probe script added, which writes its findings into an attribute of the dumped DOM.
//! A missing chromium skips these on a developer's machine and fails them in CI.

mod common;

use common::have;

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/perf/6.1");

/// The browser window: a laptop's first screen.
const SCREEN: (u32, u32) = (1280, 800);
/// A browser that neither loads nor fails in this long is stuck.
const PATIENCE: Duration = Duration::from_secs(120);

fn perf_manual(args: &[&str]) -> Output {
    let output = Command::new(BIN)
        .args(args)
        .output()
        .expect("perf_manual runs");
    assert!(
        output.status.success(),
        "perf_manual {args:?}: exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// What Chromium made of a page.
struct Page {
    /// The document after its scripts ran.
    dom: String,
    /// Every console message the page wrote (errors, warnings and logs alike).
    console: Vec<String>,
}

/// Open `url` in headless Chromium, with `scratch` for its profile and output.
fn open(url: &str, scratch: &Path) -> Page {
    let profile = tempfile::tempdir_in(scratch).unwrap();
    let dom_path = profile.path().join("dom.xml");
    let log_path = profile.path().join("chromium.log");
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            // Chromium refuses to run as root inside its sandbox, and CI runs as root.
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!(
                "--user-data-dir={}",
                profile.path().join("profile").display()
            ),
            &format!("--window-size={},{}", SCREEN.0, SCREEN.1),
            "--enable-logging=stderr",
            "--v=0",
            // Run the page's timers (the probe's) before the DOM is printed.
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ])
        .stdin(Stdio::null())
        .stdout(File::create(&dom_path).unwrap())
        .stderr(File::create(&log_path).unwrap())
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > PATIENCE {
            // SAFETY: kill(2) on the process group this test started; no memory involved.
            unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
            let _ = child.wait();
            panic!("chromium did not finish {url} in {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(status.success(), "chromium on {url}: {status}\n{log}");
    Page {
        dom: std::fs::read_to_string(&dom_path).unwrap(),
        console: log
            .lines()
            .filter(|line| line.contains(":CONSOLE"))
            .map(str::to_owned)
            .collect(),
    }
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Open `svg` searching for `term` (inferno reads `?s=` as a shared link's search), and
/// check that the page is quiet and the search marked something; how much matched.
fn open_and_search(svg: &Path, term: &str, scratch: &Path) -> f64 {
    let page = open(&format!("{}?s={term}", file_url(svg)), scratch);
    assert!(
        page.console.is_empty(),
        "{}: console messages: {:#?}",
        svg.display(),
        page.console
    );
    assert!(
        page.dom.contains("<svg"),
        "{}: no SVG was loaded",
        svg.display()
    );
    let highlighted = page.dom.matches("fill=\"rgb(230,0,230)\"").count();
    assert!(
        highlighted > 0,
        "{}: no frame matching {term} is highlighted",
        svg.display()
    );
    matched_percent(&page.dom)
        .unwrap_or_else(|| panic!("{}: the search does not say what matched", svg.display()))
}

/// The `Matched: N%` inferno writes after a search.
fn matched_percent(dom: &str) -> Option<f64> {
    dom.split("Matched: ")
        .skip(1)
        .find_map(|rest| rest.split('%').next()?.parse().ok())
}

/// Added before the SVG's end: once the page has loaded and inferno's `init` ran, it notes
/// where the root frame (`all`) and the frame named by `data-hot` are on the screen, then
/// searches as a person does (the Search button, the term typed into the prompt), and
/// writes `key=value` pairs into the root element's `data-probe` attribute.
const PROBE: &str = r##"<script type="text/ecmascript"><![CDATA[
window.addEventListener("load", function () { setTimeout(function () {
    var out = ["screen=" + window.innerHeight];
    var groups = document.querySelectorAll("#frames > g");
    var place = function (name, key) {
        for (var i = 0; i < groups.length; i++) {
            var title = groups[i].querySelector("title").textContent;
            if (title.indexOf(name + " (") === 0) {
                var box = groups[i].querySelector("rect").getBoundingClientRect();
                out.push(key + "_top=" + box.top, key + "_bottom=" + box.bottom);
                return;
            }
        }
    };
    place("all", "all");
    place(document.documentElement.getAttribute("data-hot"), "hot");
    window.prompt = function () { return document.documentElement.getAttribute("data-hot"); };
    document.getElementById("search").dispatchEvent(new MouseEvent("click", { bubbles: true }));
    out.push("matched=" + document.getElementById("matched").textContent.replace(/[^0-9.]/g, ""));
    document.documentElement.setAttribute("data-probe", out.join(" "));
}, 0); });
]]></script>"##;

/// The probe's findings on `svg`, with `hot` the frame to place and search for.
fn probe(svg: &Path, hot: &str, scratch: &Path) -> std::collections::HashMap<String, f64> {
    let text = std::fs::read_to_string(svg).unwrap();
    let end = text.rfind("</svg>").expect("an SVG ends in </svg>");
    let probed = format!("{}{PROBE}{}", &text[..end], &text[end..]).replacen(
        "<svg ",
        &format!("<svg data-hot=\"{hot}\" "),
        1,
    );
    let path = scratch.join("probed.svg");
    std::fs::write(&path, probed).unwrap();
    let page = open(&file_url(&path), scratch);
    assert!(
        page.console.is_empty(),
        "console messages: {:#?}",
        page.console
    );
    let found = page
        .dom
        .split("data-probe=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| {
            panic!(
                "the probe wrote nothing: {}",
                &page.dom[..500.min(page.dom.len())]
            )
        });
    found
        .split(' ')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_real_profile_flamegraph_loads_cleanly_and_its_search_works() {
    if !have("chromium") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("profile");
    perf_manual(&[
        "profile",
        "--data",
        &format!("{DATA}/dwarf/perf.script"),
        "--output",
        out.to_str().unwrap(),
    ]);
    let svg = out.join("analysis/flamegraph.svg");
    // stress-ng-cpu is 49 of the 150 samples of the captured script.
    let matched = open_and_search(&svg, "stress-ng", work.path());
    assert!((matched - 32.7).abs() < 0.1, "matched {matched}%");

    let found = probe(&svg, "stress-ng-cpu", work.path());
    assert!(
        (found["matched"] - 32.7).abs() < 0.1,
        "the Search button matched {found:?}"
    );
}

#[test]
fn a_differential_flamegraph_loads_cleanly_and_its_search_works() {
    if !have("chromium") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("diff");
    perf_manual(&[
        "profile-diff",
        &format!("{DATA}/fp/perf.script"),
        &format!("{DATA}/dwarf/perf.script"),
        "--output",
        out.to_str().unwrap(),
    ]);
    let svgs: Vec<_> = std::fs::read_dir(out.join("analysis"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert!(!svgs.is_empty(), "profile-diff wrote no SVG");
    for svg in svgs {
        let matched = open_and_search(&svg, "stress-ng", work.path());
        assert!(matched > 0.0, "{}: matched {matched}%", svg.display());
    }
}

/// The issue's picture: stacks about 12 frames deep, and one rare tower of 60. Opened in a
/// browser, the first screen must hold the flamegraph's base and its hot frame, not a blank
/// page above them.
#[test]
fn a_rare_deep_tower_leaves_the_profile_on_the_first_screen() {
    if !have("chromium") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let stack = |depth: usize, leaf: &str| {
        let mut frames = vec!["server".to_string(), "main".to_string()];
        frames.extend((2..depth - 1).map(|level| format!("layer_{level}")));
        frames.push(leaf.to_string());
        frames.join(";")
    };
    let folded = format!(
        "{} 600\n{} 390\n{} 10\n",
        stack(12, "hot_loop"),
        stack(14, "parse_request"),
        stack(60, "deep_recursion")
    );
    let folded_path = work.path().join("deep.folded");
    std::fs::write(&folded_path, folded).unwrap();
    let out = work.path().join("deep");
    perf_manual(&[
        "profile",
        "--data",
        folded_path.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let svg = out.join("analysis/flamegraph.svg");
    let matched = open_and_search(&svg, "hot_loop", work.path());
    assert!((matched - 60.0).abs() < 0.1, "matched {matched}%");

    let found = probe(&svg, "hot_loop", work.path());
    let screen = found["screen"];
    assert!(screen > 0.0, "{found:?}");
    for key in ["all_top", "all_bottom", "hot_top", "hot_bottom"] {
        let at = found
            .get(key)
            .unwrap_or_else(|| panic!("{key} was not placed: {found:?}"));
        assert!(
            (0.0..=screen).contains(at),
            "{key} is at {at} px, off the first {screen} px: {found:?}"
        );
    }
    assert!(
        (found["matched"] - 60.0).abs() < 0.1,
        "the Search button matched {found:?}"
    );
}
