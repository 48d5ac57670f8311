//! Compiled match conditions (`HTTPRouteMatch`): path, method, headers and query parameters.

use std::borrow::Cow;

use http::HeaderName;
use kgw_api::gateway::{HttpMethod, HttpRouteMatch, PathMatchType, StringMatchType};
use regex::bytes::Regex;

use crate::path::{PathOptions, hex_value, normalize_path};
use crate::rank::{MatchRank, PathRank};
use crate::request::{Headers, RequestHead};

/// Largest compiled program of one configured regex; a larger one never matches.
pub const REGEX_SIZE_LIMIT: usize = kgw_validate::regex_match::DEFAULT_SIZE_LIMIT;

/// Compiles a configured regex (RE2-like `regex` crate syntax) as a full match: `^(?:…)$`.
///
/// Validation decides which patterns are valid
/// ([`kgw_validate::regex_match::compile_full_match_bytes`]): the pattern must be valid on its
/// own, so it cannot close the wrapping group (`a)|(b`) and escape the anchors. `None` when it
/// is invalid or too large: such a match never matches.
pub fn compile_full_match(pattern: &str) -> Option<Regex> {
    kgw_validate::regex_match::compile_full_match_bytes(pattern, REGEX_SIZE_LIMIT).ok()
}

/// A compiled path condition.
#[derive(Clone, Debug)]
pub(crate) enum PathCond {
    /// Equal to the normalised value.
    Exact(Box<str>),
    /// Segment-wise prefix; the normalised value without trailing slashes (`""` for `/`).
    Prefix(Box<str>),
    /// Full match of the normalised path.
    Regex(Regex),
    /// Can never match (invalid regex or unnormalisable value).
    Never,
}

/// A compiled string comparison (header or query value).
#[derive(Clone, Debug)]
pub(crate) enum ValueCond {
    Exact(Box<str>),
    Regex(Regex),
    Never,
}

impl ValueCond {
    fn compile(kind: StringMatchType, value: &str) -> Self {
        match kind {
            StringMatchType::Exact => Self::Exact(value.into()),
            StringMatchType::RegularExpression => {
                compile_full_match(value).map_or(Self::Never, Self::Regex)
            }
        }
    }

    fn is_never(&self) -> bool {
        matches!(self, Self::Never)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct HeaderCond {
    lower_name: Box<str>,
    name: Option<HeaderName>,
    value: ValueCond,
}

#[derive(Clone, Debug)]
pub(crate) struct QueryCond {
    name: Box<str>,
    value: ValueCond,
}

/// One compiled `HTTPRouteMatch`.
#[derive(Clone, Debug)]
pub(crate) struct CompiledMatch {
    pub(crate) path: PathCond,
    method: Option<HttpMethod>,
    headers: Box<[HeaderCond]>,
    query: Box<[QueryCond]>,
    pub(crate) rank: MatchRank,
    /// Whether any condition can never hold.
    pub(crate) never: bool,
}

/// Why a match does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A condition can never hold (invalid regex, invalid header name, bad path value).
    Never,
    Path,
    Method,
    Header(String),
    Query(String),
}

/// Normalises a configured Exact/PathPrefix value like a request path, so both sides compare
/// in one form (`/%7Ea` and `/~a` are one path).
fn normalized_value(value: &str) -> Option<String> {
    normalize_path(value, &PathOptions::default())
        .ok()
        .map(Cow::into_owned)
}

/// A PathPrefix value without its trailing slashes: `/abc/` and `/abc` match the same requests.
pub(crate) fn trim_prefix(value: &str) -> &str {
    value.trim_end_matches('/')
}

impl CompiledMatch {
    pub(crate) fn compile(m: &HttpRouteMatch) -> Self {
        let (kind, value) = m.path_or_default();
        let (path, path_rank) = match kind {
            PathMatchType::Exact => (
                normalized_value(value).map_or(PathCond::Never, |v| PathCond::Exact(v.into())),
                PathRank::Exact,
            ),
            // The length is the normalised one: it is what the request path is compared with
            // and what ReplacePrefixMatch replaces.
            PathMatchType::PathPrefix => match normalized_value(value) {
                Some(v) => {
                    let trimmed = trim_prefix(&v);
                    (
                        PathCond::Prefix(trimmed.into()),
                        PathRank::Prefix(trimmed.len()),
                    )
                }
                None => (PathCond::Never, PathRank::Prefix(trim_prefix(value).len())),
            },
            PathMatchType::RegularExpression => (
                compile_full_match(value).map_or(PathCond::Never, PathCond::Regex),
                PathRank::Regex(value.len()),
            ),
        };
        // Only the first condition on a name counts (header names case-insensitively).
        let mut headers: Vec<HeaderCond> = Vec::new();
        for h in m.headers.iter().flatten() {
            let lower = h.name.to_ascii_lowercase();
            if headers.iter().all(|c| *c.lower_name != *lower) {
                headers.push(HeaderCond {
                    name: HeaderName::from_bytes(lower.as_bytes()).ok(),
                    lower_name: lower.into(),
                    value: ValueCond::compile(h.type_or_default(), &h.value),
                });
            }
        }
        let mut query: Vec<QueryCond> = Vec::new();
        for q in m.query_params.iter().flatten() {
            if query.iter().all(|c| *c.name != *q.name) {
                query.push(QueryCond {
                    name: q.name.as_str().into(),
                    value: ValueCond::compile(q.type_or_default(), &q.value),
                });
            }
        }
        let never = matches!(path, PathCond::Never)
            || headers
                .iter()
                .any(|h| h.value.is_never() || h.name.is_none())
            || query.iter().any(|q| q.value.is_never());
        Self {
            rank: MatchRank {
                path: path_rank,
                method: m.method.is_some(),
                headers: headers.len(),
                query: query.len(),
            },
            path,
            method: m.method,
            headers: headers.into_boxed_slice(),
            query: query.into_boxed_slice(),
            never,
        }
    }

