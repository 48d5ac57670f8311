//! `kgw check`: diagnostics, then the status every object would get.

use std::fmt::Write as _;

use kgw_api::{Condition, ConditionStatus};
use kgw_validate::{ObjectStatus, Severity};
use serde::Serialize;

use crate::args::{CheckArgs, Output};
use crate::inputs::{Inputs, validate_options};
use crate::render::{Finding, finding_text, use_colour};
use crate::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};

/// The JSON answer of `kgw check --output json`.
#[derive(Serialize)]
struct CheckJson<'a> {
    diagnostics: &'a [Finding],
    statuses: &'a [ObjectStatus],
}

/// Runs `kgw check` and returns the exit status.
pub fn run(args: &CheckArgs) -> u8 {
    let inputs = Inputs::load(&args.manifests);
    let unreadable: Vec<Finding> = inputs.unreadable().map(Finding::from).collect();
    if !unreadable.is_empty() {
        for f in &unreadable {
            eprintln!(
                "error[{}]: {}: {}",
                f.code,
                f.file.as_deref().unwrap_or_default(),
                f.message
            );
        }
        return EXIT_USAGE;
    }
    let report = kgw_validate::validate(&inputs.resources, &validate_options(&args.manifests));
    let findings: Vec<Finding> = inputs
        .errors
        .iter()
        .map(Finding::from)
        .chain(report.diagnostics.iter().map(Finding::from))
        .collect();
    let statuses = report.statuses();
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));

    match args.output {
        Output::Json => {
            let json = CheckJson {
                diagnostics: &findings,
                statuses: &statuses,
            };
            match serde_json::to_string_pretty(&json) {
                Ok(text) => println!("{text}"),
                Err(e) => {
                    eprintln!("error: cannot write JSON: {e}");
                    return EXIT_FINDINGS;
                }
            }
        }
        Output::Text => {
            let colour = use_colour();
            let mut sources = inputs.sources();
            for f in &findings {
                println!("{}\n", finding_text(f, &mut sources, colour));
            }
            print!("{}", statuses_text(&statuses));
            println!(
                "{} object(s) checked: {errors} error(s), {warnings} warning(s)",
                inputs.resources.len()
            );
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// One line per object, then one per parent or listener, each with its conditions.
fn statuses_text(statuses: &[ObjectStatus]) -> String {
    let mut out = String::new();
    for s in statuses {
        let o = &s.object;
        if o.namespace.is_empty() {
            let _ = write!(out, "{} {}", o.kind, o.name);
        } else {
            let _ = write!(out, "{} {}/{}", o.kind, o.namespace, o.name);
        }
        if let Some(conditions) = &s.conditions {
            let _ = write!(out, ": {}", conditions_text(conditions));
        }
        out.push('\n');
        for p in s.parents.iter().flatten() {
            let r = &p.parent_ref;
            let mut parent = format!("{} {}/{}", r.kind, r.namespace, r.name);
            if let Some(section) = &r.section_name {
                let _ = write!(parent, " section {section}");
            }
            if let Some(port) = r.port {
                let _ = write!(parent, " port {port}");
            }
            let _ = writeln!(out, "  parent {parent}: {}", conditions_text(&p.conditions));
        }
        for l in s.listeners.iter().flatten() {
            let _ = writeln!(
                out,
                "  listener {}: {} route(s); {}",
                l.name,
                l.attached_routes,
                conditions_text(&l.conditions)
            );
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// `Accepted=True (Accepted), ResolvedRefs=False (BackendNotFound: message)`.
fn conditions_text(conditions: &[Condition]) -> String {
    let parts: Vec<String> = conditions
        .iter()
        .map(|c| {
            let status = match c.status {
                ConditionStatus::True => "True",
                ConditionStatus::False => "False",
                ConditionStatus::Unknown => "Unknown",
            };
            // A message that only repeats a healthy reason adds nothing.
            if c.message.is_empty() || c.status == ConditionStatus::True {
                format!("{}={status} ({})", c.type_, c.reason)
            } else {
                format!("{}={status} ({}: {})", c.type_, c.reason, c.message)
            }
        })
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(
        type_: &'static str,
        status: ConditionStatus,
        reason: &'static str,
        message: &str,
    ) -> Condition {
        Condition {
            type_: type_.into(),
            status,
            observed_generation: None,
            last_transition_time: None,
            reason: reason.into(),
            message: message.to_owned().into(),
        }
    }

    #[test]
    fn conditions_show_messages_only_when_unhealthy() {
        let text = conditions_text(&[
            condition(
                "Accepted",
                ConditionStatus::True,
                "Accepted",
                "Route is accepted",
            ),
            condition(
                "ResolvedRefs",
                ConditionStatus::False,
                "BackendNotFound",
                "no such backend",
            ),
        ]);
        assert_eq!(
            text,
            "Accepted=True (Accepted), ResolvedRefs=False (BackendNotFound: no such backend)"
        );
    }
}
