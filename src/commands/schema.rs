//! `perf_manual schema`: the playbook JSON schema, generated from the playbook types.

use crate::{exit, schemas};

pub fn schema() -> i32 {
    println!(
        "{}",
        serde_json::to_string_pretty(&schemas::playbook()).unwrap_or_default()
    );
    exit::SUCCESS
}
