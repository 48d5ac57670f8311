//! The gateway: resolve, apply filters, forward. Owns the snapshot holder, the pooled clients,
//! the pluggable resolvers and the counters.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::uri::Authority;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use kgw_resolve::{BackendChoice, Outcome, RandomSource, RequestHead, Target};

use crate::aws::{CredentialsProvider, DefaultCredentials};
use crate::body::{self, ProxyBody};
use crate::endpoints::{ClusterDns, EndpointResolver, ServiceTarget};
use crate::fault::{Fault, status_response};
use crate::filters::{self, FilterOutcome, Mirror};
use crate::metrics::Counters;
use crate::pool::H1Pool;
use crate::secrets::{NoSecrets, SecretStore};
use crate::server::{ConnectionService, ServerOptions};
use crate::table::{BackendRuntime, Snapshot, TableHolder};
use crate::upstream::{
    self, ClientOptions, PooledClient, UpstreamProtocol, origin_request, pooled_client,
    relay_response, strip_hop_by_hop, target_request, wants_upgrade,
};

/// How the gateway behaves; every field has a sensible default.
#[derive(Clone)]
pub struct GatewayOptions {
    /// Downstream limits and shutdown.
    pub server: ServerOptions,
    /// Upstream pool and connect timeout.
    pub client: ClientOptions,
    /// Where Service backendRefs are dialled (default: cluster DNS).
    pub endpoints: Arc<dyn EndpointResolver>,
    /// Secret values (Lambda credentials, upstream TLS `secretRef`).
    pub secrets: Arc<dyn SecretStore>,
    /// AWS credentials for Lambda (default: [`DefaultCredentials`] over `secrets`).
    pub credentials: Option<Arc<dyn CredentialsProvider>>,
    /// Random numbers for weighted backend choice (default: a per-request fast generator).
    pub random: Arc<dyn Fn() -> u64 + Send + Sync>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            server: ServerOptions::default(),
            client: ClientOptions::default(),
            endpoints: Arc::new(ClusterDns::new()),
            secrets: Arc::new(NoSecrets),
            credentials: None,
            random: Arc::new(random_u64),
        }
    }
}

impl std::fmt::Debug for GatewayOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayOptions")
            .field("server", &self.server)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// A random number from the standard library's randomly keyed hasher (no extra dependency;
/// weighted choice needs spread, not cryptographic quality).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() ^ u64::from(d.subsec_nanos())),
    );
    hasher.finish()
}

struct OneShotRandom<'a>(&'a (dyn Fn() -> u64 + Send + Sync));

impl RandomSource for OneShotRandom<'_> {
    fn next_u64(&mut self) -> u64 {
        (self.0)()
    }
}

/// The connection a request arrived on.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionInfo {
    /// The Gateway listener port (selects the listener).
    pub port: u16,
    /// The client's address.
    pub remote: SocketAddr,
}

/// An embedded gateway: cheap to clone (all clones share one state).
#[derive(Clone)]
pub struct Gateway {
    shared: Arc<Shared>,
}

struct Shared {
    table: TableHolder,
    options: GatewayOptions,
    credentials: Arc<dyn CredentialsProvider>,
    http1: PooledClient,
    h2c: PooledClient,
    /// Plaintext HTTP/1.1 exchanges (everything but upgrades and `CONNECT`).
    h1: H1Pool,
    counters: Counters,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("gateway", self.shared.table.load().gateway_key())
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway serving `snapshot` with `options`.
    pub fn new(snapshot: Snapshot, options: GatewayOptions) -> Self {
        let credentials = options
            .credentials
            .clone()
            .unwrap_or_else(|| Arc::new(DefaultCredentials::new(options.secrets.clone())));
        let http1 = pooled_client(&options.client, UpstreamProtocol::Http1, None);
        let h2c = pooled_client(&options.client, UpstreamProtocol::H2c, None);
        let h1 = H1Pool::new(&options.client, None);
        Self {
            shared: Arc::new(Shared {
                table: TableHolder::new(snapshot),
                options,
                credentials,
                http1,
                h2c,
                h1,
                counters: Counters::default(),
            }),
        }
    }

    /// Replaces the routing snapshot atomically. Requests already routed finish on the old
    /// one; the next request uses the new one. Returns the previous snapshot.
    pub fn swap_table(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        self.shared
            .counters
            .table_swaps
            .fetch_add(1, Ordering::Relaxed);
        self.shared.table.swap(snapshot)
    }

