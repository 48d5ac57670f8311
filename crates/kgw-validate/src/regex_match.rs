//! Regular expressions of `RegularExpression` matches, compiled with a size limit so that a
//! hostile pattern costs bounded memory. Validation uses [`check_full_match`] (parse + forward
//! NFA under the limit); the resolver should build its matchers with [`compile_full_match`] and
//! treat a failure as "never matches", like an `invalid_matches` entry.

use regex::{Regex, RegexBuilder};
use regex_automata::nfa::thompson::{Compiler, NFA};
use regex_syntax::hir::Hir;
use regex_syntax::hir::Look;
use regex_syntax::{Parser, ParserBuilder};

/// Default limit on a compiled pattern's size, in bytes (`RegexBuilder::size_limit`).
pub const DEFAULT_SIZE_LIMIT: usize = 1 << 20;

/// `regex`'s default nesting limit (`RegexBuilder::nest_limit`, 250) less the two levels that
/// `^(?:…)$` adds.
const WRAPPED_NEST_LIMIT: u32 = 250 - 2;

fn does_not_compile(pattern: &str, error: impl std::fmt::Display) -> String {
    format!("regular expression {pattern:?} does not compile: {error}")
}

fn too_big(pattern: &str, limit: usize) -> String {
    format!("regular expression {pattern:?} compiles to more than {limit} bytes; simplify it")
}

/// The parser `regex` uses, with its defaults (Unicode, UTF-8), for a pattern that will be
/// wrapped in `^(?:…)$`.
fn parser() -> Parser {
    // The compiled form parses `^(?:pattern)$`, two levels deeper (the concatenation with the
    // anchors, then the group): the bare pattern gets two levels less so that both parses hit
    // the nesting limit on the same patterns (tested at the limit below).
    ParserBuilder::new().nest_limit(WRAPPED_NEST_LIMIT).build()
}

/// Parses `pattern` on its own (so that it cannot close a wrapping group, as `a)|(b` would, and
/// escape the anchors) and anchors the result at both ends: `^(?:pattern)$` as a syntax tree.
fn parse_anchored(parser: &mut Parser, pattern: &str) -> Result<Hir, String> {
    let hir = parser
        .parse(pattern)
        .map_err(|e| does_not_compile(pattern, e))?;
    Ok(Hir::concat(vec![
        Hir::look(Look::Start),
        hir,
        Hir::look(Look::End),
    ]))
}

/// Builds a matcher from the textual form of a pattern that [`parse_anchored`] accepted.
/// `(?x)` lets a pattern end inside a `#` comment, which would swallow `)$`; the newline ends the
/// comment and is insignificant whitespace in that mode.
fn build_anchored<R>(
    pattern: &str,
    size_limit: usize,
    build: impl Fn(&str) -> Result<R, regex::Error>,
) -> Result<R, String> {
    parse_anchored(&mut parser(), pattern)?;
    build(&format!("^(?:{pattern})$"))
        .or_else(|_| build(&format!("^(?:{pattern}\n)$")))
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => too_big(pattern, size_limit),
            other => does_not_compile(pattern, other),
        })
}

/// Compiles `pattern` so that it must match the whole input (`^(?:pattern)$`), within
/// `size_limit` bytes of compiled program. The error is a message a person can act on.
pub fn compile_full_match(pattern: &str, size_limit: usize) -> Result<Regex, String> {
    build_anchored(pattern, size_limit, |source| {
        RegexBuilder::new(source)
            .size_limit(size_limit)
            .dfa_size_limit(size_limit)
            .build()
    })
}

/// [`compile_full_match`] for matching bytes (paths and percent-decoded query values, which
/// need not be UTF-8). The pattern is accepted or refused exactly as by [`check_full_match`]:
/// validation and the resolver agree on which patterns are valid.
pub fn compile_full_match_bytes(
    pattern: &str,
    size_limit: usize,
) -> Result<regex::bytes::Regex, String> {
    build_anchored(pattern, size_limit, |source| {
        regex::bytes::RegexBuilder::new(source)
            .size_limit(size_limit)
            .dfa_size_limit(size_limit)
            .build()
    })
}

/// Checks that `pattern` compiles under `size_limit` without building a full matcher: the syntax
/// is parsed by the same parser as [`compile_full_match`] and the forward NFA, the structure the
/// size limit bounds, is built under the same limit. About ten times cheaper than compiling.
pub fn check_full_match(pattern: &str, size_limit: usize) -> Result<(), String> {
    RegexChecker::new(size_limit).check(pattern)
}

/// [`check_full_match`] with the parser and NFA compiler kept between patterns, which spares
/// their set-up and allocations on every pattern.
struct RegexChecker {
    size_limit: usize,
    parser: Parser,
    compiler: Compiler,
}

