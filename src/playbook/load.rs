//! Reading playbooks and their rule files, with errors that point at file:line:col.

use std::path::Path;

use super::model::Playbook;
use crate::{
    base::source::{SourceError, SourceFile, deserialize, read},
    rules::{Rule, RuleFile},
};

/// A playbook with its rule files merged in, and the sources it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub playbook: Playbook,
    /// The playbook file first, then each included rule file.
    pub sources: Vec<SourceFile>,
    /// For each rule of `playbook.rules`: the index in `sources` of its file and its index there.
    pub rule_origins: Vec<(usize, usize)>,
}

/// Read a playbook and the rule files it includes (relative to the playbook's folder).
pub fn load(path: &Path) -> Result<Loaded, SourceError> {
    let main = read(path)?;
    let mut playbook: Playbook = deserialize(&main)?;
    let mut rule_origins: Vec<(usize, usize)> = (0..playbook.rules.len()).map(|i| (0, i)).collect();
    let mut sources = vec![main];
    let base = path.parent().unwrap_or(Path::new("."));
    for (index, include) in playbook.include.clone().iter().enumerate() {
        let included_path = base.join(include);
        let included = read(&included_path).map_err(|err| {
            sources[0].error_at_path(
                &["include", &index.to_string()],
                None,
                format!(
                    "cannot read included rule file {include:?}: {}",
                    err.message
                ),
            )
        })?;
        let file: RuleFile = deserialize(&included)?;
        let source_index = sources.len();
        rule_origins.extend((0..file.rules.len()).map(|i| (source_index, i)));
        let rules: Vec<Rule> = file.rules;
        playbook.rules.extend(rules);
        sources.push(included);
    }
    Ok(Loaded {
        playbook,
        sources,
        rule_origins,
    })
}

/// Parse a playbook from text, for tests.
#[cfg(test)]
pub(crate) fn load_str(name: &str, text: &str) -> Result<Loaded, SourceError> {
    let source = SourceFile {
        path: std::path::PathBuf::from(name),
        text: text.to_string(),
    };
    let playbook: Playbook = deserialize(&source)?;
    let rule_origins = (0..playbook.rules.len()).map(|i| (0, i)).collect();
    Ok(Loaded {
        playbook,
        sources: vec![source],
        rule_origins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_names_line_and_column() {
        let text = "name = \"x\"\n\n[[rule]]\nid = \"a\"\nresource = \"cpu\"\nsignal = \"saturation\"\nwhen = \"max(vmstat.r) > 1\"\nseverty = \"high\"\nmessage = \"m\"\n";
        let err = load_str("x.toml", text).unwrap_err();
        assert_eq!((err.line, err.column), (8, 1), "{err}");
        assert!(err.message.contains("severty"), "{err}");
    }
}
