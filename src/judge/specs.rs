//! Parser specs (`parsers/*.toml`): tools read without Rust, loaded from disk for the parse
//! layer, which sees only the text it is given.

use std::path::{Path, PathBuf};

use crate::{parse::spec::ParserSpec, record::ParseWarning};

/// Where parser specs are read from, relative to the current directory.
pub const PARSERS_DIR: &str = "parsers";

/// Every `*.toml` parser spec in `dir`, in file-name order (the first that recognizes a file
/// reads it), and a warning for each that could not be read or is wrong. A missing directory
/// is no spec and no warning.
pub fn load_specs(dir: &Path) -> (Vec<ParserSpec>, Vec<ParseWarning>) {
    let mut specs = Vec::new();
    let mut warnings = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (specs, warnings);
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.display().to_string();
        let loaded = std::fs::read_to_string(&path)
            .map_err(|err| ParseWarning {
                file: name.clone(),
                line: 0,
                message: format!("parser spec not loaded: {err}"),
            })
            .and_then(|text| {
                ParserSpec::from_toml(&name, &text).map_err(|err| ParseWarning {
                    file: name.clone(),
                    line: err.line,
                    message: format!(
                        "column {}: parser spec not loaded: {}",
                        err.column, err.message
                    ),
                })
            });
        match loaded {
            Ok(spec) if specs.iter().any(|s: &ParserSpec| s.name() == spec.name()) => warnings
                .push(ParseWarning {
                    file: name,
                    line: 1,
                    message: format!(
                        "parser spec not loaded: another spec is named {:?}",
                        spec.name()
                    ),
                }),
            Ok(spec) => specs.push(spec),
            Err(warning) => warnings.push(warning),
        }
    }
    (specs, warnings)
}
