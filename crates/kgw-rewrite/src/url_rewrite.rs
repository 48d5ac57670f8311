//! `URLRewrite`: hostname and path (`ReplaceFullPath`, `ReplacePrefixMatch`). The path functions
//! are shared with `RequestRedirect`. The query string is never part of a path rewrite and is
//! kept as it is.

use http::request::Parts;
use kgw_api::gateway::httproute::HttpPathModifierType;
use kgw_api::gateway::{HttpPathModifier, HttpUrlRewriteFilter};

use crate::{RewriteError, request};

/// Strips one trailing `/` (so `/` becomes empty): the spec compares prefixes without it.
fn trim_one_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

/// Makes sure a rewritten path starts with `/` (an empty one becomes `/`).
fn absolute(path: String) -> String {
    if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    }
}

/// `ReplacePrefixMatch`: replaces the matched `PathPrefix` of `path` with `replacement`,
/// element-wise, ignoring one trailing `/` on both. Reproduces every row of the spec's table
/// (`/foo/bar`, `/foo`, `/xyz` → `/xyz/bar`; `/foo`, `/foo`, `""` → `/`; …).
///
/// Errors when `path` does not start with `matched_prefix` on a segment boundary (the request
/// did not match that prefix).
pub fn replace_prefix_match(
    path: &str,
    matched_prefix: &str,
    replacement: &str,
) -> Result<String, RewriteError> {
    let prefix = trim_one_slash(matched_prefix);
    let rest = path
        .strip_prefix(prefix)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .ok_or_else(|| RewriteError::PrefixMismatch {
            path: path.to_owned(),
            prefix: matched_prefix.to_owned(),
        })?;
    Ok(absolute(format!("{}{rest}", trim_one_slash(replacement))))
}

/// `ReplaceFullPath`: the whole path becomes `replacement` (an empty one becomes `/`).
pub fn replace_full_path(replacement: &str) -> String {
    absolute(replacement.to_owned())
}

/// The new path for a path modifier. `matched_prefix` is the `PathPrefix` value that matched the
/// request, which `ReplacePrefixMatch` needs.
pub fn rewrite_path(
    modifier: &HttpPathModifier,
    path: &str,
    matched_prefix: Option<&str>,
) -> Result<String, RewriteError> {
    let missing = || RewriteError::MissingPathValue {
        kind: modifier.type_,
    };
    match modifier.type_ {
        HttpPathModifierType::ReplaceFullPath => Ok(replace_full_path(
            modifier.replace_full_path.as_deref().ok_or_else(missing)?,
        )),
        HttpPathModifierType::ReplacePrefixMatch => replace_prefix_match(
            path,
            matched_prefix.ok_or(RewriteError::NoPrefixMatch)?,
            modifier
                .replace_prefix_match
                .as_deref()
                .ok_or_else(missing)?,
        ),
    }
}

