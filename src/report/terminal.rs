//! Plain-text output for the terminal: the plan of a dry run, `check` results, `doctor`.

use crate::{collect::doctor::Check, schedule::Plan};

pub fn plan(plan: &Plan) -> String {
    let mut out = format!(
        "plan for {} (interval {:?}, at most {:?} in all)\n",
        plan.playbook,
        plan.interval,
        plan.total_time()
    );
    for (index, phase) in plan.phases.iter().enumerate() {
        out.push_str(&format!(
            "  phase {} {:?}: time box {:?}{}\n",
            index + 1,
            phase.name,
            phase.time_box,
            phase
                .when
                .as_ref()
                .map(|when| format!(", only when {when}"))
                .unwrap_or_default()
        ));
        for step in &phase.steps {
            let target = step
                .args
                .target
                .as_ref()
                .map(|target| format!(" (target: {target})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "    {:<14} {:<12} → raw_data/{}{target}\n",
                step.name,
                step.collector.name(),
                step.output
            ));
        }
    }
    out
}

pub fn doctor(checks: &[Check]) -> String {
    let mut out = String::new();
    for check in checks {
        out.push_str(&format!(
            "{} {:<45} {}\n",
            if check.ok { "ok  " } else { "MISS" },
            check.name,
            check.detail
        ));
        if !check.hint.is_empty() {
            out.push_str(&format!("     {:<45} → {}\n", "", check.hint));
        }
    }
    out
}
