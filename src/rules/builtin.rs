//! The rule sets shipped with perf_manual (`playbooks/rules/*.toml`), built into the binary so
//! `analyze` and `use-check` judge with them wherever they run. Each rule is compiled once, as
//! it is read.

use super::{CompiledRule, RuleFile, compile};

/// The USE rules the triage playbook includes, and the kernel log's (`use-kernel.toml`: a run
/// captures no kernel log, data brought to `analyze` may hold one), judged when data comes
/// without a playbook.
const USE_RULES: [(&str, &str); 7] = [
    (
        "use-cpu.toml",
        include_str!("../../playbooks/rules/use-cpu.toml"),
    ),
    (
        "use-memory.toml",
        include_str!("../../playbooks/rules/use-memory.toml"),
    ),
    (
        "use-disk.toml",
        include_str!("../../playbooks/rules/use-disk.toml"),
    ),
    (
        "use-network.toml",
        include_str!("../../playbooks/rules/use-network.toml"),
    ),
    (
        "use-network-stack.toml",
        include_str!("../../playbooks/rules/use-network-stack.toml"),
    ),
    (
        "use-mutex.toml",
        include_str!("../../playbooks/rules/use-mutex.toml"),
    ),
    (
        "use-kernel.toml",
        include_str!("../../playbooks/rules/use-kernel.toml"),
    ),
];

/// The rules of `use-check`: one interval, no `for` windows.
const USE_CHECK_RULES: (&str, &str) = (
    "use-check.toml",
    include_str!("../../playbooks/rules/use-check.toml"),
);

/// The RED rules of `red-check` (and of playbooks that include them).
const RED_RULES: (&str, &str) = ("red.toml", include_str!("../../playbooks/rules/red.toml"));

/// The built-in USE rules. `Err` names the file that does not parse.
pub fn use_rules() -> Result<Vec<CompiledRule>, String> {
    let mut rules = Vec::new();
    for file in USE_RULES {
        rules.extend(read(file)?);
    }
    Ok(rules)
}

/// The RED rules.
pub fn red_rules() -> Result<Vec<CompiledRule>, String> {
    read(RED_RULES)
}

/// The use-check rules.
pub fn use_check_rules() -> Result<Vec<CompiledRule>, String> {
    read(USE_CHECK_RULES)
}

fn read((name, text): (&str, &str)) -> Result<Vec<CompiledRule>, String> {
    toml::from_str::<RuleFile>(text)
        .map(|file| file.rules.into_iter().map(compile).collect())
        .map_err(|err| format!("built-in {name}: {err}"))
}