    /// The snapshot currently served.
    pub fn table(&self) -> Arc<Snapshot> {
        self.shared.table.load().clone()
    }

    /// The gateway's counters.
    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// The options the gateway was built with.
    pub fn options(&self) -> &GatewayOptions {
        &self.shared.options
    }

    pub(crate) fn server_options(&self) -> &ServerOptions {
        &self.shared.options.server
    }

    pub(crate) fn connection_service(&self, info: ConnectionInfo) -> ConnectionService {
        ConnectionService {
            inner: Arc::new((self.clone(), info)),
            clock: None,
        }
    }

    /// Routes one request end to end and returns the response for the client. Never fails:
    /// every problem becomes a status (404, 500, 502, 503, 504, …).
    pub async fn handle<B>(&self, request: Request<B>, info: ConnectionInfo) -> Response<ProxyBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<body::BoxError>,
    {
        match self.handle_inner(request, info, false).await {
            Ok(response) => response,
            // With `pass_unmatched` false every request is answered.
            Err(_) => status_response(StatusCode::NOT_FOUND),
        }
    }

    /// Like [`Self::handle`], but a request that matches no route comes back untouched as
    /// `Err` (for [`crate::GatewayLayer`]'s fallback).
    pub async fn handle_matched<B>(
        &self,
        request: Request<B>,
        info: ConnectionInfo,
    ) -> Result<Response<ProxyBody>, Request<B>>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<body::BoxError>,
    {
        self.handle_inner(request, info, true).await
    }

    async fn handle_inner<B>(
        &self,
        request: Request<B>,
        info: ConnectionInfo,
        pass_unmatched: bool,
    ) -> Result<Response<ProxyBody>, Request<B>>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<body::BoxError>,
    {
        let counters = &self.shared.counters;
        let _in_flight = counters.request_started();
        match self.route(request, info, pass_unmatched) {
            Routed::Unmatched(request) => Err(request),
            Routed::Respond(response) => {
                counters.record_status(response.status());
                Ok(response)
            }
            Routed::Forward(forwarding) => Ok(Self::forward(self, forwarding).await),
        }
    }

