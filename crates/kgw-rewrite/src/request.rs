//! Reading and changing the parts of a request that filters care about (authority, host, path),
//! and a printable summary of a request.

use std::cell::RefCell;

use http::HeaderValue;
use http::header::HOST;
use http::request::Parts;
use http::uri::{Authority, Uri};
use serde::Serialize;

use crate::{RewriteError, validate_output};

/// `http` or `https`: the scheme of a listener or of a redirect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Plain HTTP.
    #[default]
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// The well-known port: 80 or 443.
    pub const fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    /// `https` for a Gateway listener protocol `HTTPS` (any case), `http` otherwise.
    pub fn of_listener_protocol(protocol: &str) -> Self {
        if protocol.eq_ignore_ascii_case("HTTPS") {
            Self::Https
        } else {
            Self::Http
        }
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The listener a request arrived on: the defaults of redirects come from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ListenerInfo {
    /// Scheme of the listener (`https` for an HTTPS listener).
    pub scheme: Scheme,
    /// Port of the listener.
    pub port: u16,
}

impl Default for ListenerInfo {
    fn default() -> Self {
        Self {
            scheme: Scheme::Http,
            port: 80,
        }
    }
}

/// The request's authority: the URI's when it has one (HTTP/2, absolute-form), else the `Host`
/// header. `None` when neither is present or the header is not text.
pub fn authority(parts: &Parts) -> Option<&str> {
    parts
        .uri
        .authority()
        .map(http::uri::Authority::as_str)
        .or_else(|| parts.headers.get(HOST).and_then(|h| h.to_str().ok()))
}

/// The host of an authority without its port (`[::1]:80` → `[::1]`, `a.com:8080` → `a.com`).
pub fn host_without_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _port)| host)
}

/// Replaces the authority the upstream sees: the URI's authority when the URI has one, the
/// `Host` header when present, and adds a `Host` header when neither exists.
pub fn set_authority(parts: &mut Parts, value: &str) -> Result<(), RewriteError> {
    rewrite(parts, Some(value), None)
}

/// Replaces the path and keeps the query string.
pub fn set_path(parts: &mut Parts, path: &str) -> Result<(), RewriteError> {
    rewrite(parts, None, Some(path))
}

/// [`set_authority`] and [`set_path`] together, all or nothing: every new value is checked and
/// the new URI built before `parts` changes, so an error leaves the request as it was without a
/// copy of it (header map included) to fall back on.
pub(crate) fn rewrite(
    parts: &mut Parts,
    authority: Option<&str>,
    path: Option<&str>,
) -> Result<(), RewriteError> {
    let host = authority.map(host_values).transpose()?;
    let path_and_query = path
        .map(|path| validate_output::path_and_query(path, parts.uri.query()))
        .transpose()?;
    let had_uri_authority = parts.uri.authority().is_some();
    let uri_authority = host
        .as_ref()
        .filter(|_| had_uri_authority)
        .map(|(authority, _)| authority.clone());
    if uri_authority.is_some() || path_and_query.is_some() {
        let changes_authority = uri_authority.is_some();
        let mut uri = parts.uri.clone().into_parts();
        if let Some(authority) = uri_authority {
            uri.authority = Some(authority);
        }
        if let Some(path_and_query) = path_and_query {
            uri.path_and_query = Some(path_and_query);
        }
        parts.uri = Uri::from_parts(uri).map_err(|_| match (changes_authority, path) {
            (false, Some(path)) => RewriteError::InvalidPath {
                path: path.to_owned(),
            },
            _ => RewriteError::InvalidAuthority {
                authority: authority.unwrap_or_default().to_owned(),
            },
        })?;
    }
    if let Some((_, header)) = host
        && (parts.headers.contains_key(HOST) || !had_uri_authority)
    {
        parts.headers.insert(HOST, header);
    }
    Ok(())
}

/// The URI authority and the `Host` header value for a new authority `value`, validated.
///
/// Remembered per thread for the last few values: a URLRewrite hostname is one configured
/// string that every request of its rule rewrites to, and parsing it, validating it and copying
/// it into two buffers cost about as much as the rest of the filter run. A remembered pair is
/// handed out as clones, which share its buffers. Only values that passed are remembered; the
/// result depends on `value` alone.
fn host_values(value: &str) -> Result<(Authority, HeaderValue), RewriteError> {
    /// Values remembered per thread (a gateway's hostnames in use at once, typically one).
    const REMEMBERED: usize = 8;
    type Remembered = RefCell<Vec<(Box<str>, Authority, HeaderValue)>>;
    thread_local! {
        static RECENT: Remembered = const { RefCell::new(Vec::new()) };
    }
    // `try_with` fails only while the thread's locals are being destroyed: then nothing is
    // remembered and the value is checked as if it were new.
    let remembered = RECENT
        .try_with(|recent| {
            recent
                .borrow()
                .iter()
                .find(|(known, _, _)| **known == *value)
                .map(|(_, authority, header)| (authority.clone(), header.clone()))
        })
        .ok()
        .flatten();
    if let Some(pair) = remembered {
        return Ok(pair);
    }
    let authority = validate_output::authority(value)?;
    let header = validate_output::header_value("host", authority.as_str())?;
    let _ = RECENT.try_with(|recent| {
        let mut recent = recent.borrow_mut();
        if recent.len() >= REMEMBERED {
            recent.remove(0);
        }
        recent.push((value.into(), authority.clone(), header.clone()));
    });
    Ok((authority, header))
}

