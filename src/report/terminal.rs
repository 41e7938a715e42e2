//! Plain-text output for the terminal: the plan of a dry run, `check` results, `doctor`; and
//! the borderless text tables every terminal output lays out with comfy-table.

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};

use crate::{collect::doctor::Check, schedule::Plan};

/// A table without borders or lines, its columns left-aligned, each at least as wide as
/// `widths` says (0: as wide as its widest cell) and followed by `gap` spaces; lines carry
/// no trailing blanks.
pub(crate) fn text_table<R: Into<comfy_table::Row>>(
    rows: impl IntoIterator<Item = R>,
    widths: &[u16],
    gap: u16,
) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .add_rows(rows);
    for column in table.column_iter_mut() {
        column.set_padding((0, gap));
    }
    table.set_constraints(
        widths
            .iter()
            .map(|&width| ColumnConstraint::LowerBoundary(Width::Fixed(width + gap))),
    );
    table
}

/// Each line of `table` indented by `indent`, with a newline after each.
fn indented(table: &Table, indent: &str) -> String {
    table
        .trim_fmt()
        .lines()
        .map(|line| format!("{indent}{line}\n"))
        .collect()
}

pub fn plan(plan: &Plan) -> String {
    let (shortest, longest) = (plan.shortest(), plan.longest());
    let length = if shortest == longest {
        format!("{longest:?}")
    } else {
        format!("at least {shortest:?}, at most {longest:?} if every conditional phase runs")
    };
    let mut out = format!(
        "plan for {} (interval {:?}): {length}\n",
        plan.playbook, plan.interval,
    );
    for (index, phase) in plan.phases.iter().enumerate() {
        let observe = phase
            .observe
            .map(|observe| format!(" (observes {observe:?}, as --duration asks)"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  phase {} {:?}: time box {:?}{observe}{}\n",
            index + 1,
            phase.name,
            phase.time_box,
            phase
                .when
                .as_ref()
                .map(|when| format!(", only when {when}"))
                .unwrap_or_default()
        ));
        let steps = phase.steps.iter().map(|step| {
            let target = step
                .args
                .target
                .as_ref()
                .map(|target| format!(" (target: {target})"))
                .unwrap_or_default();
            vec![
                step.name.clone(),
                step.collector.name().to_string(),
                format!("→ raw_data/{}{target}", step.output),
            ]
        });
        out.push_str(&indented(&text_table(steps, &[14, 12], 1), "    "));
    }
    out
}

pub fn doctor(checks: &[Check]) -> String {
    let rows = checks.iter().flat_map(|check| {
        let status = if check.ok { "ok" } else { "MISS" };
        let hint = (!check.hint.is_empty())
            .then(|| vec![String::new(), String::new(), format!("→ {}", check.hint)]);
        std::iter::once(vec![
            status.to_string(),
            check.name.clone(),
            check.detail.clone(),
        ])
        .chain(hint)
    });
    indented(&text_table(rows, &[4, 45], 1), "")
}
