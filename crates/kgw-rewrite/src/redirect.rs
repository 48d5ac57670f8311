//! `RequestRedirect`: the `Location` and status of a redirect answer.
//!
//! Defaults (Gateway API §4.4): scheme → the listener's; hostname → the request's host without
//! its port; port → the filter's, else the well-known port of the filter's scheme when one is
//! set, else the listener's port; path → rewritten like `URLRewrite`, else the request's. The
//! port is left out when it is the scheme's well-known one. The query string is kept.

use http::request::Parts;
use http::{HeaderValue, StatusCode};
use kgw_api::gateway::HttpRequestRedirectFilter;
use kgw_api::gateway::httproute::HttpRedirectScheme;
use url::Url;

use crate::request::{self, ListenerInfo, Scheme};
use crate::{RewriteError, url_rewrite, validate_output};

/// A redirect answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// 301, 302, 303, 307 or 308.
    pub status: StatusCode,
    /// The absolute URL of the `Location` header.
    pub location: Url,
}

impl Redirect {
    /// The `Location` header value.
    pub fn location_header(&self) -> Result<HeaderValue, RewriteError> {
        validate_output::header_value("location", self.location.as_str())
    }
}

/// The filter's status code (302 when unset); anything but 301, 302, 303, 307, 308 is an error.
pub fn status_code(filter: &HttpRequestRedirectFilter) -> Result<StatusCode, RewriteError> {
    let code = filter.status_code.unwrap_or(302);
    match code {
        301 | 302 | 303 | 307 | 308 => u16::try_from(code)
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .ok_or(RewriteError::InvalidRedirectStatus(code)),
        _ => Err(RewriteError::InvalidRedirectStatus(code)),
    }
}

fn scheme_of(filter_scheme: HttpRedirectScheme) -> Scheme {
    match filter_scheme {
        HttpRedirectScheme::Http => Scheme::Http,
        HttpRedirectScheme::Https => Scheme::Https,
    }
}

/// The `Location` of a redirect for the request in `parts` that arrived on `listener`.
/// `matched_prefix` is the `PathPrefix` value that matched, for `ReplacePrefixMatch`.
pub fn location(
    filter: &HttpRequestRedirectFilter,
    parts: &Parts,
    listener: ListenerInfo,
    matched_prefix: Option<&str>,
) -> Result<Url, RewriteError> {
    let scheme = filter.scheme.map_or(listener.scheme, scheme_of);
    let port = match filter.port {
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|p| *p != 0)
            .ok_or(RewriteError::InvalidRedirectPort(p))?,
        None if filter.scheme.is_some() => scheme.default_port(),
        None => listener.port,
    };
    let host = match &filter.hostname {
        Some(h) => h.as_str(),
        None => {
            request::host_without_port(request::authority(parts).ok_or(RewriteError::MissingHost)?)
        }
    };
    if host.is_empty() {
        return Err(RewriteError::MissingHost);
    }
    // The host goes through the same authority check as a rewrite: no user info, no stray
    // characters that would let the URL parser read a different host.
    validate_output::authority(host)?;
    let path = match &filter.path {
        Some(m) => url_rewrite::rewrite_path(m, parts.uri.path(), matched_prefix)?,
        None => parts.uri.path().to_owned(),
    };
    let target = validate_output::path_and_query(&path, parts.uri.query())?;
    let port_part = if port == scheme.default_port() {
        String::new()
    } else {
        format!(":{port}")
    };
    let location = format!("{scheme}://{host}{port_part}{target}");
    Url::parse(&location).map_err(|e| RewriteError::InvalidLocation {
        location,
        reason: e.to_string(),
    })
}