    /// Everything about a request that never waits: resolution, filters, limits. Done before
    /// any future is built, so that the future of a forwarded request holds only what the
    /// exchange with the upstream needs (it is moved, whole, every time it is wrapped).
    pub(crate) fn route<B>(
        &self,
        request: Request<B>,
        info: ConnectionInfo,
        pass_unmatched: bool,
    ) -> Routed<B>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<body::BoxError>,
    {
        let (mut parts, incoming) = request.into_parts();
        let plan = {
            let snapshot = self.shared.table.load();
            self.plan(&snapshot, &mut parts, info)
        };
        let forward = match plan {
            Plan::NoRoute if pass_unmatched => {
                return Routed::Unmatched(Request::from_parts(parts, incoming));
            }
            Plan::NoRoute => {
                self.shared
                    .counters
                    .no_route
                    .fetch_add(1, Ordering::Relaxed);
                return Routed::Respond(status_response(StatusCode::NOT_FOUND));
            }
            Plan::Respond(response) => return Routed::Respond(response),
            Plan::Fault(fault) => return Routed::Respond(self.fault_response(fault)),
            Plan::Forward(forward) => forward,
        };
        let limit = self.shared.options.server.max_request_body_bytes;
        if parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|length| length > limit)
        {
            return Routed::Respond(Fault::BodyTooLarge.into_response());
        }
        // Most requests (GETs) have no body: an empty one needs no allocation, and no layers to
        // poll through.
        let body = if http_body::Body::is_end_stream(&incoming) {
            body::empty()
        } else {
            body::boxed(Limited::new(
                incoming,
                usize::try_from(limit).unwrap_or(usize::MAX),
            ))
        };
        let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
        Routed::Forward(Forwarding {
            forward,
            request: Request::from_parts(parts, body),
            upgrade,
        })
    }

    fn fault_response(&self, fault: Fault) -> Response<ProxyBody> {
        tracing::debug!(%fault, "answering a fault");
        self.shared.counters.record_fault(&fault);
        fault.into_response()
    }

    /// Resolution and filters: everything synchronous, decided on one snapshot.
    fn plan(
        &self,
        snapshot: &Snapshot,
        parts: &mut http::request::Parts,
        info: ConnectionInfo,
    ) -> Plan {
        let mut random = OneShotRandom(&*self.shared.options.random);
        // The outcome borrows the snapshot only, so the request can be rewritten afterwards.
        let outcome = snapshot.gateway_table().resolve(
            &RequestHead::from_parts(parts).with_port(info.port),
            &mut random,
        );
        let resolution = match outcome {
            Outcome::Matched(resolution) => resolution,
            Outcome::NoRoute { .. } | Outcome::NoListener => return Plan::NoRoute,
            other => {
                let status = other
                    .status()
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::BAD_REQUEST);
                return Plan::Respond(status_response(status));
            }
        };
        let outcome = match filters::apply(&resolution, parts) {
            Ok(outcome) => outcome,
            Err(fault) => return Plan::Fault(fault),
        };
        let (response_headers, mirrors) = match outcome {
            FilterOutcome::Respond(response) => return Plan::Respond(response),
            FilterOutcome::Forward {
                response_headers,
                mirrors,
            } => (response_headers, mirrors),
        };
        let target = match resolution.backend {
            BackendChoice::Forward { target, .. } => UpstreamRef::from(target),
            BackendChoice::Unresolved { message, .. } => {
                return Plan::Fault(Fault::Unresolved(message.to_owned()));
            }
            BackendChoice::NoBackends | BackendChoice::AllWeightsZero => {
                return Plan::Fault(Fault::Unresolved("no backend to forward to".into()));
            }
        };
        let upstream = match self.upstream_for(snapshot, &target) {
            Ok(upstream) => upstream,
            Err(fault) => return Plan::Fault(fault),
        };
        let timeout = resolution
            .rule()
            .and_then(|rule| rule_timeout(rule.timeouts.as_ref()));
        let mirrors = mirrors
            .into_iter()
            .filter_map(|mirror| {
                let target = mirror.upstream_ref(snapshot, &resolution)?;
                let upstream = self.upstream_for(snapshot, &target).ok()?;
                Some((mirror, upstream))
            })
            .collect();
        Plan::Forward(Forward {
            upstream,
            timeout,
            response_headers,
            mirrors,
        })
    }

    fn upstream_for(
        &self,
        snapshot: &Snapshot,
        target: &UpstreamRef<'_>,
    ) -> Result<Upstream, Fault> {
        match *target {
            UpstreamRef::Service {
                namespace,
                name,
                port,
                service,
            } => {
                let port = u16::try_from(port).map_err(|_| {
                    Fault::Unresolved(format!(
                        "Service {namespace}/{name}: port {port} out of range"
                    ))
                })?;
                let endpoint = self
                    .shared
                    .options
                    .endpoints
                    .resolve(&ServiceTarget {
                        namespace,
                        name,
                        port,
                    })
                    .ok_or_else(|| {
                        Fault::ConnectFailed(format!(
                            "Service {namespace}/{name}:{port} has no endpoints"
                        ))
                    })?;
                let protocol = UpstreamProtocol::from_app_protocol(
                    service
                        .and_then(|s| s.port(i32::from(port)))
                        .and_then(|p| p.app_protocol.as_deref()),
                );
                let tls = snapshot.service_tls(namespace, name).cloned();
                let authority = endpoint.uri_authority().map_err(|e| {
                    Fault::Unresolved(format!("Service {namespace}/{name} endpoint: {e}"))
                })?;
                Ok(Upstream::Http(HttpUpstream {
                    authority,
                    protocol,
                    client: match &tls {
                        Some(tls) => ClientChoice::Tls(tls.clone()),
                        None => ClientChoice::Shared,
                    },
                }))
            }
            UpstreamRef::Backend { namespace, name } => {
                let runtime = snapshot
                    .backend(namespace, name)
                    .ok_or_else(|| {
                        Fault::Unresolved(format!("Backend {namespace}/{name} not found"))
                    })?
                    .clone();
                match &*runtime {
                    BackendRuntime::Unusable(reason) => Err(Fault::Unresolved(reason.clone())),
                    BackendRuntime::Lambda(_) => Ok(Upstream::Lambda(runtime)),
                    BackendRuntime::Static(static_) => {
                        let authority = static_.pick().ok_or_else(|| {
                            Fault::Unresolved(format!("Backend {namespace}/{name} has no hosts"))
                        })?;
                        let protocol = static_.endpoints.protocol();
                        let client = if static_.tls.is_some() {
                            ClientChoice::Backend(runtime.clone())
                        } else {
                            ClientChoice::Shared
                        };
                        Ok(Upstream::Http(HttpUpstream {
                            authority,
                            protocol,
                            client,
                        }))
                    }
                }
            }
        }
    }

    fn client<'a>(
        &'a self,
        choice: &'a ClientChoice,
        protocol: UpstreamProtocol,
    ) -> (&'a PooledClient, bool) {
        let options = &self.shared.options.client;
        match choice {
            ClientChoice::Shared if protocol.is_http2() => (&self.shared.h2c, false),
            ClientChoice::Shared => (&self.shared.http1, false),
            ClientChoice::Tls(tls) => (tls.client(options, protocol), true),
            ClientChoice::Backend(runtime) => match &**runtime {
                BackendRuntime::Static(s) => match &s.tls {
                    Some(tls) => (tls.client(options, protocol), true),
                    None => (&self.shared.http1, false),
                },
                BackendRuntime::Lambda(l) => match &l.tls {
                    Some(tls) => (tls.client(options, UpstreamProtocol::H2), true),
                    None => (&self.shared.h2c, false),
                },
                BackendRuntime::Unusable(_) => (&self.shared.http1, false),
            },
        }
    }

    /// The pool of connections that drive themselves on the request's task, for an HTTP/1.1
    /// exchange through `choice`.
    fn h1_pool<'a>(&'a self, choice: &'a ClientChoice) -> Option<&'a H1Pool> {
        let options = &self.shared.options.client;
        match choice {
            ClientChoice::Shared => Some(&self.shared.h1),
            ClientChoice::Tls(tls) => Some(tls.h1_pool(options)),
            ClientChoice::Backend(runtime) => match &**runtime {
                BackendRuntime::Static(s) => match &s.tls {
                    Some(tls) => Some(tls.h1_pool(options)),
                    None => Some(&self.shared.h1),
                },
                BackendRuntime::Lambda(_) => None,
                BackendRuntime::Unusable(_) => Some(&self.shared.h1),
            },
        }
    }

    /// Sends a routed request upstream, turns the outcome into the client's response and
    /// counts its status. `gateway` is held until the response is ready (the server passes a
    /// guard that counts the request as in flight until then).
    ///
    /// The common exchange (plain HTTP/1.1 through the pool) is awaited right here rather than
    /// in a nested `async fn`: every level of nesting keeps its own copy of its arguments and
    /// is built, then moved into its parent, on every request. For the same reason this is an
    /// `async` block whose captures are used where they lie, not an `async fn` (which first
    /// moves each argument into a local of its own). The rare paths are boxed so that they do
    /// not make this future larger.
    pub(crate) fn forward<G>(
        gateway: G,
        forwarding: Forwarding,
    ) -> impl Future<Output = Response<ProxyBody>> + Send
    where
        G: std::ops::Deref<Target = Gateway> + Send,
    {
        let Forwarding {
            forward:
                Forward {
                    upstream,
                    timeout,
                    response_headers,
                    mirrors,
                },
            mut request,
            upgrade,
        } = forwarding;
        async move {
            let this: &Gateway = &gateway;
            if !mirrors.is_empty() {
                let original = std::mem::replace(&mut request, Request::new(body::empty()));
                request = match Box::pin(this.send_mirrors(original, mirrors)).await {
                    Ok(request) => request,
                    Err(fault) => return this.finish(Err(fault), &response_headers),
                };
            }
            let result = match upstream {
                Upstream::Http(http) => {
                    let upgrading = http.protocol == UpstreamProtocol::Websocket
                        && wants_upgrade(request.headers())
                        && upgrade.is_some();
                    strip_hop_by_hop(request.headers_mut(), upgrading);
                    let pool = (!upgrading
                        && !http.protocol.is_http2()
                        && request.method() != http::Method::CONNECT)
                        .then(|| this.h1_pool(&http.client))
                        .flatten();
                    match pool {
                        Some(pool) => match origin_request(&mut request) {
                            Err(fault) => Err(fault),
                            // One `send` future per branch: created before the `match`, it
                            // would sit in this future next to the `Timeout` that holds a copy
                            // of it.
                            Ok(()) => match timeout {
                                Some(limit) => {
                                    tokio::time::timeout(limit, pool.send(&http.authority, request))
                                        .await
                                        .unwrap_or_else(|_| Err(Fault::Timeout))
                                }
                                None => pool.send(&http.authority, request).await,
                            }
                            .map(|response| relay_response(response, false)),
                        },
                        None => {
                            Box::pin(this.forward_other(http, request, timeout, upgrade, upgrading))
                                .await
                        }
                    }
                }
                Upstream::Lambda(runtime) => {
                    Box::pin(crate::lambda::invoke(this, &runtime, request, timeout)).await
                }
            };
            this.finish(result, &response_headers)
        }
    }

    /// The client's response to a forwarded request, counted.
    fn finish(
        &self,
        result: Result<Response<ProxyBody>, Fault>,
        response_headers: &filters::ResponseHeaders,
    ) -> Response<ProxyBody> {
        let response = match result {
            Ok(mut response) => {
                self.shared.counters.record_forwarded();
                filters::apply_response_headers(response_headers, response.headers_mut());
                response
            }
            Err(fault) => self.fault_response(fault),
        };
        self.shared.counters.record_status(response.status());
        response
    }

    pub(crate) async fn send_upstream(
        &self,
        choice: &ClientChoice,
        protocol: UpstreamProtocol,
        authority: Authority,
        mut request: Request<ProxyBody>,
        timeout: Option<Duration>,
    ) -> Result<Response<Incoming>, Fault> {
        let (client, tls) = self.client(choice, protocol);
        target_request(&mut request, authority, tls, protocol)?;
        upstream::send(client, request, timeout).await
    }

    /// HTTP/2, h2c, WebSocket upgrades and `CONNECT`: hyper-util's pooled client. The request's
    /// hop-by-hop headers are already stripped.
    async fn forward_other(
        &self,
        upstream: HttpUpstream,
        request: Request<ProxyBody>,
        timeout: Option<Duration>,
        client_upgrade: Option<hyper::upgrade::OnUpgrade>,
        upgrading: bool,
    ) -> Result<Response<ProxyBody>, Fault> {
        let mut response = self
            .send_upstream(
                &upstream.client,
                upstream.protocol,
                upstream.authority,
                request,
                timeout,
            )
            .await?;
        if upgrading && response.status() == StatusCode::SWITCHING_PROTOCOLS {
            let upstream_upgrade = hyper::upgrade::on(&mut response);
            if let Some(client_upgrade) = client_upgrade {
                tokio::spawn(splice_upgraded(client_upgrade, upstream_upgrade));
            }
        }
        Ok(relay_response(response, upgrading))
    }

    /// Buffers the body once, then fires each mirror without waiting for it.
    async fn send_mirrors(
        &self,
        request: Request<ProxyBody>,
        mirrors: Vec<(Mirror, Upstream)>,
    ) -> Result<Request<ProxyBody>, Fault> {
        let (parts, body) = request.into_parts();
        let bytes = collect_body(body).await?;
        for (mirror, upstream) in mirrors {
            if !mirror.fires(&*self.shared.options.random) {
                continue;
            }
            let Upstream::Http(http) = upstream else {
                continue;
            };
            let mut copy = Request::from_parts(parts.clone(), body::full(bytes.clone()));
            filters::mark_shadow(&mut copy);
            strip_hop_by_hop(copy.headers_mut(), false);
            let gateway = self.clone();
            self.shared
                .counters
                .mirrors_sent
                .fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let sent = gateway
                    .send_upstream(&http.client, http.protocol, http.authority, copy, None)
                    .await;
                match sent {
                    // Drain the body so the pooled connection can be reused.
                    Ok(response) => {
                        let _ = response.into_body().collect().await;
                    }
                    Err(fault) => {
                        gateway
                            .shared
                            .counters
                            .mirrors_failed
                            .fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(%fault, "mirror failed");
                    }
                }
            });
        }
        Ok(Request::from_parts(parts, body::full(bytes)))
    }

    pub(crate) fn credentials(&self) -> &dyn CredentialsProvider {
        &*self.shared.credentials
    }
}

