//! Collecting diagnostics about one object: each finding gets the object, the field path and the
//! field's place in the manifest.

use std::fmt::{self, Write as _};

use kgw_api::{ObjectRef, Resource, SmolStr, Source, Stored};

use crate::report::{Diagnostic, Severity};

/// Where diagnostics about one object go.
pub(crate) struct Sink<'a> {
    // The object's reference parts: the owned `ObjectRef` is built only when a diagnostic is
    // recorded, as most objects have none.
    group: &'static str,
    kind: &'static str,
    namespace: &'a str,
    name: &'a str,
    source: Option<&'a Source>,
    out: &'a mut Vec<Diagnostic>,
}

impl<'a> Sink<'a> {
    /// A sink for one stored object.
    pub(crate) fn new<T: Resource>(stored: &'a Stored<T>, out: &'a mut Vec<Diagnostic>) -> Self {
        let metadata = stored.object.metadata();
        Self {
            group: T::GROUP,
            kind: T::KIND,
            namespace: metadata.namespace(),
            name: metadata.name(),
            source: stored.source.as_ref(),
            out,
        }
    }

    /// Records a finding.
    pub(crate) fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        field: impl fmt::Display,
        message: impl Into<String>,
    ) {
        // Sized for a typical path (`spec.rules[0].backendRefs[1].namespace`) so that writing it
        // piece by piece does not reallocate.
        let mut rendered = String::with_capacity(64);
        // Writing to a `String` cannot fail.
        let _ = write!(rendered, "{field}");
        let field = rendered;
        let position = self.source.map(|s| s.field(&field));
        self.out.push(Diagnostic {
            severity,
            code,
            object: ObjectRef {
                group: SmolStr::new_static(self.group),
                kind: SmolStr::new_static(self.kind),
                namespace: self.namespace.into(),
                name: self.name.into(),
            },
            file: self.source.map(|s| s.file.clone()),
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            field,
            message: message.into(),
        });
    }

    /// Records an error.
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        field: impl fmt::Display,
        message: impl Into<String>,
    ) {
        self.push(Severity::Error, code, field, message);
    }

    /// Records a warning.
    pub(crate) fn warning(
        &mut self,
        code: &'static str,
        field: impl fmt::Display,
        message: impl Into<String>,
    ) {
        self.push(Severity::Warning, code, field, message);
    }

    /// A mark to ask later which errors were recorded after it.
    pub(crate) fn mark(&self) -> usize {
        self.out.len()
    }

    /// The message of the first error recorded between two marks.
    pub(crate) fn first_error_between(&self, from: usize, to: usize) -> Option<&str> {
        self.out
            .get(from..to)?
            .iter()
            .find(|d| d.severity == Severity::Error)
            .map(|d| d.message.as_str())
    }

    /// Messages of every error recorded since `mark`, in order.
    pub(crate) fn errors_since(&self, mark: usize) -> Vec<String> {
        self.out
            .get(mark..)
            .unwrap_or_default()
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.message.clone())
            .collect()
    }
}

/// A field path (`spec.rules[0].backendRefs[1]`) that is written out only when a diagnostic
/// needs it: most checked fields are fine, and formatting every path costs more than checking.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'p> {
    /// A top-level path such as `spec.rules`.
    Root(&'static str),
    /// `parent.name`.
    Field(&'p Path<'p>, &'static str),
    /// `parent[index]`.
    Index(&'p Path<'p>, usize),
}

impl<'p> Path<'p> {
    /// `self.name`.
    pub(crate) fn field(&'p self, name: &'static str) -> Self {
        Self::Field(self, name)
    }

    /// `self[index]`.
    pub(crate) fn index(&'p self, index: usize) -> Self {
        Self::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Piece by piece rather than with `write!`: diagnostics format many paths.
        match self {
            Self::Root(root) => f.write_str(root),
            Self::Field(parent, name) => {
                parent.fmt(f)?;
                f.write_str(".")?;
                f.write_str(name)
            }
            Self::Index(parent, index) => {
                parent.fmt(f)?;
                f.write_str("[")?;
                fmt::Display::fmt(index, f)?;
                f.write_str("]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Path;

    #[test]
    fn paths_render_like_the_manifest() {
        let rules = Path::Root("spec.rules");
        let rule = rules.index(2);
        let refs = rule.field("backendRefs");
        let backend = refs.index(0);
        assert_eq!(
            backend.field("port").to_string(),
            "spec.rules[2].backendRefs[0].port"
        );
        assert_eq!(rules.to_string(), "spec.rules");
    }
}
