//! The published schemas are generated from the Rust types (`perf_manual::schemas`, one place);
//! this fails when a file in schemas/ drifts from its types, or when schemas/ holds a file that
//! is not published. Regenerate on purpose with `SNAPSHOTS=overwrite cargo test --test schemas`.

mod common;

use common::golden;

use perf_manual::schemas::PUBLISHED;

#[test]
fn every_published_schema_matches_its_types() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for published in &PUBLISHED {
        let text = serde_json::to_string_pretty(&(published.generate)()).unwrap() + "\n";
        golden(&dir.join(published.file), &text);
    }
}

#[test]
fn schemas_holds_only_published_schemas() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut published: Vec<&str> = PUBLISHED.iter().map(|p| p.file).collect();
    published.sort();
    assert_eq!(files, published);
}