impl RegexChecker {
    fn new(size_limit: usize) -> Self {
        let mut compiler = NFA::compiler();
        compiler.configure(NFA::config().nfa_size_limit(Some(size_limit)));
        Self {
            size_limit,
            parser: parser(),
            compiler,
        }
    }

    fn check(&mut self, pattern: &str) -> Result<(), String> {
        let verdict = parse_anchored(&mut self.parser, pattern).and_then(|anchored| {
            self.compiler
                .build_from_hir(&anchored)
                .map(drop)
                .map_err(|_| too_big(pattern, self.size_limit))
        });
        if verdict.is_err() {
            // regex-syntax 0.8 leaves a parser that returned an error half-way through its
            // state, and its next parse panics (`𖫐\p ` and then `/`: the translator finds two
            // expressions on its stack; rust-lang/regex#1392 for the syntax-tree parser). Errors
            // are rare, so both parts are rebuilt after every one.
            *self = Self::new(self.size_limit);
        }
        verdict
    }
}

/// [`check_full_match`] verdicts by pattern, for one validation run: real configurations repeat
/// patterns across routes and matches, and a verdict depends only on the pattern and the limit.
pub(crate) struct RegexChecks<'a> {
    checker: RegexChecker,
    verdicts: foldhash::HashMap<&'a str, Result<(), String>>,
}

impl<'a> RegexChecks<'a> {
    /// An empty cache for one size limit.
    pub(crate) fn new(size_limit: usize) -> Self {
        Self {
            checker: RegexChecker::new(size_limit),
            verdicts: foldhash::HashMap::default(),
        }
    }

    /// [`check_full_match`] under this cache's limit.
    pub(crate) fn check(&mut self, pattern: &'a str) -> Result<(), String> {
        let checker = &mut self.checker;
        self.verdicts
            .entry(pattern)
            .or_insert_with(|| checker.check(pattern))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checker_survives_its_errors() {
        // Each kind of failure (syntax tree, translation, size), then patterns that must still
        // be judged on their own: reusing regex-syntax's parser after an error used to panic.
        let mut checker = RegexChecker::new(1024);
        for bad in [
            "(unclosed",
            "𖫐\\p ",
            "\\p{Nope}",
            "a{5",
            "\\w{1000}\\w{1000}",
        ] {
            assert!(checker.check(bad).is_err(), "{bad}");
            for good in ["/", "/a(b|c)*", "(?x) a # comment"] {
                assert_eq!(checker.check(good), Ok(()), "{good} after {bad}");
            }
            assert_eq!(
                checker.check(bad),
                check_full_match(bad, 1024),
                "{bad} again"
            );
        }
    }

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
            ("a)|(b", DEFAULT_SIZE_LIMIT),
            ("(?x)a # comment", DEFAULT_SIZE_LIMIT),
            ("(?x)a[0-9]+ #", DEFAULT_SIZE_LIMIT),
        ] {
            assert_eq!(
                check_full_match(p, limit).is_ok(),
                compile_full_match(p, limit).is_ok(),
                "{p}"
            );
            assert_eq!(
                check_full_match(p, limit).is_ok(),
                compile_full_match_bytes(p, limit).is_ok(),
                "{p}"
            );
        }
        assert!(check_full_match("a)|(b", DEFAULT_SIZE_LIMIT).is_err());
        let commented = compile_full_match_bytes("(?x)a # comment", DEFAULT_SIZE_LIMIT).unwrap();
        assert!(commented.is_match(b"a") && !commented.is_match(b"ab"));
        // The check parses the bare pattern, the compile parses it wrapped in `^(?:…)$`: they
        // must still agree at the parser's nesting limit.
        for depth in 240..260 {
            let groups = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
            let stars = format!("{}a{}", "(?:".repeat(depth), ")*".repeat(depth));
            let classes = format!("{}a{}", "[".repeat(depth), "]".repeat(depth));
            for p in [groups, stars, classes] {
                assert_eq!(
                    check_full_match(&p, DEFAULT_SIZE_LIMIT).is_ok(),
                    compile_full_match_bytes(&p, DEFAULT_SIZE_LIMIT).is_ok(),
                    "{p}"
                );
            }
        }
        // One checker across patterns, errors between them included, decides each pattern as a
        // fresh one does.
        let mut reused = RegexChecker::new(4096);
        let patterns = [
            "[a-z]+/x",
            "(",
            "\\w{1000}",
            "a)|(b",
            "(?x)a #",
            "x{2}",
            "[",
            "(?i)abc",
            "\\pL+",
        ];
        for _ in 0..2 {
            for p in patterns {
                assert_eq!(reused.check(p), check_full_match(p, 4096), "{p}");
            }
        }
        let mut cache = RegexChecks::new(1024);
        for _ in 0..2 {
            assert!(cache.check("[a-z]+").is_ok());
            assert_eq!(
                cache.check("\\w{1000}\\w{1000}"),
                check_full_match("\\w{1000}\\w{1000}", 1024)
            );
        }
    }
}
