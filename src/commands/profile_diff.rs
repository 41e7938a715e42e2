//! `perf_manual profile-diff BEFORE AFTER`: what changed between two profiles — a
//! differential flamegraph (inferno's, BEFORE scaled to AFTER's total), the hotspot-shift
//! table sorted by how far each function moved, and each one's Amdahl ceiling.

use std::path::Path;

use crate::{
    cli::ProfileDiffArgs,
    exit::{self, Failure},
    profile::{self, Caption, thousands},
    report::{
        export::{OutputFormat, pretty_json},
        profile::{DiffReport, diff_markdown, diff_text},
    },
    store,
};

use super::LoadedProfile;

pub fn profile_diff(args: &ProfileDiffArgs) -> Result<i32, Failure> {
    let before = one_profile(&args.before, "BEFORE")?;
    let after = one_profile(&args.after, "AFTER")?;
    for (side, loaded) in [("BEFORE", &before), ("AFTER", &after)] {
        if loaded.folded.total_samples == 0 {
            return Err(Failure::bad_input(format!(
                "{side} {}: the profile has no samples to compare",
                loaded.source
            )));
        }
    }
    if before.kind != after.kind {
        return Err(Failure::bad_input(format!(
            "BEFORE {} is {} and AFTER {} is {}: compare two profiles of one kind",
            before.source,
            before.kind.label(),
            after.source,
            after.kind.label()
        )));
    }
    let shifts = profile::hotspot_shift(&before.folded, &after.folded, args.top.max(1));
    store::private_umask();
    let claimed = store::create(
        &args.dir,
        "profile-diff",
        args.output.as_deref(),
        args.force,
    )?;
    let investigation = claimed.investigation;
    let files = investigation.analysis();
    store::private_dir(&files.dir).map_err(cannot_write)?;
    let caption = Caption {
        kind: "Differential".into(),
        what: format!("{} → {}", before.source, after.source),
        host: String::new(),
        when: String::new(),
        how: format!(
            "red grew, blue shrank; before's {} samples scaled to after's",
            thousands(before.folded.total_samples)
        ),
        samples: after.folded.total_samples,
        unit: String::new(),
        notes: Vec::new(),
    };
    let svg =
        profile::differential_svg(&before.folded, &after.folded, &caption).map_err(|err| {
            Failure::environment(format!("cannot draw the differential flamegraph: {err}"))
        })?;
    let relative = |path: &Path| {
        path.strip_prefix(&investigation.root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut written = Vec::new();
    for (what, path, bytes) in [
        ("differential flamegraph", files.diff_flamegraph(), svg),
        (
            "folded stacks before",
            files.folded(0),
            before.folded.to_text().into_bytes(),
        ),
        (
            "folded stacks after",
            files.folded(1),
            after.folded.to_text().into_bytes(),
        ),
    ] {
        store::write_atomic(&path, &bytes).map_err(cannot_write)?;
        written.push((what.to_string(), relative(&path)));
    }
    written.push((
        "this comparison as JSON".into(),
        relative(&files.diff_json()),
    ));
    let report = DiffReport {
        before: before.source.clone(),
        after: after.source.clone(),
        before_samples: before.folded.total_samples,
        after_samples: after.folded.total_samples,
        shifts,
        files: written,
    };
    store::write_json(&files.diff_json(), &report).map_err(cannot_write)?;
    store::write_atomic(
        &investigation.report_path("md"),
        diff_markdown(&report).as_bytes(),
    )
    .map_err(cannot_write)?;
    match args.format {
        OutputFormat::Json => println!("{}", pretty_json(&report)),
        OutputFormat::Text => {
            print!("{}", diff_text(&report));
            println!("  report: {}", investigation.report_path("md").display());
        }
    }
    Ok(exit::SUCCESS)
}

/// The one profile `path` holds; several is ambiguous, and the user is asked to name one.
fn one_profile(path: &Path, side: &str) -> Result<LoadedProfile, Failure> {
    let mut loaded = super::load_profiles(path)?;
    if loaded.len() > 1 {
        let names: Vec<&str> = loaded
            .iter()
            .map(|profile| profile.source.as_str())
            .collect();
        return Err(Failure::bad_input(format!(
            "{side} {}: holds {} profiles ({}); give the file of the one to compare",
            path.display(),
            loaded.len(),
            names.join(", ")
        )));
    }
    Ok(loaded.remove(0))
}

fn cannot_write(err: std::io::Error) -> Failure {
    Failure::environment(format!("cannot write the comparison: {err}"))
}