/// Reads a whole body, mapping the size limit to 413.
pub(crate) async fn collect_body(body: ProxyBody) -> Result<Bytes, Fault> {
    body.collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                Fault::BodyTooLarge
            } else {
                Fault::ClientBody(error.to_string())
            }
        })
}

async fn splice_upgraded(client: hyper::upgrade::OnUpgrade, upstream: hyper::upgrade::OnUpgrade) {
    let (client, upstream) = match tokio::try_join!(client, upstream) {
        Ok(pair) => pair,
        Err(error) => {
            tracing::debug!(%error, "upgrade failed");
            return;
        }
    };
    let mut client = hyper_util::rt::TokioIo::new(client);
    let mut upstream = hyper_util::rt::TokioIo::new(upstream);
    if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
        tracing::debug!(%error, "upgraded connection ended");
    }
}

/// The time allowed for the response head: the smaller of `request` and `backendRequest`;
/// a zero duration disables a timeout (Gateway API).
fn rule_timeout(
    timeouts: Option<&kgw_api::gateway::httproute::HttpRouteTimeouts>,
) -> Option<Duration> {
    let timeouts = timeouts?;
    [
        timeouts.request.as_deref(),
        timeouts.backend_request.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter_map(kgw_api::gateway::common::parse_duration)
    .filter(|d| !d.is_zero())
    .min()
}

/// A backend to send to: a routed backendRef or a mirror's.
#[derive(Clone, Copy, Debug)]
pub(crate) enum UpstreamRef<'a> {
    /// A Service port.
    Service {
        namespace: &'a str,
        name: &'a str,
        port: i32,
        service: Option<&'a kgw_api::k8s::Service>,
    },
    /// A kgateway Backend.
    Backend { namespace: &'a str, name: &'a str },
}