    /// Whether the method, header and query conditions hold (the path is checked by the caller).
    pub(crate) fn conditions_hold(&self, req: &RequestHead<'_>) -> bool {
        self.method.is_none_or(|m| m.as_str() == req.method)
            && self
                .headers
                .iter()
                .all(|h| header_holds(req.headers, &h.lower_name, h.name.as_ref(), &h.value))
            && self
                .query
                .iter()
                .all(|q| query_holds(req.query, &q.name, &q.value))
    }

    /// The first condition that fails, for explanations; `None` when the match holds.
    pub(crate) fn first_failure(&self, path: &str, req: &RequestHead<'_>) -> Option<Failure> {
        if self.never {
            return Some(Failure::Never);
        }
        if !path_holds(&self.path, path) {
            return Some(Failure::Path);
        }
        if self.method.is_some_and(|m| m.as_str() != req.method) {
            return Some(Failure::Method);
        }
        if let Some(h) = self
            .headers
            .iter()
            .find(|h| !header_holds(req.headers, &h.lower_name, h.name.as_ref(), &h.value))
        {
            return Some(Failure::Header(h.lower_name.to_string()));
        }
        self.query
            .iter()
            .find(|q| !query_holds(req.query, &q.name, &q.value))
            .map(|q| Failure::Query(q.name.to_string()))
    }
}

/// Whether a path condition holds for a normalised path.
pub(crate) fn path_holds(cond: &PathCond, path: &str) -> bool {
    match cond {
        PathCond::Exact(v) => **v == *path,
        PathCond::Prefix(p) => {
            path.starts_with(&**p) && (path.len() == p.len() || path.as_bytes()[p.len()] == b'/')
        }
        PathCond::Regex(re) => re.is_match(path.as_bytes()),
        PathCond::Never => false,
    }
}

/// A header condition against the request: the values of a repeated header are joined with
/// `,` (RFC 9110 §5.3) and compared as one; an absent header never matches.
fn header_holds(
    headers: Headers<'_>,
    lower: &str,
    name: Option<&HeaderName>,
    cond: &ValueCond,
) -> bool {
    let mut values = headers.values(lower, name);
    let Some(first) = values.next() else {
        return false;
    };
    match cond {
        ValueCond::Exact(expected) => {
            let Some(mut rest) = expected.as_bytes().strip_prefix(first) else {
                return false;
            };
            for value in values {
                match rest.strip_prefix(b",").and_then(|r| r.strip_prefix(value)) {
                    Some(r) => rest = r,
                    None => return false,
                }
            }
            rest.is_empty()
        }
        ValueCond::Regex(re) => {
            let Some(second) = values.next() else {
                return re.is_match(first);
            };
            let mut joined = [first, second].join(&b","[..]);
            for value in values {
                joined.push(b',');
                joined.extend_from_slice(value);
            }
            re.is_match(&joined)
        }
        ValueCond::Never => false,
    }
}

/// A query condition: the first parameter whose percent-decoded name equals the configured
/// name decides; its percent-decoded value is compared (`+` is not a space).
fn query_holds(query: Option<&str>, name: &str, cond: &ValueCond) -> bool {
    let Some(query) = query else {
        return false;
    };
    let Some(raw_value) = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(raw_name, _)| decoded_eq(raw_name, name))
        .map(|(_, value)| value)
    else {
        return false;
    };
    match cond {
        ValueCond::Exact(expected) => decoded_eq(raw_value, expected),
        ValueCond::Regex(re) => re.is_match(&percent_decode(raw_value)),
        ValueCond::Never => false,
    }
}

