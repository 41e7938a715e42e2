//! Parser specs (`parsers/*.toml`): tools read without Rust, loaded from disk for the parse
//! layer, which sees only the text it is given. The shipped ones are built in too
//! ([`crate::parse::spec::SHIPPED`]).

use std::path::{Path, PathBuf};

use crate::{
    parse::spec::{ParserSpec, SHIPPED},
    record::ParseWarning,
};

/// Where parser specs are read from, relative to the current directory.
pub const PARSERS_DIR: &str = "parsers";

/// The shipped specs, then those in `dir` ([`load_specs`]); a spec in `dir` takes the place of
/// the shipped one of the same name, so a local copy can be changed.
pub fn shipped_and_local(dir: &Path) -> (Vec<ParserSpec>, Vec<ParseWarning>) {
    let (local, mut warnings) = load_specs(dir);
    let mut specs = Vec::new();
    for (name, text) in SHIPPED {
        match ParserSpec::from_toml(name, text) {
            Ok(spec) if local.iter().all(|own| own.name() != spec.name()) => specs.push(spec),
            Ok(_) => {}
            Err(err) => warnings.push(ParseWarning {
                file: name.to_string(),
                line: err.line,
                message: format!("built-in parser spec not loaded: {}", err.message),
            }),
        }
    }
    specs.extend(local);
    (specs, warnings)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_specs_are_built_in_and_a_local_one_takes_the_place_of_its_name() {
        let empty = tempfile::tempdir().unwrap();
        let (specs, warnings) = shipped_and_local(empty.path());
        assert_eq!(warnings, vec![]);
        let names: Vec<&str> = specs.iter().map(ParserSpec::name).collect();
        assert_eq!(names, ["free", "netstat_iface", "ss_summary"]);
        let local = tempfile::tempdir().unwrap();
        let own = SHIPPED[2]
            .1
            .replace("description = \"", "description = \"local: ");
        std::fs::write(local.path().join("ss.toml"), own).unwrap();
        let (specs, warnings) = shipped_and_local(local.path());
        assert_eq!(warnings, vec![]);
        assert_eq!(specs.len(), 3);
        assert!(specs[2].definition.description.starts_with("local: "));
    }
}
