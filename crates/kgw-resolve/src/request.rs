//! [`RequestHead`]: the parts of a request that routing reads, borrowed.

use http::HeaderMap;
use http::header::{HOST, HeaderName};

/// The request headers, in whatever form the caller already has them.
#[derive(Clone, Copy, Debug, Default)]
pub enum Headers<'a> {
    /// No headers.
    #[default]
    None,
    /// An `http` header map.
    Map(&'a HeaderMap),
    /// Name/value pairs; names compare case-insensitively, repeated names are several values.
    Pairs(&'a [(&'a str, &'a str)]),
}

impl<'a> Headers<'a> {
    /// The values of one header in request order. `lower_name` is the lowercase name; `name`
    /// the same as a parsed [`HeaderName`] (looked up in a [`HeaderMap`] without hashing a
    /// string; `None` when the name is not a valid header name, which then never matches).
    pub(crate) fn values(
        self,
        lower_name: &'a str,
        name: Option<&'a HeaderName>,
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        let from_map = match (self, name) {
            (Self::Map(map), Some(name)) => {
                Some(map.get_all(name).iter().map(http::HeaderValue::as_bytes))
            }
            _ => None,
        };
        let from_pairs = match self {
            Self::Pairs(pairs) => Some(
                pairs
                    .iter()
                    .filter(move |(n, _)| n.eq_ignore_ascii_case(lower_name))
                    .map(|(_, v)| v.as_bytes()),
            ),
            _ => None,
        };
        from_map
            .into_iter()
            .flatten()
            .chain(from_pairs.into_iter().flatten())
    }

    /// Every header as (name, value) bytes, for the reference matcher and explanations.
    pub(crate) fn all(self) -> Vec<(String, Vec<u8>)> {
        match self {
            Self::None => Vec::new(),
            Self::Map(map) => map
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                .collect(),
            Self::Pairs(pairs) => pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
        }
    }
}

/// What routing reads from a request: all borrowed, so building one never allocates.
///
/// `host` is the URI authority or the Host header as received (port, case and a trailing dot
/// are handled by the resolver); `port` is the port the request arrived on, which selects the
/// listener; `path` excludes the query.
///
/// ```
/// use kgw_resolve::RequestHead;
/// let headers = [("x-version", "2")];
/// let head = RequestHead::new("GET", "Shop.Example.com", "/api/items?page=2")
///     .with_port(8080)
///     .with_header_pairs(&headers);
/// assert_eq!(head.path, "/api/items");
/// assert_eq!(head.query, Some("page=2"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RequestHead<'a> {
    /// Method, such as `GET`.
    pub method: &'a str,
    /// `http` or `https`.
    pub scheme: &'a str,
    /// Host as received (URI authority or Host header).
    pub host: &'a str,
    /// Port the request arrived on; selects the listener.
    pub port: u16,
    /// Path, without the query.
    pub path: &'a str,
    /// Query string, without the `?`.
    pub query: Option<&'a str>,
    /// Request headers.
    pub headers: Headers<'a>,
    /// TLS server name, for HTTPS listeners: selects the listener, and a Host owned by another
    /// listener is then answered 421.
    pub sni: Option<&'a str>,
}

impl<'a> RequestHead<'a> {
    /// A request over plain HTTP on port 80; `path_and_query` is split at the first `?`.
    pub fn new(method: &'a str, host: &'a str, path_and_query: &'a str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        Self {
            method,
            scheme: "http",
            host,
            port: 80,
            path,
            query,
            headers: Headers::None,
            sni: None,
        }
    }

    /// The routing view of an `http` request head. The host comes from the URI authority, or
    /// else the Host header; the port from the authority, else the Host header, else the
    /// scheme's default (443 for `https`, 80 otherwise).
    pub fn from_parts(parts: &'a http::request::Parts) -> Self {
        Self::from_components(&parts.method, &parts.uri, &parts.headers)
    }

    /// The routing view of an `http` request (its body is not read).
    pub fn from_request<B>(request: &'a http::Request<B>) -> Self {
        Self::from_components(request.method(), request.uri(), request.headers())
    }

    fn from_components(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a HeaderMap,
    ) -> Self {
        let scheme = uri.scheme_str().unwrap_or("http");
        let header_host = headers.get(HOST).and_then(|v| v.to_str().ok());
        let (host, explicit_port) = if let Some(authority) = uri.authority() {
            (authority.as_str(), authority.port_u16())
        } else {
            let host = header_host.unwrap_or("");
            (host, port_of(host))
        };
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        };
        Self {
            method: method.as_str(),
            scheme,
            host,
            port: explicit_port.unwrap_or(default_port),
            path: uri.path(),
            query: uri.query(),
            headers: Headers::Map(headers),
            sni: None,
        }
    }

    /// The same request arriving on another port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The same request with another scheme.
    pub fn with_scheme(mut self, scheme: &'a str) -> Self {
        self.scheme = scheme;
        self
    }

    /// The same request with these headers.
    pub fn with_headers(mut self, headers: &'a HeaderMap) -> Self {
        self.headers = Headers::Map(headers);
        self
    }

    /// The same request with these header pairs.
    pub fn with_header_pairs(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = Headers::Pairs(headers);
        self
    }

    /// The same request received over TLS with this server name.
    pub fn with_sni(mut self, sni: &'a str) -> Self {
        self.sni = Some(sni);
        self
    }
}

/// The port of a `host[:port]` string, when it has a valid one.
fn port_of(host: &str) -> Option<u16> {
    let after_brackets = host.rfind(']').map_or(host, |end| &host[end + 1..]);
    after_brackets
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_parts_reads_authority_or_host_header() {
        let req = http::Request::get("https://Shop.example.com/a/b?x=1")
            .header("x-a", "1")
            .body(())
            .unwrap();
        let head = RequestHead::from_request(&req);
        assert_eq!(
            (head.host, head.port, head.path, head.query),
            ("Shop.example.com", 443, "/a/b", Some("x=1"))
        );
        assert_eq!(head.scheme, "https");
        assert_eq!(head.method, "GET");

        let req = http::Request::post("/p")
            .header("host", "h.example:8080")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let head = RequestHead::from_parts(&parts);
        assert_eq!(
            (head.host, head.port, head.path, head.query),
            ("h.example:8080", 8080, "/p", None)
        );

        let req = http::Request::get("/")
            .header("host", "[::1]")
            .body(())
            .unwrap();
        assert_eq!(RequestHead::from_request(&req).port, 80);
    }

    #[test]
    fn header_values_in_both_forms() {
        let mut map = HeaderMap::new();
        map.append("X-A", "1".parse().unwrap());
        map.append("x-a", "2".parse().unwrap());
        let name = HeaderName::from_static("x-a");
        let got: Vec<_> = Headers::Map(&map).values("x-a", Some(&name)).collect();
        assert_eq!(got, [b"1".as_slice(), b"2"]);
        let pairs = [("X-A", "1"), ("b", "x"), ("x-a", "2")];
        let got: Vec<_> = Headers::Pairs(&pairs).values("x-a", Some(&name)).collect();
        assert_eq!(got, [b"1".as_slice(), b"2"]);
        assert_eq!(Headers::None.values("x-a", None).count(), 0);
    }
}
