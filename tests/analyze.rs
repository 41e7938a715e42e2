//! `analyze --data` on whatever users captured: a directory in the seed's collect_all.sh
//! layout built from committed fixtures, the same as a tarball (whole, inside a directory,
//! truncated), and a perf.data recorded here without its script.
//!
//! A test that needs perf or stress-ng skips on a developer's machine without them, and fails
//! in CI (when `CI` is set): CI must never pass by not testing.

mod common;

use common::have;

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

/// The seed's layout, and the committed fixture (tests/data/...) each file is a copy of.
const LAYOUT: [(&str, &str); 5] = [
    ("cpu/mpstat.txt", "mpstat/12.6.1-iso/mpstat-P-ALL.txt"),
    ("memory/vmstat.txt", "vmstat/procps-ng-4.0.2/vmstat-t.txt"),
    ("disk/iostat.txt", "iostat/12.6.1-iso/iostat-x-t.txt"),
    ("network/sar_dev.txt", "sar/12.6.1-iso/sar-n-DEV.txt"),
    ("trace/syscalls.txt", "perf_trace/6.1/pid/trace.txt"),
];

/// `dir/capture` in the seed's layout, from the fixtures (no profile).
fn seed_layout(dir: &Path) -> PathBuf {
    let capture = dir.join("capture");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for (file, fixture) in LAYOUT {
        let to = capture.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(data.join(fixture), &to).unwrap();
    }
    capture
}

/// `tar -czf` of `dir/capture`, as someone would send it.
fn tarball(dir: &Path, name: &str) -> PathBuf {
    let archive = dir.join(name);
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir)
        .arg("capture")
        .status()
        .unwrap();
    assert!(status.success());
    archive
}

/// `analyze --format json --data <data>` with `path` as PATH when given; its exit code and JSON.
fn analyze(data: &Path, path: Option<&str>) -> (i32, serde_json::Value) {
    let mut command = Command::new(BIN);
    command
        .args(["analyze", "--format", "json", "--data"])
        .arg(data)
        .stderr(Stdio::inherit());
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let output = command.output().unwrap();
    let json = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    (output.status.code().unwrap_or(-1), json)
}

