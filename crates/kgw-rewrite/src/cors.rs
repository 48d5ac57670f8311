//! `CORS` (standard channel since v1.5.0): preflight answers and the headers of actual
//! cross-origin responses.
//!
//! Choices where the API allows several answers (all accepted by the conformance tests):
//! - A matching origin is always echoed in `Access-Control-Allow-Origin`, never `*` (required
//!   with credentials, allowed without; Envoy does the same), and `Vary: Origin` is added to
//!   actual responses so caches keep origins apart.
//! - `allowMethods: ["*"]` / `allowHeaders: ["*"]` echo the requested method / headers; with no
//!   `Access-Control-Request-Headers` the allow-headers header is left out.
//! - `exposeHeaders: ["*"]` is sent as `*` without credentials and left out with credentials
//!   (the response's header names are not known when the operations are computed).
//! - A preflight is answered with 200 and not forwarded; a non-matching origin gets 200 without
//!   CORS headers.
//! - `maxAge` unset → `Access-Control-Max-Age: 5` (the CRD default).

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use kgw_api::gateway::HttpCorsFilter;
use kgw_api::gateway::httproute::HttpCorsMethod;

use crate::action::Respond;
use crate::headers::HeaderOps;
use crate::{RewriteError, validate_output};

/// The CRD default of `maxAge`, in seconds.
pub const DEFAULT_MAX_AGE: i32 = 5;

/// A serialised origin split into scheme, host and port (the scheme's default when absent).
struct Origin<'a> {
    scheme: &'a str,
    host: &'a str,
    port: u16,
}

fn parse_origin(origin: &str) -> Option<Origin<'_>> {
    let (scheme, rest) = origin.split_once("://")?;
    let default_port = if scheme.eq_ignore_ascii_case("http") {
        80
    } else if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        return None;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !rest.ends_with(']') => (host, port.parse().ok()?),
        _ => (rest, default_port),
    };
    if host.is_empty() || host.contains(['/', '?', '#', '@']) {
        return None;
    }
    Some(Origin { scheme, host, port })
}

/// Whether `origin` (an `Origin` header value) matches one `allowOrigins` entry: `*` matches
/// every origin; otherwise scheme, host and port must match (port 80/443 assumed when absent),
/// and a `*` host label matches any number of labels to its left (`https://*.example.com`
/// matches `https://a.b.example.com`, not `https://example.com`).
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let (Some(p), Some(o)) = (parse_origin(pattern), parse_origin(origin)) else {
        return false;
    };
    if !p.scheme.eq_ignore_ascii_case(o.scheme) || p.port != o.port {
        return false;
    }
    if p.host == "*" {
        return true;
    }
    match p.host.strip_prefix('*') {
        Some(suffix) => {
            o.host.len() > suffix.len()
                && o.host
                    .get(o.host.len() - suffix.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
        }
        None => p.host.eq_ignore_ascii_case(o.host),
    }
}

/// Whether `origin` is allowed by the filter.
pub fn origin_allowed(filter: &HttpCorsFilter, origin: &str) -> bool {
    filter
        .allow_origins
        .iter()
        .flatten()
        .any(|pattern| origin_matches(pattern, origin))
}

/// Whether the request is a CORS preflight: `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`.
pub fn is_preflight(parts: &Parts) -> bool {
    parts.method == Method::OPTIONS
        && parts.headers.contains_key(ORIGIN)
        && parts.headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// The request's `Origin`, when it is allowed by the filter.
fn allowed_origin<'p>(filter: &HttpCorsFilter, parts: &'p Parts) -> Option<&'p HeaderValue> {
    let origin = parts.headers.get(ORIGIN)?;
    origin_allowed(filter, origin.to_str().ok()?).then_some(origin)
}

fn joined(name: &HeaderName, items: &[String]) -> Result<HeaderValue, RewriteError> {
    validate_output::header_value(name.as_str(), &items.join(", "))
}

/// The headers both preflight and actual responses carry: allow-origin, allow-credentials,
/// expose-headers.
fn common_headers(
    filter: &HttpCorsFilter,
    origin: &HeaderValue,
) -> Result<Vec<(HeaderName, HeaderValue)>, RewriteError> {
    let credentials = filter.allow_credentials == Some(true);
    let mut out = vec![(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone())];
    if credentials {
        out.push((
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        ));
    }
    let expose = filter.expose_headers.as_deref().unwrap_or_default();
    if expose.iter().any(|h| h == "*") {
        if !credentials {
            out.push((ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("*")));
        }
    } else if !expose.is_empty() {
        out.push((
            ACCESS_CONTROL_EXPOSE_HEADERS,
            joined(&ACCESS_CONTROL_EXPOSE_HEADERS, expose)?,
        ));
    }
    Ok(out)
}