/// Iterates the percent-decoded bytes of `raw`; a `%` without two hex digits stays literal.
fn decoded_bytes(raw: &str) -> impl Iterator<Item = u8> + '_ {
    let b = raw.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let c = *b.get(i)?;
        if c == b'%'
            && let (Some(hi), Some(lo)) = (
                b.get(i + 1).copied().and_then(hex_value),
                b.get(i + 2).copied().and_then(hex_value),
            )
        {
            i += 3;
            return Some(hi * 16 + lo);
        }
        i += 1;
        Some(c)
    })
}

/// Whether `raw`, percent-decoded, equals `expected`, without allocating.
fn decoded_eq(raw: &str, expected: &str) -> bool {
    if !raw.contains('%') {
        return raw == expected;
    }
    decoded_bytes(raw).eq(expected.bytes())
}

/// `raw` percent-decoded (borrowed when there is nothing to decode).
pub(crate) fn percent_decode(raw: &str) -> Cow<'_, [u8]> {
    if raw.contains('%') {
        Cow::Owned(decoded_bytes(raw).collect())
    } else {
        Cow::Borrowed(raw.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_are_full_matches() {
        let re = compile_full_match("/a|/ab").unwrap();
        assert!(re.is_match(b"/ab") && re.is_match(b"/a"));
        assert!(!re.is_match(b"/abc") && !re.is_match(b"x/a"));
        assert!(compile_full_match("a)|(b").is_none());
        assert!(compile_full_match("(").is_none());
        let commented = compile_full_match("(?x) /a  # a comment").unwrap();
        assert!(commented.is_match(b"/a") && !commented.is_match(b"/ab"));
        assert!(compile_full_match("a{1000}{1000}").is_none(), "size limit");
    }

    #[test]
    fn prefixes_are_segment_wise() {
        let p = PathCond::Prefix("/abc".into());
        assert!(path_holds(&p, "/abc") && path_holds(&p, "/abc/") && path_holds(&p, "/abc/d"));
        assert!(
            !path_holds(&p, "/abcd") && !path_holds(&p, "/abc-def") && !path_holds(&p, "/x/abc")
        );
        assert!(path_holds(&PathCond::Prefix("".into()), "/anything"));
        assert_eq!(trim_prefix("/abc/"), "/abc");
        assert_eq!(trim_prefix("/"), "");
    }

    #[test]
    fn header_values_join_and_compare() {
        let pairs = [("Version", "one"), ("x", "1"), ("x", "2")];
        let h = Headers::Pairs(&pairs);
        let exact = |v: &str| ValueCond::Exact(v.into());
        assert!(header_holds(h, "version", None, &exact("one")));
        assert!(!header_holds(h, "version", None, &exact("One")));
        assert!(header_holds(h, "x", None, &exact("1,2")));
        assert!(!header_holds(h, "x", None, &exact("1")));
        assert!(!header_holds(h, "x", None, &exact("1,2,3")));
        assert!(!header_holds(h, "absent", None, &exact("")));
        let re = ValueCond::Regex(compile_full_match("1,[0-9]").unwrap());
        assert!(header_holds(h, "x", None, &re));
    }

    #[test]
    fn query_first_value_decoded() {
        let exact = |v: &str| ValueCond::Exact(v.into());
        assert!(query_holds(Some("a=1&b=2"), "b", &exact("2")));
        assert!(query_holds(Some("a=1&a=2"), "a", &exact("1")));
        assert!(!query_holds(Some("a=1&a=2"), "a", &exact("2")));
        assert!(!query_holds(Some("Key=v"), "key", &exact("v")));
        assert!(!query_holds(Some("k=ab"), "k", &exact("a")));
        assert!(query_holds(Some("a%20b=x%2Fy"), "a b", &exact("x/y")));
        assert!(query_holds(Some("flag"), "flag", &exact("")));
        assert!(!query_holds(None, "a", &exact("")));
        let re = ValueCond::Regex(compile_full_match("x/.*").unwrap());
        assert!(query_holds(Some("q=x%2Fy"), "q", &re));
    }
}
