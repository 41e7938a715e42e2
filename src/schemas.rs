//! Every JSON schema perf_manual publishes in `schemas/`, generated from the Rust types in one
//! place. `tests/schemas.rs` fails when a published file drifts from its types; `perf_manual
//! schema` prints the playbook's.

use schemars::JsonSchema;
use serde_json::Value;

use crate::{
    parse::spec::Definition,
    regress::{Recipe, judge::RegressReport},
    report::{ReportJson, red_check::RedCheckReport, use_check::UseCheckReport},
    schedule::PlanJson,
};

/// A published schema: its file under `schemas/` and how it is made.
pub struct Published {
    pub file: &'static str,
    pub generate: fn() -> Value,
}

/// Everything in `schemas/`.
pub const PUBLISHED: [Published; 9] = [
    Published {
        file: "playbook.schema.json",
        generate: playbook,
    },
    Published {
        file: "report.schema.json",
        generate: report,
    },
    Published {
        file: "parser-spec.schema.json",
        generate: parser_spec,
    },
    Published {
        file: "use-check.schema.json",
        generate: use_check,
    },
    Published {
        file: "red-check.schema.json",
        generate: red_check,
    },
    Published {
        file: "plan.schema.json",
        generate: plan,
    },
    Published {
        file: "error.schema.json",
        generate: error,
    },
    Published {
        file: "recipe.schema.json",
        generate: recipe,
    },
    Published {
        file: "regress.schema.json",
        generate: regress,
    },
];

/// What a command asked for `--format json` prints when it fails.
pub fn error() -> Value {
    generate::<crate::exit::ErrorJson>()
}

/// Playbooks and rule files (`check` validates against it).
pub fn playbook() -> Value {
    crate::playbook::check::schema()
}

/// What `run` and `analyze` print with `--format json`.
pub fn report() -> Value {
    generate::<ReportJson<'static>>()
}

/// Parser specs in `parsers/*.toml`.
pub fn parser_spec() -> Value {
    generate::<Definition>()
}

/// What `use-check --format json` prints.
pub fn use_check() -> Value {
    generate::<UseCheckReport>()
}

/// What `red-check --format json` prints.
pub fn red_check() -> Value {
    generate::<RedCheckReport>()
}

/// What `run --dry-run --format json` prints.
pub fn plan() -> Value {
    generate::<PlanJson<'static>>()
}

/// Regression recipes (`regress RECIPE.toml`).
pub fn recipe() -> Value {
    generate::<Recipe>()
}

/// What `regress --format json` prints; its `current` is what `--save` writes.
pub fn regress() -> Value {
    generate::<RegressReport>()
}

fn generate<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
}