/// The answer to a preflight request (see [`is_preflight`]): 200, with the CORS headers when
/// the origin is allowed and none otherwise. Never forwarded.
pub fn preflight(filter: &HttpCorsFilter, parts: &Parts) -> Result<Respond, RewriteError> {
    let mut headers = HeaderMap::new();
    let Some(origin) = allowed_origin(filter, parts) else {
        return Ok(Respond {
            status: StatusCode::OK,
            headers,
            reason: "CORS preflight from an origin that is not allowed".to_owned(),
        });
    };
    for (name, value) in common_headers(filter, origin)? {
        headers.insert(name, value);
    }
    let methods = filter.allow_methods.as_deref().unwrap_or_default();
    if methods.contains(&HttpCorsMethod::Any) {
        if let Some(requested) = parts.headers.get(ACCESS_CONTROL_REQUEST_METHOD) {
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, requested.clone());
        }
    } else if !methods.is_empty() {
        let names: Vec<String> = methods.iter().map(|m| m.as_str().to_owned()).collect();
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            joined(&ACCESS_CONTROL_ALLOW_METHODS, &names)?,
        );
    }
    let allowed_headers = filter.allow_headers.as_deref().unwrap_or_default();
    if allowed_headers.iter().any(|h| h == "*") {
        if let Some(requested) = parts.headers.get(ACCESS_CONTROL_REQUEST_HEADERS) {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
        }
    } else if !allowed_headers.is_empty() {
        headers.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            joined(&ACCESS_CONTROL_ALLOW_HEADERS, allowed_headers)?,
        );
    }
    let max_age = filter.max_age.unwrap_or(DEFAULT_MAX_AGE);
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(max_age));
    Ok(Respond {
        status: StatusCode::OK,
        headers,
        reason: "CORS preflight answered by the gateway".to_owned(),
    })
}