fn files(json: &serde_json::Value) -> Vec<(String, String)> {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| {
            (
                file["path"].as_str().unwrap().to_string(),
                file["format"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn record_sources(json: &serde_json::Value) -> Vec<String> {
    json["records"]
        .as_array()
        .expect("records printed")
        .iter()
        .map(|record| record["source"]["file"].as_str().unwrap().to_string())
        .collect()
}

/// What analyze prints is what schemas/report.schema.json publishes.
fn assert_valid(json: &serde_json::Value) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(json)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn json_has_the_records_beside_the_findings() {
    let work = tempfile::tempdir().unwrap();
    let capture = seed_layout(work.path());
    let (code, json) = analyze(&capture, None);
    assert_eq!(code, 0);
    assert_valid(&json);
    let per_file: u64 = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["records"].as_u64().unwrap())
        .sum();
    let sources = record_sources(&json);
    assert_eq!(sources.len() as u64, per_file);
    for (file, _) in LAYOUT {
        assert!(sources.iter().any(|source| source == file), "{file}");
    }
    let mpstat = json["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|record| record["table"] == "mpstat")
        .unwrap();
    assert!(mpstat["fields"]["usr"].is_number() && mpstat["source"]["line"].as_u64() > Some(0));
}

#[test]
fn a_tarball_is_judged_like_the_directory_it_holds() {
    let work = tempfile::tempdir().unwrap();
    let capture = seed_layout(work.path());
    let archive = tarball(work.path(), "capture.tgz");
    let (_, from_dir) = analyze(&capture, None);
    let (code, from_archive) = analyze(&archive, None);
    assert_eq!(code, 0);
    assert_valid(&from_archive);
    // The same findings, their evidence naming the archive's members where the directory's
    // names its files, in its files and in where each series was read.
    let mut as_members = from_dir["findings"].clone();
    let member = |file: &serde_json::Value| -> serde_json::Value {
        format!("capture.tgz!/capture/{}", file.as_str().unwrap()).into()
    };
    for finding in as_members.as_array_mut().unwrap() {
        for file in finding["evidence"]["files"].as_array_mut().unwrap() {
            *file = member(file);
        }
        for source in finding["evidence"]["sources"].as_array_mut().unwrap() {
            source["file"] = member(&source["file"]);
        }
    }
    assert_eq!(from_archive["findings"], as_members);
    assert_eq!(from_archive["verdict"], from_dir["verdict"]);
    let listed = files(&from_archive);
    assert!(listed.contains(&("capture.tgz".into(), "tar archive (5 files)".into())));
    for (file, format) in files(&from_dir) {
        let member = format!("capture.tgz!/capture/{file}");
        assert!(listed.contains(&(member, format)), "{file}: {listed:?}");
    }
    let mut expected: Vec<String> = record_sources(&from_dir)
        .iter()
        .map(|source| format!("capture.tgz!/capture/{source}"))
        .collect();
    let mut sources = record_sources(&from_archive);
    expected.sort();
    sources.sort();
    assert_eq!(sources, expected);

    // Found inside a directory, it is opened too, beside the plain files.
    let beside = work.path().join("beside");
    std::fs::create_dir(&beside).unwrap();
    std::fs::copy(&archive, beside.join("from-a-colleague.tar.gz")).unwrap();
    std::fs::copy(capture.join("cpu/mpstat.txt"), beside.join("mpstat.txt")).unwrap();
    let (code, json) = analyze(&beside, None);
    assert_eq!(code, 0);
    let listed = files(&json);
    assert!(listed.contains(&("mpstat.txt".into(), "mpstat".into())));
    assert!(listed.contains(&(
        "from-a-colleague.tar.gz!/capture/disk/iostat.txt".into(),
        "iostat".into()
    )));
}

#[test]
fn a_truncated_tarball_is_named_in_a_warning_and_what_was_read_is_kept() {
    let work = tempfile::tempdir().unwrap();
    seed_layout(work.path());
    // Uncompressed with 512-byte records (`-b 1`), the archive ends with the last member's
    // data and two zero blocks: cut 500 bytes into that data, from its end.
    let archive = work.path().join("capture.tar");
    let status = Command::new("tar")
        .args(["-b", "1", "-cf"])
        .arg(&archive)
        .arg("-C")
        .arg(work.path())
        .args(["capture/cpu", "capture/disk", "capture/trace"])
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&archive).unwrap();
    let cut = work.path().join("cut");
    std::fs::create_dir(&cut).unwrap();
    std::fs::write(cut.join("capture.tar"), &bytes[..bytes.len() - 1024 - 500]).unwrap();
    std::fs::copy(
        work.path().join("capture/memory/vmstat.txt"),
        cut.join("vmstat.txt"),
    )
    .unwrap();
    let (code, json) = analyze(&cut, None);
    assert_eq!(code, 0);
    let warnings = json["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|warning| warning
            .as_str()
            .unwrap()
            .starts_with("capture.tar:0: archive corrupt or truncated")),
        "{warnings:#?}"
    );
    let listed = files(&json);
    assert!(listed.contains(&("vmstat.txt".into(), "vmstat".into())));
    assert!(listed.contains(&(
        "capture.tar!/capture/cpu/mpstat.txt".into(),
        "mpstat".into()
    )));
    assert!(
        listed
            .iter()
            .any(|(path, format)| path == "capture.tar" && format.contains("truncated")),
        "{listed:?}"
    );

    // A truncated gzip stream: the same warning, for the .tgz.
    let archive = tarball(work.path(), "capture.tgz");
    let bytes = std::fs::read(&archive).unwrap();
    let cut_gzip = work.path().join("cut-gzip");
    std::fs::create_dir(&cut_gzip).unwrap();
    std::fs::write(cut_gzip.join("capture.tgz"), &bytes[..bytes.len() / 2]).unwrap();
    let (code, json) = analyze(&cut_gzip, None);
    assert_eq!(code, 0);
    assert!(
        json["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("capture.tgz:0: archive corrupt or truncated"),
        "{:#}",
        json["warnings"]
    );
}

/// A member larger than the limit is skipped unread, with a warning; a name with `..` or
/// control characters is a label only: nothing is written anywhere.
#[test]
fn huge_members_are_skipped_and_member_names_are_only_labels() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mpstat = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mpstat/12.6.1-iso/mpstat.txt"),
    )
    .unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(mpstat.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.as_gnu_mut().unwrap().name[..30]
        .copy_from_slice(b"../../escape/\x1b[2Jmpstat.txt\0\0\0");
    header.set_cksum();
    builder.append(&header, mpstat.as_slice()).unwrap();
    let mut archive = builder.into_inner().unwrap();
    // A header announcing 300 MiB, followed by a few bytes: skipped without being read.
    let mut huge = tar::Header::new_gnu();
    huge.set_path("core").unwrap();
    huge.set_size(300 << 20);
    huge.set_entry_type(tar::EntryType::Regular);
    huge.set_cksum();
    let end = archive.len() - 1024;
    archive.truncate(end);
    archive.extend_from_slice(huge.as_bytes());
    archive.extend_from_slice(&[b'x'; 4096]);
    std::fs::write(data.join("grabbed.tar"), &archive).unwrap();

    let (code, json) = analyze(&data, None);
    assert_eq!(code, 0);
    let listed = files(&json);
    assert!(
        listed.contains(&(
            "grabbed.tar!/../../escape/?[2Jmpstat.txt".into(),
            "mpstat".into()
        )),
        "{listed:?}"
    );
    assert!(listed.contains(&("grabbed.tar!/core".into(), "too large: skipped".into())));
    let warnings = json["warnings"].to_string();
    assert!(
        warnings.contains("grabbed.tar!/core:0: more than 256 MiB"),
        "{warnings}"
    );
    assert!(!work.path().join("escape").exists() && !Path::new("/escape").exists());
}

/// Record a real perf.data of a short CPU load into `capture/profile/perf.data`.
fn record_perf_data(capture: &Path) {
    let data = capture.join("profile/perf.data");
    std::fs::create_dir_all(data.parent().unwrap()).unwrap();
    let status = Command::new("perf")
        .args(["record", "-e", "cpu-clock", "-g", "-o"])
        .arg(&data)
        .args(["--", "stress-ng", "--cpu", "1", "--cpu-method", "trig"])
        .args(["--timeout", "2s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "perf record failed");
}

/// The seed's collect_all.sh keeps profile/perf.data and no script: analyze has perf script
/// read it, and the profile names the program that loaded the CPU.
#[test]
fn the_seed_layout_with_a_real_perf_data_is_profiled() {
    if !(have("perf") && have("stress-ng")) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let capture = seed_layout(work.path());
    record_perf_data(&capture);
    let (code, json) = analyze(&capture, None);
    assert_eq!(code, 0);
    assert_valid(&json);
    let profile = &json["profiles"][0];
    assert_eq!(profile["source"], "profile/perf.data", "{json:#}");
    assert!(profile["total_samples"].as_u64() > Some(100), "{profile:#}");
    let top = profile["top"].as_array().unwrap();
    assert!(
        top.iter()
            .take(3)
            .all(|hot| hot["process"].as_str().unwrap().starts_with("stress-ng")),
        "{profile:#}"
    );
    assert!(json["not_analysed"].as_array().unwrap().is_empty());
    assert!(files(&json).contains(&(
        "profile/perf.data".into(),
        "perf-data (profiled with perf script)".into()
    )));

    // Its script beside it (as `run` keeps them): one profile, from the script.
    let script = Command::new("perf")
        .args(["script", "--no-inline", "-i"])
        .arg(capture.join("profile/perf.data"))
        .stderr(Stdio::null())
        .output()
        .unwrap();
    std::fs::write(capture.join("profile/perf.script"), script.stdout).unwrap();
    let (_, json) = analyze(&capture, None);
    let profiles = json["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 1, "{profiles:#?}");
    assert_eq!(profiles[0]["source"], "profile/perf.script");

    // Inside a tarball: perf script reads a private copy, and the profile names the member.
    std::fs::remove_file(capture.join("profile/perf.script")).unwrap();
    let archive = tarball(work.path(), "capture.tgz");
    let (_, json) = analyze(&archive, None);
    assert!(
        json["not_analysed"].as_array().unwrap().is_empty(),
        "{json:#}"
    );
    let profile = &json["profiles"][0];
    assert_eq!(profile["source"], "capture.tgz!/capture/profile/perf.data");
    assert!(profile["total_samples"].as_u64() > Some(100), "{profile:#}");
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("perf_manual-perf-data")
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "the private copies are removed: {leftovers:?}"
    );
}

/// Without perf, the perf.data is listed as not analysed, with the reason and how to install
/// perf, and the rest is judged as usual.
#[test]
fn without_perf_the_perf_data_is_not_analysed_and_says_how_to_install_perf() {
    if !(have("perf") && have("stress-ng")) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let capture = seed_layout(work.path());
    record_perf_data(&capture);
    let empty = work.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let (code, json) = analyze(&capture, Some(empty.to_str().unwrap()));
    assert_eq!(code, 0);
    assert_valid(&json);
    assert!(json["profiles"].as_array().unwrap().is_empty());
    let missing = &json["not_analysed"][0];
    assert_eq!(missing["file"], "profile/perf.data");
    assert!(
        missing["why"]
            .as_str()
            .unwrap()
            .contains("perf is not installed")
    );
    assert!(
        missing["hint"]
            .as_str()
            .unwrap()
            .contains("apt-get install linux-perf")
    );
    assert!(files(&json).contains(&("profile/perf.data".into(), "perf-data: not analysed".into())));
    let output = Command::new(BIN)
        .args(["analyze", "--data"])
        .arg(&capture)
        .env("PATH", &empty)
        .output()
        .unwrap();
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(
        report.contains("## Not analysed") && report.contains("apt-get install linux-perf"),
        "{report}"
    );
}

/// A tar holding `name` with `bytes`, in memory.
fn tar_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    builder.append_data(&mut header, name, bytes).unwrap();
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A rotated `.gz` log is read like the file it compresses, also inside a tarball; archives
/// are opened a few levels deep, and no deeper (an archive can contain itself).
#[test]
fn compressed_files_and_nested_archives_are_opened_a_few_levels_deep() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let sar = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sar/12.6.1-iso/sar-n-DEV.txt"),
    )
    .unwrap();
    std::fs::write(data.join("sar_dev.txt.gz"), gzip(&sar)).unwrap();
    let inner = gzip(&tar_of("logs/sar.gz", &gzip(&sar)));
    std::fs::write(data.join("outer.tar"), tar_of("inner.tgz", &inner)).unwrap();
    let mut deep = sar.clone();
    for level in 0..4 {
        deep = tar_of(&format!("level{level}.tar"), &deep);
    }
    std::fs::write(data.join("deep.tar"), tar_of("level4.tar", &deep)).unwrap();

    let (code, json) = analyze(&data, None);
    assert_eq!(code, 0);
    let listed = files(&json);
    for (path, format) in [
        ("sar_dev.txt.gz", "sar"),
        ("outer.tar", "tar archive (1 file)"),
        ("outer.tar!/inner.tgz", "tar archive (1 file)"),
        ("outer.tar!/inner.tgz!/logs/sar.gz", "sar"),
        (
            "deep.tar!/level4.tar!/level3.tar!/level2.tar!/level1.tar",
            "archive nested more than 4 deep: not opened",
        ),
    ] {
        assert!(
            listed.contains(&(path.into(), format.into())),
            "{path}: {listed:#?}"
        );
    }
    let sources = record_sources(&json);
    assert!(sources.contains(&"outer.tar!/inner.tgz!/logs/sar.gz".to_string()));

    // A corrupt .gz member is warned about by its name; the archive goes on past it.
    let mut builder = tar::Builder::new(Vec::new());
    let mut corrupt = gzip(&sar);
    corrupt.truncate(corrupt.len() / 2);
    for (name, bytes) in [("broken.gz", &corrupt), ("sar.txt", &sar)] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    let mixed = work.path().join("mixed.tar");
    std::fs::write(&mixed, builder.into_inner().unwrap()).unwrap();
    let (code, json) = analyze(&mixed, None);
    assert_eq!(code, 0);
    let listed = files(&json);
    assert!(listed.contains(&("mixed.tar".into(), "tar archive (2 files)".into())));
    assert!(listed.contains(&("mixed.tar!/sar.txt".into(), "sar".into())));
    assert!(listed.contains(&("mixed.tar!/broken.gz".into(), "not readable".into())));
    let warnings = json["warnings"].to_string();
    assert!(
        warnings.contains("mixed.tar!/broken.gz:0: not read to its end"),
        "{warnings}"
    );
}

/// Ctrl-C while perf script runs ends it (its whole process group) and analyze, with 130.
/// perf here is a stand-in that hangs, as perf script can on a large perf.data.
#[test]
fn ctrl_c_during_perf_script_ends_it_and_analyze() {
    use std::os::unix::fs::PermissionsExt;
    let work = tempfile::tempdir().unwrap();
    let capture = seed_layout(work.path());
    std::fs::create_dir(capture.join("profile")).unwrap();
    std::fs::write(capture.join("profile/perf.data"), b"PERFILE2 stand-in").unwrap();
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let pid_file = work.path().join("perf.pid");
    std::fs::write(
        bin.join("perf"),
        format!(
            "#!/bin/sh\necho $$ > {}\nexec sleep 60\n",
            pid_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(bin.join("perf"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let child = Command::new(BIN)
        .args(["analyze", "--format", "json", "--data"])
        .arg(&capture)
        .env("PATH", path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !pid_file.exists() {
        assert!(
            started.elapsed().as_secs() < 10,
            "perf script never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert!(started.elapsed().as_secs() < 10);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["not_analysed"][0]["file"], "profile/perf.data");
    let perf: String = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", perf.trim())).exists(),
        "perf script outlived analyze"
    );
}

#[test]
fn the_report_file_is_written_in_the_format_its_name_asks_for() {
    let work = tempfile::tempdir().unwrap();
    let data =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vmstat/procps-ng-4.0.2-cpu-stress");
    for name in ["report.json", "report.xml", "report.md"] {
        let path = work.path().join(name);
        let status = Command::new(BIN)
            .arg("analyze")
            .arg("--data")
            .arg(&data)
            .arg("--output")
            .arg(&path)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{name}");
        let text = std::fs::read_to_string(&path).unwrap();
        match name {
            "report.json" => {
                let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_valid(&json);
                assert_eq!(json["findings"][0]["id"], "cpu-utilization");
            }
            "report.xml" => assert!(text.starts_with("<?xml") && text.contains("<testsuites")),
            _ => assert!(text.starts_with("# Performance investigation")),
        }
    }
}

/// A sysstat data file (`sar -o`, what sadc keeps in /var/log/sysstat/saDD) recorded here
/// under `stress-ng --cpu 4` (tests/data/sysstat-data/, sysstat 12.6.1): read with `sar -A
/// -f`, under any name, also inside a tarball, and judged. Without sar, or from a sysstat
/// version sar cannot read, it is listed as not analysed with the fix, never "healthy".
#[test]
fn a_binary_sysstat_file_is_read_with_sar_and_judged() {
    if !have("sar") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let capture = work.path().join("capture");
    std::fs::create_dir(&capture).unwrap();
    let data =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sysstat-data/sa-cpu-stress-12.6.1");
    std::fs::copy(&data, capture.join("sa04")).unwrap();
    let (code, json) = analyze(&capture, None);
    assert_eq!(code, 0);
    assert_valid(&json);
    assert_eq!(json["verdict_kind"], "bottleneck", "{}", json["verdict"]);
    assert_eq!(json["findings"][0]["resource"], "cpu");
    assert!(
        files(&json).contains(&("sa04".into(), "sar".into())),
        "{:?}",
        files(&json)
    );
    assert!(record_sources(&json).iter().any(|file| file == "sa04"));

    let archive = tarball(work.path(), "capture.tgz");
    let (code, json) = analyze(&archive, None);
    assert_eq!(code, 0);
    assert_eq!(json["findings"][0]["resource"], "cpu");

    // The magic number of a sysstat file, then nothing sar can read.
    std::fs::write(capture.join("sa04"), b"\x96\xd5\x75\x21 not a sysstat file").unwrap();
    let (_, json) = analyze(&capture, None);
    assert_ne!(json["verdict_kind"], "healthy");
    let missing = &json["not_analysed"][0];
    assert_eq!(missing["file"], "sa04");
    assert!(
        missing["why"]
            .as_str()
            .unwrap()
            .contains("sar -A -f could not read it")
    );
    assert!(missing["hint"].as_str().unwrap().contains("sadf -c"));

    std::fs::copy(&data, capture.join("sa04")).unwrap();
    let empty = work.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let (_, json) = analyze(&capture, Some(empty.to_str().unwrap()));
    assert_eq!(json["verdict_kind"], "inconclusive");
    let missing = &json["not_analysed"][0];
    assert!(
        missing["why"]
            .as_str()
            .unwrap()
            .contains("sar is not installed")
    );
    assert!(
        missing["hint"]
            .as_str()
            .unwrap()
            .contains("apt-get install sysstat")
    );
}
