//! The published schemas are generated from the Rust types; this fails when they drift.
//! Regenerate on purpose with `SNAPSHOTS=overwrite cargo test --test schemas`.

mod common;

use common::golden;

use perf_manual::playbook::check::{report_schema, schema};

fn compare(path: &str, generated: serde_json::Value) {
    let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    golden(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path),
        &text,
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
