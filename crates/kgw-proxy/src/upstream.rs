//! Preparing a request for an upstream, sending it with the pooled hyper-util client (HTTP/2,
//! upgrades, `CONNECT`; plain HTTP/1.1 goes through the crate's own pool), and mapping failures to
//! [`Fault`]s.

use std::time::Duration;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri, Version};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::{self, ProxyBody};
use crate::connector::{UpstreamConnector, UpstreamTls};
use crate::fault::{Fault, classify_client_error};

pub use kgw_rewrite::backend::UpstreamProtocol;

/// The pooled client type.
pub(crate) type PooledClient = Client<UpstreamConnector, ProxyBody>;

/// Settings of the upstream clients.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// TCP connect timeout (kgateway's cluster `connect_timeout` is 5 s).
    pub connect_timeout: Duration,
    /// How long an idle pooled connection is kept.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per upstream.
    pub pool_max_idle_per_host: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 1024,
        }
    }
}

/// Builds a pooled client speaking `protocol`, with `tls` when set.
pub(crate) fn pooled_client(
    options: &ClientOptions,
    protocol: UpstreamProtocol,
    tls: Option<UpstreamTls>,
) -> PooledClient {
    let mut builder = Client::builder(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(options.pool_idle_timeout)
        .pool_max_idle_per_host(options.pool_max_idle_per_host)
        // A pooled connection the upstream closed meanwhile is retried on a new connection:
        // the request was never sent, so this is safe for every method.
        .retry_canceled_requests(true)
        .set_host(false)
        .http2_only(protocol.is_http2());
    builder.build(UpstreamConnector::new(tls, options.connect_timeout))
}

/// Headers that describe one hop and never travel on (RFC 9110 §7.6.1). `Connection` comes
/// first and `Upgrade` last: those two are read, not only removed (see the bits below).
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Bits of `Connection` (`HOP_BY_HOP[0]`) and `Upgrade` (`HOP_BY_HOP[7]`) in a set of present
/// names, where bit `i` is `HOP_BY_HOP[i]`.
const CONNECTION_BIT: u8 = 1;
const UPGRADE_BIT: u8 = 1 << 7;

/// Removes hop-by-hop headers (and those named by `Connection`). With `keep_upgrade`, an
/// `Upgrade` request keeps `Connection: upgrade` and `Upgrade`.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    // One pass over the (few) names present notes which hop-by-hop names occur: most messages
    // carry none, and most others only `Connection`, so only those are looked up and removed
    // rather than every hop-by-hop name (a hash and a probe each).
    let mut present = 0_u8;
    for name in headers.keys() {
        if let Some(index) = HOP_BY_HOP.iter().position(|hop| hop == name) {
            present |= 1 << index;
        }
    }
    if present == 0 {
        return;
    }
    let upgrade = (keep_upgrade && present & UPGRADE_BIT != 0)
        .then(|| headers.get(header::UPGRADE).cloned())
        .flatten();
    // Most `Connection` values name only headers removed below anyway (`keep-alive`,
    // `upgrade`) or none (`close`): only other names are collected, so the common case
    // allocates nothing.
    let named: Vec<HeaderName> = if present & CONNECTION_BIT == 0 {
        Vec::new()
    } else {
        headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|token| {
                !token.eq_ignore_ascii_case("close")
                    && !HOP_BY_HOP
                        .iter()
                        .any(|name| token.eq_ignore_ascii_case(name.as_str()))
            })
            .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
            .collect()
    };
    for name in &named {
        headers.remove(name);
    }
    for (index, name) in HOP_BY_HOP.iter().enumerate() {
        if present & (1 << index) != 0 {
            headers.remove(name);
        }
    }
    if let Some(upgrade) = upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, upgrade);
    }
}

/// Whether `headers` ask for a protocol upgrade (WebSocket).
pub(crate) fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|token| token.trim().eq_ignore_ascii_case("upgrade"))
}

/// Points `request` at `endpoint` for the pooled client: the URI becomes absolute
/// (`scheme://endpoint/path?query`), the `Host` header keeps the (possibly rewritten) authority
/// the client asked for, and the version fits the upstream protocol.
pub(crate) fn target_request(
    request: &mut Request<ProxyBody>,
    authority: Authority,
    tls: bool,
    protocol: UpstreamProtocol,
) -> Result<(), Fault> {
    keep_host(request)?;
    // Reassembled from parts: the path is shared, not copied, and nothing is parsed again.
    let mut parts = std::mem::take(request.uri_mut()).into_parts();
    parts.scheme = Some(if tls { Scheme::HTTPS } else { Scheme::HTTP });
    parts.authority = Some(authority);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(PathAndQuery::from_static("/"));
    }
    *request.uri_mut() =
        Uri::from_parts(parts).map_err(|e| Fault::Unresolved(format!("upstream uri: {e}")))?;
    *request.version_mut() = if protocol.is_http2() {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    Ok(())
}

