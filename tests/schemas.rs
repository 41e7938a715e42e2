//! The published schemas are generated from the Rust types; this fails when they drift.
//! Regenerate on purpose with `SNAPSHOTS=overwrite cargo test --test schemas`.

use perf_manual::playbook::check::{report_schema, schema};

fn compare(path: &str, generated: serde_json::Value) {
    let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::write(&full, &text).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(
        checked_in == text,
        "{path} is out of date with the Rust types: run SNAPSHOTS=overwrite cargo test --test schemas"
    );
}

#[test]
fn playbook_schema_matches_the_types() {
    compare("schemas/playbook.schema.json", schema());
}

#[test]
fn report_schema_matches_the_types() {
    compare("schemas/report.schema.json", report_schema());
}
