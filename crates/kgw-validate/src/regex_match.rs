//! Regular expressions of `RegularExpression` matches, compiled with a size limit so that a
//! hostile pattern costs bounded memory. Validation uses [`check_full_match`] (parse + forward
//! NFA under the limit); the resolver should build its matchers with [`compile_full_match`] and
//! treat a failure as "never matches", like an `invalid_matches` entry.

use regex::{Regex, RegexBuilder};
use regex_automata::nfa::thompson::NFA;

/// Default limit on a compiled pattern's size, in bytes (`RegexBuilder::size_limit`).
pub const DEFAULT_SIZE_LIMIT: usize = 1 << 20;

/// Compiles `pattern` so that it must match the whole input (`^(?:pattern)$`), within
/// `size_limit` bytes of compiled program. The error is a message a person can act on.
pub fn compile_full_match(pattern: &str, size_limit: usize) -> Result<Regex, String> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(size_limit)
        .dfa_size_limit(size_limit)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "regular expression {pattern:?} compiles to more than {limit} bytes; simplify it"
            ),
            other => format!("regular expression {pattern:?} does not compile: {other}"),
        })
}

/// Checks that `pattern` compiles under `size_limit` without building a full matcher: the syntax
/// is parsed by the same parser as [`compile_full_match`] and the forward NFA, the structure the
/// size limit bounds, is built under the same limit. About ten times cheaper than compiling.
pub fn check_full_match(pattern: &str, size_limit: usize) -> Result<(), String> {
    let anchored = format!("^(?:{pattern})$");
    let syntax = regex_automata::util::syntax::parse(&anchored)
        .map_err(|e| format!("regular expression {pattern:?} does not compile: {e}"))?;
    NFA::compiler()
        .configure(NFA::config().nfa_size_limit(Some(size_limit)))
        .build_from_hir(&syntax)
        .map(drop)
        .map_err(|_| {
            format!(
                "regular expression {pattern:?} compiles to more than {size_limit} bytes; simplify it"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_and_limits() {
        let re = compile_full_match("/a|/ab", DEFAULT_SIZE_LIMIT).unwrap();
        assert!(re.is_match("/ab"));
        assert!(!re.is_match("/abc"));
        assert!(
            compile_full_match("(", DEFAULT_SIZE_LIMIT)
                .unwrap_err()
                .contains("does not compile")
        );
        let err = compile_full_match("\\w{1000}\\w{1000}", 1024).unwrap_err();
        assert!(err.contains("more than"), "{err}");
        // The cheap check agrees with the full compile on these.
        for (p, limit) in [
            ("/a|/ab", DEFAULT_SIZE_LIMIT),
            ("(", DEFAULT_SIZE_LIMIT),
            ("\\w{1000}\\w{1000}", 1024),
            ("[a-z]+/x", 4096),
        ] {
            assert_eq!(
                check_full_match(p, limit).is_ok(),
                compile_full_match(p, limit).is_ok(),
                "{p}"
            );
        }
    }
}