/// Prepares `request` for an HTTP/1.1 connection to the upstream (see [`crate::pool`]): the
/// `Host` header as in [`target_request`], the URI in origin form (`/path?query`, what goes on
/// the request line), version HTTP/1.1.
pub(crate) fn origin_request(request: &mut Request<ProxyBody>) -> Result<(), Fault> {
    keep_host(request)?;
    let path = std::mem::take(request.uri_mut())
        .into_parts()
        .path_and_query
        .filter(|path| path.as_str() != "/");
    if let Some(path) = path {
        let mut parts = http::uri::Parts::default();
        parts.path_and_query = Some(path);
        *request.uri_mut() =
            Uri::from_parts(parts).map_err(|e| Fault::Unresolved(format!("upstream uri: {e}")))?;
    }
    *request.version_mut() = Version::HTTP_11;
    Ok(())
}

/// Writes the URI's authority (the client's, possibly rewritten) into a `Host` header when the
/// request has none, before the URI is pointed at the upstream.
fn keep_host(request: &mut Request<ProxyBody>) -> Result<(), Fault> {
    if !request.headers().contains_key(header::HOST)
        && let Some(authority) = request.uri().authority()
    {
        let value = HeaderValue::from_str(authority.as_str())
            .map_err(|e| Fault::Unresolved(format!("authority: {e}")))?;
        request.headers_mut().insert(header::HOST, value);
    }
    Ok(())
}

/// Sends `request` and waits for the response head, at most `timeout`.
pub(crate) async fn send(
    client: &PooledClient,
    request: Request<ProxyBody>,
    timeout: Option<Duration>,
) -> Result<Response<Incoming>, Fault> {
    let sending = client.request(request);
    let result = match timeout {
        Some(limit) => tokio::time::timeout(limit, sending)
            .await
            .map_err(|_| Fault::Timeout)?,
        None => sending.await,
    };
    result.map_err(|error| classify_client_error(&error))
}

/// Turns an upstream response into the response relayed to the client.
pub(crate) fn relay_response<B>(response: Response<B>, keep_upgrade: bool) -> Response<ProxyBody>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + Sync + 'static,
    B::Error: Into<body::BoxError>,
{
    let (mut parts, incoming) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers, keep_upgrade);
    Response::from_parts(parts, body::boxed(incoming))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_connection_named_ones_go() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-secret"),
        );
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-kept", HeaderValue::from_static("1"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        strip_hop_by_hop(&mut headers, false);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers.contains_key("x-kept"));
        // Names in any case, with spaces, over several `Connection` fields.
        let mut headers = HeaderMap::new();
        headers.append(header::CONNECTION, HeaderValue::from_static("Keep-Alive"));
        headers.append(
            header::CONNECTION,
            HeaderValue::from_static(" X-One ,x-two"),
        );
        headers.insert("x-one", HeaderValue::from_static("1"));
        headers.insert("x-two", HeaderValue::from_static("2"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut headers, false);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers.contains_key("x-kept"));
    }

    #[test]
    fn connection_and_upgrade_bits_name_their_headers() {
        assert_eq!(
            HOP_BY_HOP[CONNECTION_BIT.trailing_zeros() as usize],
            header::CONNECTION
        );
        assert_eq!(
            HOP_BY_HOP[UPGRADE_BIT.trailing_zeros() as usize],
            header::UPGRADE
        );
    }

    #[test]
    fn only_the_hop_by_hop_names_present_go() {
        let mut headers = HeaderMap::new();
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        headers.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut headers, false);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers.contains_key("x-kept"));
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("3"));
        strip_hop_by_hop(&mut headers, false);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers.contains_key(header::CONTENT_LENGTH));
    }

    #[test]
    fn upgrade_survives_when_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(wants_upgrade(&headers));
        strip_hop_by_hop(&mut headers, true);
        assert_eq!(headers[header::CONNECTION], "upgrade");
        assert_eq!(headers[header::UPGRADE], "websocket");
    }

    #[test]
    fn target_request_keeps_host_and_dials_the_endpoint() {
        let mut request = Request::get("http://client.example/a?b=1")
            .body(body::empty())
            .unwrap();
        *request.version_mut() = Version::HTTP_2;
        let endpoint = crate::endpoints::Endpoint {
            host: "10.0.0.7".into(),
            port: 8080,
        };
        let authority = endpoint.uri_authority().unwrap();
        target_request(&mut request, authority, false, UpstreamProtocol::Http1).unwrap();
        assert_eq!(request.uri(), "http://10.0.0.7:8080/a?b=1");
        assert_eq!(request.headers()[header::HOST], "client.example");
        assert_eq!(request.version(), Version::HTTP_11);
    }
}
