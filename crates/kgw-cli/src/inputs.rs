//! Reading the manifests named on the command line, keeping their text for snippets.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use kgw_api::Resources;
use kgw_api::load::{LoadError, LoadOptions, Loader};
use kgw_validate::{Options, ReferenceGrantMode};

use crate::args::{GrantMode, ManifestArgs};

/// What the command line named, loaded.
pub struct Inputs {
    /// Every object that loaded.
    pub resources: Resources,
    /// Every load error, in input order.
    pub errors: Vec<LoadError>,
    /// Standard input's text, kept because it cannot be read twice.
    stdin: Option<Arc<str>>,
}

impl Inputs {
    /// Loads every path; `-` is standard input.
    pub fn load(args: &ManifestArgs) -> Self {
        let options = LoadOptions {
            allow_unknown_fields: args.validation.allow_unknown_fields,
            ..LoadOptions::default()
        };
        let mut loader = Loader::new(options);
        let mut stdin = None;
        for path in &args.paths {
            if path.as_os_str() == "-" {
                let mut text = String::new();
                match std::io::stdin().lock().read_to_string(&mut text) {
                    Ok(_) => loader.add_str("-", &text),
                    Err(_) => loader.add_path(path),
                }
                stdin = Some(text.into());
            } else {
                loader.add_path(path);
            }
        }
        let (resources, errors) = loader.into_parts();
        Self {
            resources,
            errors,
            stdin,
        }
    }

    /// Whether a path could not be read at all (a usage error, exit 2).
    pub fn unreadable(&self) -> impl Iterator<Item = &LoadError> {
        self.errors.iter().filter(|e| e.code() == "unreadable")
    }

    /// The source texts, for showing the offending lines.
    pub fn sources(&self) -> Sources {
        Sources {
            stdin: self.stdin.clone(),
            files: HashMap::new(),
        }
    }
}

/// Validation options from the command line.
pub fn validate_options(args: &ManifestArgs) -> Options {
    Options {
        reference_grant_mode: match args.validation.reference_grant_mode {
            GrantMode::Strict => ReferenceGrantMode::Strict,
            GrantMode::Permissive => ReferenceGrantMode::Permissive,
            GrantMode::Off => ReferenceGrantMode::Off,
        },
        controller_name: args.validation.controller_name.clone(),
        ..Options::default()
    }
}

/// Source texts by file name, read on first use.
pub struct Sources {
    stdin: Option<Arc<str>>,
    files: HashMap<String, Option<Lines>>,
}

/// A text and where each of its lines starts: a report can quote thousands of lines of one
/// file, and finding each by scanning from the top made that quadratic.
struct Lines {
    text: Arc<str>,
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: Arc<str>) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { text, starts }
    }

    /// Line `index` (0-based) without its line ending, as `str::lines` gives it.
    fn get(&self, index: usize) -> Option<&str> {
        let start = *self.starts.get(index)?;
        if start == self.text.len() {
            // The text ends with a newline: there is no line after it.
            return None;
        }
        match self.starts.get(index + 1) {
            // A line ended by `\r\n` loses both; a last line without `\n` keeps a `\r`.
            Some(&next) => {
                let line = &self.text[start..next - 1];
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            None => Some(&self.text[start..]),
        }
    }
}

impl Sources {
    /// Sources where standard input held `text` (for tests).
    #[cfg(test)]
    pub fn for_stdin(text: &str) -> Self {
        Self {
            stdin: Some(text.into()),
            files: HashMap::new(),
        }
    }

    /// The text of line `line` (1-based) of `file`, when it can be read.
    pub fn line(&mut self, file: &str, line: u64) -> Option<String> {
        let key = if file == "-" { "" } else { file };
        let stdin = &self.stdin;
        let lines = self
            .files
            .entry(key.to_owned())
            .or_insert_with(|| {
                let text = if file == "-" {
                    stdin.clone()
                } else {
                    std::fs::read_to_string(file).ok().map(Into::into)
                };
                text.map(Lines::new)
            })
            .as_ref()?;
        let index = usize::try_from(line.checked_sub(1)?).ok()?;
        lines.get(index).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_are_the_ones_str_lines_gives() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "\n\nc",
            "x\r",
            "é\nü\r\n\r\n",
        ] {
            let lines = Lines::new(text.into());
            for index in 0..6 {
                assert_eq!(
                    lines.get(index),
                    text.lines().nth(index),
                    "{text:?} {index}"
                );
            }
        }
    }
}
