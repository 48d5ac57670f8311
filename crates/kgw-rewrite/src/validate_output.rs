//! Checks on everything a filter writes into a request or response: a header name must be a token,
//! a value must hold no control character, an authority no user info. Every filter builds its
//! output through these functions, so a configured or echoed `\r\n` becomes a [`RewriteError`]
//! instead of a smuggled header.

use std::str::FromStr;

use http::uri::{Authority, PathAndQuery};
use http::{HeaderName, HeaderValue};

use crate::RewriteError;

/// A header name, lowercased; names are case-insensitive everywhere.
pub fn header_name(name: &str) -> Result<HeaderName, RewriteError> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| RewriteError::InvalidHeaderName {
        name: name.to_owned(),
    })
}

/// A header value for header `name`: any bytes but control characters (tab excepted), so CR, LF
/// and NUL are refused. Non-ASCII UTF-8 is kept as is (obs-text).
pub fn header_value(name: &str, value: &str) -> Result<HeaderValue, RewriteError> {
    HeaderValue::from_bytes(value.as_bytes()).map_err(|_| RewriteError::InvalidHeaderValue {
        name: name.to_owned(),
    })
}

/// A URI authority (`host` or `host:port`) without user info.
pub fn authority(value: &str) -> Result<Authority, RewriteError> {
    let invalid = || RewriteError::InvalidAuthority {
        authority: value.to_owned(),
    };
    if value.is_empty() || value.contains('@') {
        return Err(invalid());
    }
    let parsed = Authority::from_str(value).map_err(|_| invalid())?;
    let host_len = host_len(value);
    if host_len == 0 {
        return Err(invalid());
    }
    // `Authority` accepts any digits after the colon; a port must fit 1–65535.
    if let Some(port) = value
        .get(host_len..)
        .and_then(|rest| rest.strip_prefix(':'))
        && !matches!(port.parse::<u16>(), Ok(p) if p != 0)
    {
        return Err(invalid());
    }
    Ok(parsed)
}

/// The length of the host of `value`, an authority without user info: up to and including the
/// `]` of an IP literal, else up to the first `:`. The same as `Authority::host`, with one byte
/// search; that one searches for `@` and splits by characters, twice in `authority` above, and
/// `authority` runs on every request a URLRewrite hostname filter applies to.
fn host_len(value: &str) -> usize {
    let bytes = value.as_bytes();
    if bytes.first() == Some(&b'[') {
        // A literal without its `]` does not parse as an `Authority`; its length is then moot.
        bytes
            .iter()
            .position(|&b| b == b']')
            .map_or(bytes.len(), |end| end + 1)
    } else {
        bytes.iter().position(|&b| b == b':').unwrap_or(bytes.len())
    }
}

/// An origin-form request target: `path` (which must start with `/`) and an optional query.
///
/// A rewritten path holding `?` or `#` is refused rather than escaped: the CRD lets such
/// values through, but splicing them in would move the request's query or cut its path, and
/// guessing an encoding would silently change what the author wrote.
pub fn path_and_query(path: &str, query: Option<&str>) -> Result<PathAndQuery, RewriteError> {
    let target = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return Err(RewriteError::InvalidPath { path: target });
    }
    PathAndQuery::from_str(&target).map_err(|_| RewriteError::InvalidPath { path: target })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_carry_a_query_or_fragment() {
        for bad in ["/v2?debug=1/x", "/v2#frag/x", "?w+r/"] {
            assert!(path_and_query(bad, Some("user=a")).is_err(), "{bad}");
        }
        assert_eq!(
            path_and_query("/v2/x", Some("user=a")).unwrap().as_str(),
            "/v2/x?user=a"
        );
    }

    #[test]
    fn header_values_refuse_line_breaks_and_nul() {
        for bad in ["a\r\nx-evil: 1", "a\nb", "a\rb", "a\0b"] {
            assert_eq!(
                header_value("x-h", bad),
                Err(RewriteError::InvalidHeaderValue { name: "x-h".into() })
            );
        }
        assert_eq!(
            header_value("x-h", "a\tb, ünï").unwrap().as_bytes(),
            "a\tb, ünï".as_bytes()
        );
    }

    #[test]
    fn header_names_are_tokens_and_lowercased() {
        assert_eq!(header_name("X-Foo").unwrap().as_str(), "x-foo");
        for bad in ["", "x foo", "x:foo", "x\r\nfoo", ":path"] {
            assert!(header_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn authorities_refuse_user_info_and_garbage() {
        assert_eq!(
            authority("a.example.com").unwrap().as_str(),
            "a.example.com"
        );
        assert_eq!(authority("[::1]:8080").unwrap().port_u16(), Some(8080));
        for bad in [
            "",
            "user@host",
            "a b",
            "a/b",
            "a\r\nb",
            "host:99999",
            "host:0",
            "host:",
            ":80",
        ] {
            assert!(authority(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn host_lengths_agree_with_http() {
        for value in [
            "a.example.com",
            "a.example.com:8080",
            "10.0.0.1:80",
            "[::1]",
            "[::1]:8080",
            "[fe80::1%25eth0]:1",
            "x",
            "host:",
        ] {
            let parsed = Authority::from_str(value).unwrap();
            assert_eq!(host_len(value), parsed.host().len(), "{value}");
        }
    }

    #[test]
    fn paths_must_be_absolute_and_clean() {
        assert_eq!(
            path_and_query("/a", Some("b=1")).unwrap().as_str(),
            "/a?b=1"
        );
        for bad in ["a", "", "/a b", "/a\r\nb"] {
            assert!(path_and_query(bad, None).is_err(), "{bad:?}");
        }
    }
}