/// A request as the `kgw` CLI prints it: method, scheme, authority, path with query, headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestSummary {
    /// Method.
    pub method: String,
    /// The URI's scheme, else the listener's.
    pub scheme: String,
    /// The URI's authority, else the `Host` header (empty when neither).
    pub authority: String,
    /// Path and query.
    pub path: String,
    /// Headers in map order, values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
}

impl RequestSummary {
    /// Summarises `parts`, taking the scheme from `listener` when the URI has none.
    pub fn of(parts: &Parts, listener: ListenerInfo) -> Self {
        Self {
            method: parts.method.to_string(),
            scheme: parts
                .uri
                .scheme_str()
                .unwrap_or(listener.scheme.as_str())
                .to_owned(),
            authority: authority(parts).unwrap_or_default().to_owned(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Request parts for `uri` with `headers`.
    pub(crate) fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (n, v) in headers {
            builder = builder.header(*n, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn remembered_host_values_are_the_checked_ones() {
        // More values than are remembered, twice over, so hits, misses and evictions all occur.
        let values: Vec<String> = (0..20)
            .map(|i| format!("h{i}.example:{}", 8000 + i))
            .collect();
        for _ in 0..2 {
            for value in &values {
                let (authority, header) = host_values(value).unwrap();
                assert_eq!(authority.as_str(), value);
                assert_eq!(header.as_bytes(), value.as_bytes());
                assert_eq!(host_values(value).unwrap(), (authority, header));
            }
        }
        // Refused values stay refused, however often they come.
        for _ in 0..3 {
            assert!(host_values("a\r\nb").is_err());
            assert!(host_values("user@host").is_err());
        }
    }

    #[test]
    fn hosts_lose_their_port() {
        assert_eq!(host_without_port("a.com:8080"), "a.com");
        assert_eq!(host_without_port("a.com"), "a.com");
        assert_eq!(host_without_port("[::1]:80"), "[::1]");
        assert_eq!(host_without_port("[::1]"), "[::1]");
    }

    #[test]
    fn authority_prefers_the_uri() {
        let p = parts("GET", "http://uri.example/x", &[("host", "header.example")]);
        assert_eq!(authority(&p), Some("uri.example"));
        let p = parts("GET", "/x", &[("host", "header.example")]);
        assert_eq!(authority(&p), Some("header.example"));
        assert_eq!(authority(&parts("GET", "/x", &[])), None);
    }

    #[test]
    fn set_authority_replaces_uri_and_host_header() {
        let mut p = parts(
            "GET",
            "http://a.example:8080/x?q=1",
            &[("host", "a.example:8080")],
        );
        set_authority(&mut p, "b.example").unwrap();
        assert_eq!(p.uri.to_string(), "http://b.example/x?q=1");
        assert_eq!(p.headers[HOST], "b.example");
        // Origin-form requests get a Host header.
        let mut p = parts("GET", "/x", &[]);
        set_authority(&mut p, "b.example").unwrap();
        assert_eq!(p.headers[HOST], "b.example");
        assert!(set_authority(&mut p, "evil\r\nx: y").is_err());
        assert_eq!(p.headers[HOST], "b.example");
    }

    #[test]
    fn set_path_keeps_the_query() {
        let mut p = parts("GET", "http://a/x/y?q=1&r", &[]);
        set_path(&mut p, "/z").unwrap();
        assert_eq!(p.uri.to_string(), "http://a/z?q=1&r");
        assert!(set_path(&mut p, "/a b").is_err());
        assert!(set_path(&mut p, "nope").is_err());
        assert_eq!(p.uri.to_string(), "http://a/z?q=1&r");
    }

    #[test]
    fn summary_reads_everything_the_cli_prints() {
        let p = parts("POST", "/p?q=1", &[("host", "h.example"), ("x-a", "1")]);
        let s = RequestSummary::of(
            &p,
            ListenerInfo {
                scheme: Scheme::Https,
                port: 443,
            },
        );
        assert_eq!(s.method, "POST");
        assert_eq!(s.scheme, "https");
        assert_eq!(s.authority, "h.example");
        assert_eq!(s.path, "/p?q=1");
        assert_eq!(
            s.headers,
            [
                ("host".into(), "h.example".into()),
                ("x-a".into(), "1".into())
            ]
        );
    }
}