/// The redirect answer: status and `Location`.
pub fn redirect(
    filter: &HttpRequestRedirectFilter,
    parts: &Parts,
    listener: ListenerInfo,
    matched_prefix: Option<&str>,
) -> Result<Redirect, RewriteError> {
    Ok(Redirect {
        status: status_code(filter)?,
        location: location(filter, parts, listener, matched_prefix)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::tests::parts;
    use kgw_api::gateway::HttpPathModifier;
    use kgw_api::gateway::httproute::HttpPathModifierType;

    fn listener(scheme: Scheme, port: u16) -> ListenerInfo {
        ListenerInfo { scheme, port }
    }

    /// The spec's port/scheme table: listener, filter scheme, filter port → Location.
    #[test]
    fn spec_port_and_scheme_table() {
        use HttpRedirectScheme::{Http as FHttp, Https as FHttps};
        use Scheme::{Http, Https};
        type Row = (
            Scheme,
            u16,
            Option<HttpRedirectScheme>,
            Option<i32>,
            &'static str,
        );
        let table: [Row; 12] = [
            (Http, 80, None, None, "http://h/p"),
            (Http, 80, None, Some(8080), "http://h:8080/p"),
            (Http, 80, Some(FHttps), None, "https://h/p"),
            (Http, 80, Some(FHttps), Some(443), "https://h/p"),
            (Http, 80, Some(FHttps), Some(8443), "https://h:8443/p"),
            (Http, 8080, None, None, "http://h:8080/p"),
            (Http, 8080, None, Some(80), "http://h/p"),
            (Http, 8080, Some(FHttps), None, "https://h/p"),
            (Https, 443, None, None, "https://h/p"),
            (Https, 443, None, Some(8443), "https://h:8443/p"),
            (Https, 443, Some(FHttp), None, "http://h/p"),
            (Https, 443, Some(FHttp), Some(8080), "http://h:8080/p"),
        ];
        for (ls, lp, scheme, port, want) in table {
            let p = parts("GET", "/p", &[("host", "h:1234")]);
            let filter = HttpRequestRedirectFilter {
                scheme,
                port,
                ..Default::default()
            };
            let got = location(&filter, &p, listener(ls, lp), None).unwrap();
            assert_eq!(got.as_str(), want, "{ls}:{lp} {scheme:?} {port:?}");
        }
    }

    #[test]
    fn hostname_path_and_query() {
        let p = parts("GET", "/foo/bar?x=1&y", &[("host", "old.example:8080")]);
        let filter = HttpRequestRedirectFilter {
            hostname: Some("new.example".into()),
            path: Some(HttpPathModifier {
                type_: HttpPathModifierType::ReplacePrefixMatch,
                replace_full_path: None,
                replace_prefix_match: Some("/xyz".into()),
            }),
            ..Default::default()
        };
        let l = listener(Scheme::Http, 80);
        assert_eq!(
            location(&filter, &p, l, Some("/foo")).unwrap().as_str(),
            "http://new.example/xyz/bar?x=1&y"
        );
        let full = HttpRequestRedirectFilter {
            path: Some(HttpPathModifier {
                type_: HttpPathModifierType::ReplaceFullPath,
                replace_full_path: Some("/login".into()),
                replace_prefix_match: None,
            }),
            ..Default::default()
        };
        assert_eq!(
            location(&full, &p, l, None).unwrap().as_str(),
            "http://old.example/login?x=1&y"
        );
    }

    #[test]
    fn host_comes_from_the_uri_or_the_host_header() {
        let l = listener(Scheme::Http, 80);
        let p = parts("GET", "http://[::1]:8080/x", &[]);
        let f = HttpRequestRedirectFilter::default();
        assert_eq!(
            location(&f, &p, l, None).unwrap().as_str(),
            "http://[::1]/x"
        );
        let p = parts("GET", "/x", &[]);
        assert_eq!(location(&f, &p, l, None), Err(RewriteError::MissingHost));
    }

    #[test]
    fn status_codes() {
        for (code, want) in [
            (None, 302),
            (Some(301), 301),
            (Some(303), 303),
            (Some(307), 307),
            (Some(308), 308),
        ] {
            let f = HttpRequestRedirectFilter {
                status_code: code,
                ..Default::default()
            };
            assert_eq!(status_code(&f).unwrap().as_u16(), want);
        }
        for bad in [200, 304, 300, -1, 1_000_000_000_000] {
            let f = HttpRequestRedirectFilter {
                status_code: Some(bad),
                ..Default::default()
            };
            assert_eq!(
                status_code(&f),
                Err(RewriteError::InvalidRedirectStatus(bad))
            );
        }
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let p = parts("GET", "/x", &[("host", "h")]);
        let l = listener(Scheme::Http, 80);
        for port in [0, -1, 65536] {
            let f = HttpRequestRedirectFilter {
                port: Some(port),
                ..Default::default()
            };
            assert_eq!(
                location(&f, &p, l, None),
                Err(RewriteError::InvalidRedirectPort(port))
            );
        }
        // WHATWG URL parsing reads a final numeric label as IPv4 and refuses this name.
        let f = HttpRequestRedirectFilter {
            hostname: Some("foo.123".into()),
            ..Default::default()
        };
        assert!(matches!(
            location(&f, &p, l, None),
            Err(RewriteError::InvalidLocation { .. })
        ));
        for host in ["evil.example/path", "user@evil.example", "a\r\nb", "a b"] {
            let f = HttpRequestRedirectFilter {
                hostname: Some(host.into()),
                ..Default::default()
            };
            assert!(location(&f, &p, l, None).is_err(), "{host:?}");
        }
    }

    #[test]
    fn redirect_bundles_status_and_location() {
        let p = parts("GET", "/x", &[("host", "h")]);
        let f = HttpRequestRedirectFilter {
            scheme: Some(HttpRedirectScheme::Https),
            status_code: Some(301),
            ..Default::default()
        };
        let r = redirect(&f, &p, listener(Scheme::Http, 80), None).unwrap();
        assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(r.location_header().unwrap(), "https://h/x");
    }
}