/// Applies a `URLRewrite` filter: the hostname replaces the authority (URI and `Host` header,
/// port dropped, as Envoy's `host_rewrite_literal`), the path is rewritten, the query kept.
/// On error the request is left unchanged.
pub fn apply(
    filter: &HttpUrlRewriteFilter,
    parts: &mut Parts,
    matched_prefix: Option<&str>,
) -> Result<(), RewriteError> {
    let new_path = filter
        .path
        .as_ref()
        .map(|m| rewrite_path(m, parts.uri.path(), matched_prefix))
        .transpose()?;
    request::rewrite(parts, filter.hostname.as_deref(), new_path.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::tests::parts;
    use http::header::HOST;

    #[test]
    fn spec_table_for_replace_prefix_match() {
        let table = [
            ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
            ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
            ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
            ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
            ("/foo", "/foo", "/xyz", "/xyz"),
            ("/foo/", "/foo", "/xyz", "/xyz/"),
            ("/foo/bar", "/foo", "", "/bar"),
            ("/foo/", "/foo", "", "/"),
            ("/foo", "/foo", "", "/"),
            ("/foo/", "/foo", "/", "/"),
            ("/foo", "/foo", "/", "/"),
        ];
        for (request, prefix, replace, result) in table {
            assert_eq!(
                replace_prefix_match(request, prefix, replace).unwrap(),
                result,
                "{request} {prefix} {replace:?}"
            );
        }
    }

    #[test]
    fn more_prefix_edge_cases() {
        // The catch-all prefix keeps the whole path after the replacement.
        assert_eq!(replace_prefix_match("/a/b", "/", "/x").unwrap(), "/x/a/b");
        assert_eq!(replace_prefix_match("/", "/", "/x").unwrap(), "/x/");
        assert_eq!(replace_prefix_match("/a", "/", "/").unwrap(), "/a");
        // The replacement may keep part of the old prefix.
        assert_eq!(
            replace_prefix_match("/a/b/c", "/a/b", "/a").unwrap(),
            "/a/c"
        );
        // Prefix with a trailing slash matching the bare path.
        assert_eq!(
            replace_prefix_match("/foo", "/foo/", "/xyz").unwrap(),
            "/xyz"
        );
        // A relative replacement still yields an absolute path.
        assert_eq!(
            replace_prefix_match("/foo/bar", "/foo", "xyz").unwrap(),
            "/xyz/bar"
        );
        // Not on a segment boundary: the request did not match this prefix.
        assert_eq!(
            replace_prefix_match("/foobar", "/foo", "/x"),
            Err(RewriteError::PrefixMismatch {
                path: "/foobar".into(),
                prefix: "/foo".into()
            })
        );
        assert!(replace_prefix_match("/bar", "/foo", "/x").is_err());
    }

    #[test]
    fn full_path() {
        assert_eq!(replace_full_path("/x"), "/x");
        assert_eq!(replace_full_path(""), "/");
        assert_eq!(replace_full_path("/x/"), "/x/");
    }

    fn modifier(type_: HttpPathModifierType, value: &str) -> HttpPathModifier {
        HttpPathModifier {
            type_,
            replace_full_path: (type_ == HttpPathModifierType::ReplaceFullPath)
                .then(|| value.to_owned()),
            replace_prefix_match: (type_ == HttpPathModifierType::ReplacePrefixMatch)
                .then(|| value.to_owned()),
        }
    }

    #[test]
    fn rewrite_path_dispatches_and_reports_missing_pieces() {
        let full = modifier(HttpPathModifierType::ReplaceFullPath, "/x");
        assert_eq!(rewrite_path(&full, "/a/b/c", Some("/a")).unwrap(), "/x");
        assert_eq!(rewrite_path(&full, "/a/b/c", None).unwrap(), "/x");
        let prefix = modifier(HttpPathModifierType::ReplacePrefixMatch, "/v2");
        assert_eq!(rewrite_path(&prefix, "/a/b", Some("/a")).unwrap(), "/v2/b");
        assert_eq!(
            rewrite_path(&prefix, "/a/b", None),
            Err(RewriteError::NoPrefixMatch)
        );
        let empty = HttpPathModifier {
            type_: HttpPathModifierType::ReplacePrefixMatch,
            replace_full_path: Some("/x".into()),
            replace_prefix_match: None,
        };
        assert_eq!(
            rewrite_path(&empty, "/a", Some("/a")),
            Err(RewriteError::MissingPathValue {
                kind: HttpPathModifierType::ReplacePrefixMatch
            })
        );
    }

    #[test]
    fn hostname_rewrite_is_the_seed_scenario() {
        let mut p = parts("GET", "/posts/1?x=1", &[("host", "static.example")]);
        let filter = HttpUrlRewriteFilter {
            hostname: Some("jsonplaceholder.typicode.com".into()),
            path: None,
        };
        apply(&filter, &mut p, Some("/")).unwrap();
        assert_eq!(p.headers[HOST], "jsonplaceholder.typicode.com");
        assert_eq!(p.uri.to_string(), "/posts/1?x=1");
    }

    #[test]
    fn hostname_and_path_together_keep_the_query() {
        let mut p = parts("GET", "http://gw.example:8080/api/v1/users?page=2", &[]);
        let filter = HttpUrlRewriteFilter {
            hostname: Some("internal.example".into()),
            path: Some(modifier(HttpPathModifierType::ReplacePrefixMatch, "/v2")),
        };
        apply(&filter, &mut p, Some("/api")).unwrap();
        assert_eq!(
            p.uri.to_string(),
            "http://internal.example/v2/v1/users?page=2"
        );
    }

    #[test]
    fn invalid_results_leave_the_request_alone() {
        let mut p = parts("GET", "/a/b", &[("host", "h")]);
        let before = p.uri.clone();
        let filter = HttpUrlRewriteFilter {
            hostname: Some("ok.example".into()),
            path: Some(modifier(HttpPathModifierType::ReplaceFullPath, "/bad path")),
        };
        assert!(matches!(
            apply(&filter, &mut p, None),
            Err(RewriteError::InvalidPath { .. })
        ));
        assert_eq!(p.uri, before);
        assert_eq!(p.headers[HOST], "h");
        let filter = HttpUrlRewriteFilter {
            hostname: Some("evil\r\nx-injected: 1".into()),
            path: None,
        };
        assert!(matches!(
            apply(&filter, &mut p, None),
            Err(RewriteError::InvalidAuthority { .. })
        ));
        assert_eq!(p.headers.len(), 1);
    }

    /// [`apply`] as it was before it rewrote in place: a copy of the request rewritten step by
    /// step by the public setters (authority, then path), kept only when every step succeeded.
    fn apply_on_a_copy(
        filter: &HttpUrlRewriteFilter,
        parts: &mut Parts,
        matched_prefix: Option<&str>,
    ) -> Result<(), RewriteError> {
        let new_path = filter
            .path
            .as_ref()
            .map(|m| rewrite_path(m, parts.uri.path(), matched_prefix))
            .transpose()?;
        let mut rewritten = parts.clone();
        if let Some(hostname) = &filter.hostname {
            crate::request::set_authority(&mut rewritten, hostname)?;
        }
        if let Some(path) = new_path {
            crate::request::set_path(&mut rewritten, &path)?;
        }
        *parts = rewritten;
        Ok(())
    }

    #[test]
    fn rewriting_in_place_agrees_with_rewriting_a_copy() {
        let requests: [(&str, &[(&str, &str)]); 4] = [
            ("/api/v1?x=1", &[("host", "gw.example")]),
            ("/api", &[]),
            ("http://gw.example:8080/api/v1/users?page=2", &[]),
            (
                "http://gw.example/api/",
                &[("host", "gw.example"), ("x-a", "1")],
            ),
        ];
        let hostnames = [
            None,
            Some("internal.example"),
            Some("bad host"),
            Some("h:99"),
        ];
        let paths = [
            None,
            Some(modifier(HttpPathModifierType::ReplaceFullPath, "/new")),
            Some(modifier(HttpPathModifierType::ReplacePrefixMatch, "/v2")),
            Some(modifier(HttpPathModifierType::ReplaceFullPath, "/bad path")),
        ];
        for (uri, headers) in requests {
            for hostname in hostnames {
                for path in &paths {
                    let filter = HttpUrlRewriteFilter {
                        hostname: hostname.map(Into::into),
                        path: path.clone(),
                    };
                    let mut in_place = parts("GET", uri, headers);
                    let mut copy = parts("GET", uri, headers);
                    let a = apply(&filter, &mut in_place, Some("/api"));
                    let b = apply_on_a_copy(&filter, &mut copy, Some("/api"));
                    let case = format!("{uri} {hostname:?} {path:?}");
                    assert_eq!(a, b, "{case}");
                    assert_eq!(in_place.uri, copy.uri, "{case}");
                    assert_eq!(in_place.headers, copy.headers, "{case}");
                }
            }
        }
    }
}