impl<'a> From<Target<'a>> for UpstreamRef<'a> {
    fn from(target: Target<'a>) -> Self {
        match target {
            Target::Service {
                namespace,
                name,
                port,
                service,
            } => Self::Service {
                namespace,
                name,
                port,
                service,
            },
            Target::Backend {
                namespace, name, ..
            } => Self::Backend { namespace, name },
        }
    }
}

/// What [`Gateway::route`] decided.
pub(crate) enum Routed<B> {
    /// No route matched, and the caller asked for such requests back.
    Unmatched(Request<B>),
    /// Answered without forwarding (no route, redirect, fault, …).
    Respond(Response<ProxyBody>),
    /// To be sent upstream by [`Gateway::forward`].
    Forward(Forwarding),
}

/// A routed request on its way upstream.
pub(crate) struct Forwarding {
    forward: Forward,
    request: Request<ProxyBody>,
    upgrade: Option<hyper::upgrade::OnUpgrade>,
}

enum Plan {
    NoRoute,
    Respond(Response<ProxyBody>),
    Fault(Fault),
    Forward(Forward),
}

struct Forward {
    upstream: Upstream,
    timeout: Option<Duration>,
    response_headers: filters::ResponseHeaders,
    mirrors: Vec<(Mirror, Upstream)>,
}

pub(crate) enum Upstream {
    Http(HttpUpstream),
    Lambda(Arc<BackendRuntime>),
}

pub(crate) struct HttpUpstream {
    authority: Authority,
    protocol: UpstreamProtocol,
    client: ClientChoice,
}

/// Which pooled client carries a request.
pub(crate) enum ClientChoice {
    /// The gateway's plaintext clients (HTTP/1.1 or h2c).
    Shared,
    /// A Service's BackendConfigPolicy TLS.
    Tls(Arc<crate::table::TlsClient>),
    /// The Backend's own TLS (static hosts or Lambda).
    Backend(Arc<BackendRuntime>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_timeout_takes_the_smaller_non_zero() {
        let timeouts = kgw_api::gateway::httproute::HttpRouteTimeouts {
            request: Some("10s".into()),
            backend_request: Some("2s".into()),
        };
        assert_eq!(rule_timeout(Some(&timeouts)), Some(Duration::from_secs(2)));
        let timeouts = kgw_api::gateway::httproute::HttpRouteTimeouts {
            request: Some("0s".into()),
            backend_request: None,
        };
        assert_eq!(rule_timeout(Some(&timeouts)), None);
        assert_eq!(rule_timeout(None), None);
    }
}
