//! `perf_manual analyze --data DIR`: judge data captured earlier, by anyone, with the same
//! judge stage as `run`, so both give the same verdict on the same files.

use crate::{
    cli::AnalyzeArgs,
    collect::manifest::Manifest,
    exit::{self, Failure},
    judge::{self, Request},
    record::{HostFacts, Origin},
    report::{
        self, Inputs,
        export::{self, Document, Markdown, ReportFormat},
    },
    rules::builtin,
    store::{self, DataDir},
};

pub fn analyze(args: &AnalyzeArgs) -> Result<i32, Failure> {
    if !args.data.exists() {
        return Err(Failure::bad_input(format!(
            "--data {}: no such directory or file",
            args.data.display()
        )));
    }
    let data_dir = DataDir::locate(&args.data);
    let playbook_path = args.playbook.clone().or(data_dir.saved_playbook.clone());
    let (name, mut summary, mut rules) = match &playbook_path {
        Some(path) => {
            let loaded = super::load_checked(path)?;
            (
                loaded.playbook.name.clone(),
                loaded.playbook.summary.clone(),
                loaded.rules,
            )
        }
        None => (
            "analyze".to_string(),
            "Judged with the built-in USE rules.".to_string(),
            builtin::use_rules().map_err(Failure::bad_input)?,
        ),
    };
    let manifest: Option<Manifest> = std::fs::read(data_dir.manifest_path())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let host = HostFacts::default();
    let target = args.pid.or_else(|| data_dir.target_pid());
    let mut judged = judge::judge(&Request {
        raw_dir: &data_dir.raw_dir,
        rules: &rules,
        host: &host,
        origin: Origin::Captured,
        analysis: None,
        interrupted: None,
        target,
        max_file_size: args.max_file_size,
    })?;
    // Without a playbook, a service's requests in the data (a red-check probe's file, an
    // access log) are judged by the built-in RED rules too; data without them are not held
    // to rules they could never feed.
    if playbook_path.is_none() && judged.analysis.has_red() {
        rules.extend(builtin::red_rules().map_err(Failure::bad_input)?);
        summary = "Judged with the built-in USE and RED rules.".to_string();
        judged.analysis.judge(&rules, &host, Origin::Captured);
        if let Some(pid) = target {
            judged.analysis.attribute(pid, &rules);
        }
    }
    // A profile's flamegraph goes beside the report; printed to stdout, there is nowhere.
    let flamegraphs = match &args.output {
        Some(path) => judge::write_flamegraphs_beside(&judged.analysis, path)?,
        None => Vec::new(),
    };
    let data = report::assemble(&Inputs {
        playbook: &name,
        summary: &summary,
        status: data_dir.unfinished().unwrap_or("analyzed"),
        directory: &args.data.display().to_string(),
        raw_prefix: &judge::raw_prefix(&args.data, &data_dir.raw_dir),
        analysis: &judged.analysis,
        rules: &rules,
        manifest: manifest.as_ref(),
        host: &host,
        flamegraphs: &flamegraphs,
    });
    let markdown = Markdown::new(super::read_template(args.template.as_deref())?);
    let document = Document {
        report: &data,
        rules: &rules,
        judgement: &judged.analysis.judgement,
        records: Some(&judged.analysis.records),
        fail_on: args.fail_on.map(Into::into),
        report_path: args.output.as_deref(),
    };
    match &args.output {
        Some(path) => {
            // The file is written in the format its name asks for: report.json, report.xml
            // (JUnit), else the Markdown report.
            let report_text = match file_format(path) {
                Some(format) => export::to_string(export::exporter(format).as_ref(), &document),
                None => export::to_string(&markdown, &document),
            }
            .map_err(super::export_failure)?;
            store::write_atomic(path, report_text.as_bytes())
                .map_err(|err| Failure::environment(format!("cannot write {err}")))?;
            super::print(args.format, &document)?;
        }
        // Without a file for the report, the report itself is what a person asked for.
        None if args.format == ReportFormat::Text => print!(
            "{}",
            export::to_string(&markdown, &document).map_err(super::export_failure)?
        ),
        None => super::print(args.format, &document)?,
    }
    if judged.interrupted {
        return Ok(exit::INTERRUPTED);
    }
    Ok(super::exit_code(&data, args.fail_on))
}

/// The format a report file's name asks for: `.json` JSON, `.xml` JUnit; `None`: Markdown.
fn file_format(path: &std::path::Path) -> Option<ReportFormat> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "json" => Some(ReportFormat::Json),
        "xml" => Some(ReportFormat::Junit),
        _ => None,
    }
}