/// The response header operations for an actual (non-preflight) request: `None` when the
/// request has no allowed `Origin`.
pub fn response_headers(
    filter: &HttpCorsFilter,
    parts: &Parts,
) -> Result<Option<HeaderOps>, RewriteError> {
    let Some(origin) = allowed_origin(filter, parts) else {
        return Ok(None);
    };
    Ok(Some(HeaderOps {
        set: common_headers(filter, origin)?,
        add: vec![(VARY, HeaderValue::from_static("Origin"))],
        remove: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::tests::parts;

    #[test]
    fn origin_patterns() {
        let cases = [
            ("*", "https://anything.example:1234", true),
            ("*", "null", true),
            ("https://www.foo.com", "https://www.foo.com", true),
            ("https://www.foo.com", "https://WWW.FOO.COM", true),
            ("https://www.foo.com", "https://www.foo.com:443", true),
            ("https://www.foo.com:443", "https://www.foo.com", true),
            ("https://www.foo.com", "http://www.foo.com", false),
            ("https://www.foo.com", "https://www.foo.com:8443", false),
            ("https://*.bar.com", "https://www.bar.com", true),
            ("https://*.bar.com", "https://xpto.www.bar.com", true),
            ("https://*.bar.com", "https://bar.com", false),
            ("https://*.bar.com", "https://foobar.com", false),
            ("https://*.bar.com", "https://www.bar.com.evil", false),
            ("https://*", "https://any.host", true),
            ("https://*", "https://any.host:8443", false),
            ("http://a.com:8080", "http://a.com:8080", true),
            ("http://[::1]:8080", "http://[::1]:8080", true),
            ("http://[::1]", "http://[::1]", true),
            ("https://www.foo.com", "null", false),
            ("https://www.foo.com", "https://www.foo.com/path", false),
            ("https://www.foo.com", "https://user@www.foo.com", false),
        ];
        for (pattern, origin, want) in cases {
            assert_eq!(
                origin_matches(pattern, origin),
                want,
                "{pattern} vs {origin}"
            );
        }
    }

    /// The conformance route `cors-multiple-origins-methods-headers`.
    fn conformance_filter() -> HttpCorsFilter {
        HttpCorsFilter {
            allow_origins: Some(vec![
                "https://www.foo.com".into(),
                "https://*.bar.com".into(),
            ]),
            allow_methods: Some(vec![HttpCorsMethod::Get, HttpCorsMethod::Options]),
            allow_headers: Some(vec!["x-header-1".into(), "x-header-2".into()]),
            expose_headers: Some(vec!["x-header-3".into(), "x-header-4".into()]),
            allow_credentials: Some(true),
            max_age: Some(3600),
        }
    }

    fn preflight_request(origin: &str, method: &str, headers: Option<&str>) -> Parts {
        let mut h = vec![
            ("origin", origin),
            ("access-control-request-method", method),
        ];
        if let Some(v) = headers {
            h.push(("access-control-request-headers", v));
        }
        parts("OPTIONS", "/cors-1", &h)
    }

    #[test]
    fn preflight_from_an_allowed_origin() {
        let p = preflight_request(
            "https://xpto.www.bar.com",
            "GET",
            Some("x-header-1, x-header-2"),
        );
        assert!(is_preflight(&p));
        let r = preflight(&conformance_filter(), &p).unwrap();
        assert_eq!(r.status, StatusCode::OK);
        let h = &r.headers;
        assert_eq!(h[ACCESS_CONTROL_ALLOW_ORIGIN], "https://xpto.www.bar.com");
        assert_eq!(h[ACCESS_CONTROL_ALLOW_METHODS], "GET, OPTIONS");
        assert_eq!(h[ACCESS_CONTROL_ALLOW_HEADERS], "x-header-1, x-header-2");
        assert_eq!(h[ACCESS_CONTROL_EXPOSE_HEADERS], "x-header-3, x-header-4");
        assert_eq!(h[ACCESS_CONTROL_MAX_AGE], "3600");
        assert_eq!(h[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    }

    #[test]
    fn preflight_from_another_origin_has_no_cors_headers() {
        let p = preflight_request("https://foobar.com", "GET", None);
        let r = preflight(&conformance_filter(), &p).unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.headers.is_empty());
        // Neither does the actual request.
        let p = parts("GET", "/cors-1", &[("origin", "https://foobar.com")]);
        assert_eq!(response_headers(&conformance_filter(), &p).unwrap(), None);
    }

    #[test]
    fn wildcards_echo_the_request_and_respect_credentials() {
        let mut f = HttpCorsFilter {
            allow_origins: Some(vec!["*".into()]),
            allow_methods: Some(vec![HttpCorsMethod::Any]),
            allow_headers: Some(vec!["*".into()]),
            expose_headers: Some(vec!["*".into()]),
            allow_credentials: Some(true),
            max_age: None,
        };
        let p = preflight_request(
            "https://other.foo.com",
            "PUT",
            Some("x-header-1, x-header-2"),
        );
        let r = preflight(&f, &p).unwrap();
        assert_eq!(
            r.headers[ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://other.foo.com"
        );
        assert_eq!(r.headers[ACCESS_CONTROL_ALLOW_METHODS], "PUT");
        assert_eq!(
            r.headers[ACCESS_CONTROL_ALLOW_HEADERS],
            "x-header-1, x-header-2"
        );
        assert_eq!(r.headers[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert!(!r.headers.contains_key(ACCESS_CONTROL_EXPOSE_HEADERS));
        assert_eq!(r.headers[ACCESS_CONTROL_MAX_AGE], "5");
        // No requested headers: no allow-headers.
        let p = preflight_request("https://other.foo.com", "PUT", None);
        assert!(
            !preflight(&f, &p)
                .unwrap()
                .headers
                .contains_key(ACCESS_CONTROL_ALLOW_HEADERS)
        );
        // Without credentials: no allow-credentials, expose `*` allowed.
        f.allow_credentials = Some(false);
        let r = preflight(&f, &p).unwrap();
        assert!(!r.headers.contains_key(ACCESS_CONTROL_ALLOW_CREDENTIALS));
        assert_eq!(r.headers[ACCESS_CONTROL_EXPOSE_HEADERS], "*");
    }

    #[test]
    fn actual_request_headers() {
        let p = parts("GET", "/cors-1", &[("origin", "https://www.foo.com")]);
        assert!(!is_preflight(&p));
        let ops = response_headers(&conformance_filter(), &p)
            .unwrap()
            .unwrap();
        let mut response = HeaderMap::new();
        response.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        ops.apply(&mut response);
        assert_eq!(response[ACCESS_CONTROL_ALLOW_ORIGIN], "https://www.foo.com");
        assert_eq!(response[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(
            response[ACCESS_CONTROL_EXPOSE_HEADERS],
            "x-header-3, x-header-4"
        );
        assert_eq!(response[VARY], "Accept-Encoding,Origin");
        assert!(!response.contains_key(ACCESS_CONTROL_MAX_AGE));
        // No Origin: not a CORS request.
        let p = parts("GET", "/cors-1", &[]);
        assert_eq!(response_headers(&conformance_filter(), &p).unwrap(), None);
    }

    #[test]
    fn options_without_request_method_is_not_a_preflight() {
        let p = parts("OPTIONS", "/", &[("origin", "https://www.foo.com")]);
        assert!(!is_preflight(&p));
        let p = parts("OPTIONS", "/", &[("access-control-request-method", "GET")]);
        assert!(!is_preflight(&p));
    }

    #[test]
    fn bad_configured_names_are_errors_not_headers() {
        let mut f = conformance_filter();
        f.expose_headers = Some(vec!["x-a\r\nx-evil: 1".into()]);
        let p = parts("GET", "/", &[("origin", "https://www.foo.com")]);
        assert!(matches!(
            response_headers(&f, &p),
            Err(RewriteError::InvalidHeaderValue { .. })
        ));
    }
}
