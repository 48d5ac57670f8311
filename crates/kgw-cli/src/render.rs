//! Rendering diagnostics: rustc-style text with the offending line shown and underlined, or the
//! JSON contract.

use std::fmt::Write as _;
use std::io::IsTerminal;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use kgw_api::ObjectRef;
use kgw_api::load::LoadError;
use kgw_validate::{Diagnostic, Severity};
use serde::Serialize;

use crate::inputs::Sources;

/// One diagnostic in the JSON contract's shape: a validation finding or a load error.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// `error`, `warning` or `info`.
    pub severity: Severity,
    /// Stable kebab-case code.
    pub code: String,
    /// The object, when known (a YAML syntax error has none).
    pub object: Option<ObjectRef>,
    /// Field path within the object; `""` for the object or file itself.
    pub field: String,
    /// The file (`-` for standard input).
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u64>,
    /// 1-based column (an addition to the contract's fields).
    pub column: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl From<&LoadError> for Finding {
    fn from(e: &LoadError) -> Self {
        Self {
            severity: Severity::Error,
            code: e.code().to_owned(),
            object: e.object.clone(),
            field: e.field.clone().unwrap_or_default(),
            file: Some(e.file.to_string()),
            line: e.position.map(|p| p.line),
            column: e.position.map(|p| p.column),
            message: e.kind.to_string(),
        }
    }
}

impl From<&Diagnostic> for Finding {
    fn from(d: &Diagnostic) -> Self {
        Self {
            severity: d.severity,
            code: d.code.to_owned(),
            object: Some(d.object.clone()),
            field: d.field.clone(),
            file: d.file.as_deref().map(str::to_owned),
            line: d.line,
            column: d.column,
            message: d.message.clone(),
        }
    }
}

/// Whether to colour: only on a terminal, and never with `NO_COLOR` set.
pub fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Renders one finding as rustc does: title, location, the source line underlined.
pub fn finding_text(f: &Finding, sources: &mut Sources, colour: bool) -> String {
    let level = match f.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let renderer = if colour {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let title = level.primary_title(&f.message).id(&f.code);
    let label = if f.field.is_empty() {
        f.object
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    } else {
        f.field.clone()
    };
    // A Secret's lines may hold its values: never show them.
    let is_secret = f
        .object
        .as_ref()
        .is_some_and(|o| o.kind == "Secret" && o.group.is_empty());
    let shown = match (&f.file, f.line) {
        (Some(file), Some(line)) if !is_secret => {
            sources.line(file, line).map(|text| (file, line, text))
        }
        _ => None,
    };
    if let Some((file, line, text)) = shown {
        let column = usize::try_from(f.column.unwrap_or(1).max(1) - 1).unwrap_or(0);
        let (text, column) = clip_line(&text, column);
        let start = text
            .char_indices()
            .nth(column)
            .map_or(text.len(), |(i, _)| i);
        let end = text.trim_end().len().max(start);
        let snippet = Snippet::source(&text)
            .line_start(usize::try_from(line).unwrap_or(1))
            .path(file.as_str())
            .annotation(AnnotationKind::Primary.span(start..end).label(&label));
        renderer.render(&[title.element(snippet)])
    } else {
        let mut location = f.file.clone().unwrap_or_default();
        if let Some(line) = f.line {
            let _ = write!(location, ":{line}");
            if let Some(column) = f.column {
                let _ = write!(location, ":{column}");
            }
        }
        let mut out = renderer.render(&[title.element(annotate_snippets::Origin::path(&location))]);
        if !label.is_empty() {
            let _ = write!(out, "\n  = {label}");
        }
        out
    }
}

/// Characters of a source line shown around the column (flow-style YAML can put a whole object
/// on one line: thousands of findings on a 500 kB line must not print it thousands of times).
const SHOWN_CHARS: usize = 160;

/// The part of `text` to show for a finding at `column` (0-based, in characters), with `…` where
/// it was cut, and the column within that part.
fn clip_line(text: &str, column: usize) -> (String, usize) {
    let chars = text.chars().count();
    if chars <= SHOWN_CHARS {
        return (text.to_owned(), column);
    }
    let first = column.saturating_sub(SHOWN_CHARS / 4).min(chars);
    let last = (first + SHOWN_CHARS).min(chars);
    let mut clipped = String::with_capacity(SHOWN_CHARS * 2);
    let mut shift = first;
    if first > 0 {
        clipped.push('…');
        shift -= 1;
    }
    clipped.extend(text.chars().skip(first).take(last - first));
    if last < chars {
        clipped.push('…');
    }
    (clipped, column - shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_shown_around_the_column() {
        let line = format!("{}port: 80{}", "a".repeat(10_000), "b".repeat(10_000));
        let (shown, column) = clip_line(&line, 10_000);
        assert!(shown.chars().count() <= SHOWN_CHARS + 2, "{}", shown.len());
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        let at: String = shown.chars().skip(column).take(8).collect();
        assert_eq!(at, "port: 80");
        assert_eq!(clip_line("short: 1", 3), ("short: 1".to_owned(), 3));
        let (start, column) = clip_line(&line, 0);
        assert_eq!(column, 0);
        assert!(start.starts_with('a') && start.ends_with('…'));
    }

    fn finding(line: Option<u64>, column: Option<u64>) -> Finding {
        Finding {
            severity: Severity::Warning,
            code: "backend-ref-port".into(),
            object: None,
            field: "spec.rules[0].backendRefs[0].port".into(),
            file: Some("-".into()),
            line,
            column,
            message: "a Backend defines its own ports".into(),
        }
    }

    #[test]
    fn text_shows_and_underlines_the_line() {
        let mut sources = Sources::for_stdin("a: 1\n  port: 80\n");
        let out = finding_text(&finding(Some(2), Some(3)), &mut sources, false);
        assert!(
            out.starts_with("warning[backend-ref-port]: a Backend defines its own ports"),
            "{out}"
        );
        assert!(out.contains("--> -:2:3"), "{out}");
        assert!(out.contains("2 |   port: 80"), "{out}");
        assert!(
            out.contains("^^^^^^^^ spec.rules[0].backendRefs[0].port"),
            "{out}"
        );
    }

    #[test]
    fn text_without_a_readable_line_still_locates() {
        let mut sources = Sources::for_stdin("");
        let out = finding_text(&finding(Some(9), Some(1)), &mut sources, false);
        assert!(out.contains("-:9:1"), "{out}");
        assert!(out.contains("spec.rules[0].backendRefs[0].port"), "{out}");
    }

    #[test]
    fn secret_lines_are_never_shown() {
        let mut sources = Sources::for_stdin("stringData:\n  key: hunter2\n");
        let mut f = finding(Some(2), Some(3));
        f.object = Some(ObjectRef {
            group: "".into(),
            kind: "Secret".into(),
            namespace: "default".into(),
            name: "s".into(),
        });
        let out = finding_text(&f, &mut sources, false);
        assert!(!out.contains("hunter2"), "{out}");
    }
}
