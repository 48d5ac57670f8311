//! Load errors: each names the file, the document, the line and column, and the field.

use std::fmt;
use std::sync::Arc;

use super::yaml::Position;
use crate::resource::ObjectRef;

/// Something wrong with one manifest, located as precisely as the input allows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file (`-` for standard input).
    pub file: Arc<str>,
    /// 0-based index of the document among the file's non-empty documents.
    pub document: Option<usize>,
    /// Line and column of the offending field, document or character.
    pub position: Option<Position>,
    /// Field path within the object (`spec.rules[0].backendRefs[1].port`).
    pub field: Option<String>,
    /// The object, when the document got far enough to name one (group, kind, namespace, name).
    pub object: Option<ObjectRef>,
    /// What is wrong.
    pub kind: LoadErrorKind,
}

/// What is wrong with a manifest.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The file or folder could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The file is over [`LoadOptions::max_file_bytes`](super::LoadOptions::max_file_bytes).
    #[error("the file is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The input is not UTF-8 text.
    #[error("the input is not UTF-8 text")]
    NotText,
    /// YAML syntax error, duplicated key, or a scalar that is not a JSON value.
    #[error("{0}")]
    Syntax(String),
    /// A parsing budget was exceeded (nesting depth, alias expansion, node count).
    #[error("{0}")]
    Limit(String),
    /// The document is a scalar or a sequence, not an object.
    #[error("the document is not a Kubernetes object (a mapping with apiVersion and kind)")]
    NotAnObject,
    /// `apiVersion` or `kind` is missing or not a string.
    #[error("`apiVersion` and `kind` must both be set to strings")]
    MissingKind,
    /// A known kind in an API version that kgw does not read.
    #[error("{kind} is not served at {api_version}; supported versions: {supported}")]
    UnsupportedVersion {
        /// The kind.
        kind: String,
        /// The `apiVersion` given.
        api_version: String,
        /// The versions kgw reads.
        supported: String,
    },
    /// A field has the wrong type or an invalid enum value.
    #[error("{0}")]
    InvalidField(String),
    /// A field that the kind does not have: usually a typo.
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// `metadata.name` is missing or empty.
    #[error("`metadata.name` is required")]
    MissingName,
    /// The same object is defined twice.
    #[error("{object} is defined twice; the first definition is at {first}")]
    Duplicate {
        /// The object.
        object: String,
        /// `file:line` of the first definition.
        first: String,
    },
}

impl LoadError {
    /// A stable kebab-case code for this error.
    pub fn code(&self) -> &'static str {
        match self.kind {
            LoadErrorKind::Io(_) => "unreadable",
            LoadErrorKind::TooLarge { .. } => "file-too-large",
            LoadErrorKind::NotText => "not-text",
            LoadErrorKind::Syntax(_) => "yaml-syntax",
            LoadErrorKind::Limit(_) => "yaml-limit",
            LoadErrorKind::NotAnObject => "not-an-object",
            LoadErrorKind::MissingKind => "missing-kind",
            LoadErrorKind::UnsupportedVersion { .. } => "unsupported-api-version",
            LoadErrorKind::InvalidField(_) => "invalid-field",
            LoadErrorKind::UnknownField(_) => "unknown-field",
            LoadErrorKind::MissingName => "missing-name",
            LoadErrorKind::Duplicate { .. } => "duplicate-object",
        }
    }

    /// Whether the error concerns the whole file rather than one document in it.
    pub fn is_file_error(&self) -> bool {
        matches!(
            self.kind,
            LoadErrorKind::Io(_) | LoadErrorKind::TooLarge { .. } | LoadErrorKind::NotText
        )
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(p) = self.position {
            write!(f, ":{p}")?;
        }
        f.write_str(": ")?;
        if let Some(d) = self.document {
            write!(f, "document {d}: ")?;
        }
        if let Some(field) = self.field.as_deref().filter(|s| !s.is_empty()) {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// Every error found while loading, in input order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
