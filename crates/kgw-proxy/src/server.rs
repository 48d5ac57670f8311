//! The hyper server runner: one accept loop per Gateway listener, request limits, graceful
//! shutdown that drains in-flight requests, and optionally dedicated worker threads with one
//! single-threaded runtime each ([`ServerOptions::worker_threads`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::body::ProxyBody;
use crate::fault::status_response;
use crate::gateway::{ConnectionInfo, Gateway, Routed};
use crate::head_timeout::{BusyGuard, ConnectionClock, GuardedBody, HeadTimeouts};

/// Limits and timeouts of the downstream (client-facing) side.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Time allowed for a client to send a complete request head (slowloris protection), and
    /// for a keep-alive connection to start its next one. Enforced on a coarse clock for
    /// HTTP/1: to within a tenth of the timeout (at most 1 s) either way.
    pub header_read_timeout: Duration,
    /// Largest request head accepted, in bytes (HTTP/1 read buffer; at least 8192).
    pub max_header_bytes: usize,
    /// Most header fields accepted in one request.
    pub max_headers: usize,
    /// Largest request body accepted, in bytes; larger bodies answer 413.
    pub max_request_body_bytes: u64,
    /// How long shutdown waits for in-flight requests before closing connections anyway.
    pub drain_timeout: Duration,
    /// Dedicated server threads. `None` (the default): connections are served on the runtime
    /// that runs [`BoundServer::serve`]. `Some(n)`: `serve` starts `n` threads, each running
    /// its own single-threaded tokio runtime (one event loop per core, as nginx runs one per
    /// worker process), and hands accepted connections to them in turn; everything a
    /// connection's requests do — routing, the upstream exchange, relaying the response, the
    /// pooled upstream connections they use — then stays on that thread, with no wake-ups
    /// across threads. Accepting, reloading and the metrics endpoint stay on the caller's
    /// runtime.
    pub worker_threads: Option<NonZeroUsize>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            max_request_body_bytes: 16 * 1024 * 1024,
            drain_timeout: Duration::from_secs(30),
            worker_threads: None,
        }
    }
}

/// One Gateway listener to serve: `port` is the listener's port in the Gateway spec (it selects
/// the listener when routing); `addr` is where to bind (port 0 picks a free one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerSpec {
    /// The Gateway listener port.
    pub port: u16,
    /// The local address to bind.
    pub addr: SocketAddr,
}

/// Listeners bound and ready to serve.
#[derive(Debug)]
pub struct BoundServer {
    gateway: Gateway,
    listeners: Vec<(u16, TcpListener)>,
}

impl Gateway {
    /// Binds every listener; nothing is accepted until [`BoundServer::serve`].
    pub async fn bind(&self, listeners: &[ListenerSpec]) -> io::Result<BoundServer> {
        let mut bound = Vec::with_capacity(listeners.len());
        for spec in listeners {
            let listener = TcpListener::bind(spec.addr).await.map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("bind {} for listener port {}: {e}", spec.addr, spec.port),
                )
            })?;
            bound.push((spec.port, listener));
        }
        Ok(BoundServer {
            gateway: self.clone(),
            listeners: bound,
        })
    }

    /// Binds `listeners` and serves until `shutdown` completes, then drains.
    pub async fn serve(
        &self,
        listeners: &[ListenerSpec],
        shutdown: impl Future<Output = ()> + Send,
    ) -> io::Result<()> {
        self.bind(listeners).await?.serve(shutdown).await;
        Ok(())
    }
}

impl BoundServer {
    /// The Gateway listener port and the local address of every bound listener.
    pub fn local_addrs(&self) -> Vec<(u16, SocketAddr)> {
        self.listeners
            .iter()
            .filter_map(|(port, listener)| Some((*port, listener.local_addr().ok()?)))
            .collect()
    }

    /// Accepts connections until `shutdown` completes; then stops accepting, lets in-flight
    /// requests finish (HTTP/1 connections close after their current response, HTTP/2 gets
    /// GOAWAY) for at most `drain_timeout`, and returns. With
    /// [`ServerOptions::worker_threads`], the worker threads have ended when this returns.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send) {
        let options = self.gateway.server_options().clone();
        let connections = Connections::new(self.gateway.clone(), &options);
        // In a set of its own so that it ends with this future, even one dropped half-way.
        let mut sweeper = tokio::task::JoinSet::new();
        sweeper.spawn(Arc::clone(&connections.head_timeouts).sweep());
        let workers = options
            .worker_threads
            .map(|threads| Workers::start(threads, &connections));
        let drain = Drain::new();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut accept_loops = tokio::task::JoinSet::new();
        for (port, listener) in self.listeners {
            let connections = connections.clone();
            let drain = drain.clone();
            let workers = workers.as_ref().map(Workers::senders);
            let mut stop = stop_rx.clone();
            accept_loops.spawn(async move {
                let mut next = 0_usize;
                loop {
                    let accepted = tokio::select! {
                        _ = stop.changed() => break,
                        accepted = listener.accept() => accepted,
                    };
                    let (stream, remote) = match accepted {
                        Ok(pair) => pair,
                        Err(error) => {
                            // Out of file descriptors and the like: back off instead of spinning.
                            tracing::warn!(%error, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let info = ConnectionInfo { port, remote };
                    let watcher = drain.watcher();
                    let Some(senders) = workers.as_deref().filter(|s| !s.is_empty()) else {
                        connections.spawn(stream, info, watcher);
                        continue;
                    };
                    next = next.wrapping_add(1);
                    let sender = &senders[next % senders.len()];
                    // The stream moves to the worker's runtime: deregistered here, registered
                    // there.
                    match stream.into_std() {
                        Ok(stream) => {
                            if let Err(mpsc::error::SendError((stream, info, watcher))) =
                                sender.send((stream, info, watcher))
                            {
                                // The worker is gone (its runtime failed to start): serve here.
                                match TcpStream::from_std(stream) {
                                    Ok(stream) => connections.spawn(stream, info, watcher),
                                    Err(error) => {
                                        tracing::debug!(%remote, %error, "connection dropped");
                                    }
                                }
                            }
                        }
                        Err(error) => tracing::debug!(%remote, %error, "connection dropped"),
                    }
                }
            });
        }
        shutdown.await;
        let _ = stop_tx.send(true);
        while accept_loops.join_next().await.is_some() {}
        tracing::info!("shutting down: draining in-flight requests");
        if tokio::time::timeout(options.drain_timeout, drain.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("drain timeout reached; closing remaining connections");
        }
        if let Some(workers) = workers {
            workers.stop().await;
        }
        sweeper.abort_all();
    }
}

/// An accepted connection on its way to a worker thread.
type Handoff = (std::net::TcpStream, ConnectionInfo, Watcher);

/// The first bytes of every HTTP/2 connection with prior knowledge (RFC 9113 §3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Which protocol a new connection speaks, judged from the bytes it sent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    /// Anything that is not (the start of) the HTTP/2 preface, end of stream included:
    /// served by hyper's HTTP/1 server directly.
    Http1,
    /// The HTTP/2 preface, or only part of it so far: hyper-util's `auto` server reads on and
    /// decides.
    Auto,
}

/// Peeks at the first bytes of `stream` (nothing is consumed) to choose the server.
async fn sniff(stream: &TcpStream) -> io::Result<Sniffed> {
    let mut first = [0_u8; H2_PREFACE.len()];
    let read = stream.peek(&mut first).await?;
    // `peek` returns at most `first.len()` bytes.
    let seen = first.get(..read).unwrap_or_default();
    Ok(if !seen.is_empty() && H2_PREFACE.starts_with(seen) {
        Sniffed::Auto
    } else {
        Sniffed::Http1
    })
}

/// What serving one connection needs, on whichever runtime serves it.
#[derive(Clone)]
struct Connections {
    gateway: Gateway,
    /// HTTP/1 connections (every one that does not start with the HTTP/2 preface).
    http1: http1::Builder,
    /// HTTP/2 with prior knowledge (h2c), and the rare client whose first packet holds only part
    /// of the preface.
    auto: auto::Builder<TokioExecutor>,
    /// The header read timeout: for every connection's first bytes, and for HTTP/1 request
    /// heads (hyper's own is off for them).
    head_timeouts: Arc<HeadTimeouts>,
}

impl Connections {
    fn new(gateway: Gateway, options: &ServerOptions) -> Self {
        let mut http1 = http1::Builder::new();
        http1
            .header_read_timeout(None)
            .max_buf_size(options.max_header_bytes.max(8192))
            .max_headers(options.max_headers);
        let mut auto = auto::Builder::new(TokioExecutor::new());
        auto.http1()
            .timer(TokioTimer::new())
            .header_read_timeout(options.header_read_timeout)
            .max_buf_size(options.max_header_bytes.max(8192))
            .max_headers(options.max_headers);
        auto.http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(options.max_header_bytes).unwrap_or(u32::MAX));
        Self {
            gateway,
            http1,
            auto,
            head_timeouts: HeadTimeouts::new(options.header_read_timeout),
        }
    }

    /// Serves `stream` on a task of the current runtime.
    fn spawn(&self, stream: TcpStream, info: ConnectionInfo, watcher: Watcher) {
        let connections = self.clone();
        tokio::spawn(async move {
            let remote = info.remote;
            // The client has `header_read_timeout` to send its first bytes, as for every
            // request head after them; a shutdown meanwhile closes the connection.
            let sniffed = tokio::select! {
                biased;
                () = watcher.stopped() => return,
                sniffed = tokio::time::timeout(connections.head_timeouts.timeout(), sniff(&stream)) => sniffed,
            };
            let mut service = connections.gateway.connection_service(info);
            let io = TokioIo::new(stream);
            // `None`: the header read timeout ended it, before its first bytes or later.
            let result = match sniffed {
                Ok(Ok(Sniffed::Http1)) => {
                    let clock = connections.head_timeouts.register();
                    service.clock = Some(Arc::clone(&clock));
                    let connection = connections
                        .http1
                        .serve_connection(io, service)
                        .with_upgrades();
                    (watcher.watch(connection, Some(&clock)).await)
                        .map(|result| result.map_err(|error| crate::fault::error_chain(&error)))
                }
                Ok(Ok(Sniffed::Auto)) => {
                    let connection = connections.auto.serve_connection_with_upgrades(io, service);
                    (watcher.watch(connection, None).await)
                        .map(|result| result.map_err(|error| crate::fault::error_chain(&*error)))
                }
                Ok(Err(error)) => Some(Err(error.to_string())),
                Err(_) => None,
            }
            .unwrap_or_else(|| Err("no request head within the header read timeout".to_owned()));
            if let Err(error) = result {
                tracing::debug!(%remote, %error, "connection ended with an error");
            }
        });
    }
}

/// A server connection that can be asked to finish its current exchange and close.
trait GracefulConnection: Future {
    fn start_shutdown(self: Pin<&mut Self>);
}

impl<I, S> GracefulConnection for hyper::server::conn::http1::UpgradeableConnection<I, S>
where
    S: hyper::service::HttpService<Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn start_shutdown(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<I, S, B> GracefulConnection for auto::UpgradeableConnection<'_, I, S, TokioExecutor>
where
    S: hyper::service::Service<http::Request<Incoming>, Response = http::Response<B>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: Send + 'static,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn start_shutdown(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// Graceful shutdown for all connections of a server, on any number of runtimes: counts the
/// live connections, tells them to finish, and waits until they have.
///
/// hyper-util's `GracefulShutdown` polls a shared `watch` channel on every wake-up of every
/// connection, which locks a mutex shared by all worker threads; here a connection registers its
/// task once and afterwards only reads an atomic flag, until the flag is set.
#[derive(Clone)]
struct Drain {
    inner: Arc<DrainState>,
}

struct DrainState {
    /// Set once, when shutdown starts.
    stopping: AtomicBool,
    /// Woken when shutdown starts.
    stop: Notify,
    /// Connections not yet ended.
    live: AtomicUsize,
    /// Woken when the last live connection ends after shutdown started.
    drained: Notify,
}

impl Drain {
    fn new() -> Self {
        Self {
            inner: Arc::new(DrainState {
                stopping: AtomicBool::new(false),
                stop: Notify::new(),
                live: AtomicUsize::new(0),
                drained: Notify::new(),
            }),
        }
    }

    /// A handle for one new connection; the connection counts as live until it is dropped.
    fn watcher(&self) -> Watcher {
        self.inner.live.fetch_add(1, Ordering::AcqRel);
        Watcher {
            inner: self.inner.clone(),
        }
    }

    /// Tells every connection to finish and waits until all have ended.
    async fn shutdown(&self) {
        let state = &*self.inner;
        let drained = state.drained.notified();
        tokio::pin!(drained);
        // Registered before the count is read, so the last connection's wake-up is not missed.
        drained.as_mut().enable();
        // SeqCst here and in `Watcher::drop`: either this load sees the last connection gone, or
        // that connection's drop sees the flag and wakes `drained`.
        state.stopping.store(true, Ordering::SeqCst);
        state.stop.notify_waiters();
        if state.live.load(Ordering::SeqCst) == 0 {
            return;
        }
        drained.await;
    }
}

/// One connection's handle on its server's [`Drain`].
struct Watcher {
    inner: Arc<DrainState>,
}

impl Watcher {
    fn stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::Acquire)
    }

    /// Completes once shutdown has started.
    async fn stopped(&self) {
        let notified = self.inner.stop.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.stopping() {
            return;
        }
        notified.await;
    }

    /// Runs `connection` to its end, asking it to finish once shutdown starts; `None` when it
    /// was closed because its `clock` expired (no request head within the header read
    /// timeout).
    async fn watch<C: GracefulConnection>(
        &self,
        connection: C,
        clock: Option<&ConnectionClock>,
    ) -> Option<C::Output> {
        let notified = self.inner.stop.notified();
        let mut notified = std::pin::pin!(notified);
        let mut connection = std::pin::pin!(connection);
        let mut registered = false;
        let mut clock_registered = false;
        let mut shutting_down = false;
        std::future::poll_fn(|cx| {
            if clock.is_some_and(|clock| clock.expired(cx, &mut clock_registered)) {
                return std::task::Poll::Ready(None);
            }
            if !shutting_down {
                // The first poll registers this task's waker with `stop`; it stays registered
                // (a task's waker wakes that task wherever it runs), so later polls only read
                // the flag.
                let stop = if registered {
                    self.stopping()
                } else {
                    registered = true;
                    notified.as_mut().poll(cx).is_ready() || self.stopping()
                };
                if stop {
                    shutting_down = true;
                    connection.as_mut().start_shutdown();
                }
            }
            connection.as_mut().poll(cx).map(Some)
        })
        .await
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if self.inner.live.fetch_sub(1, Ordering::SeqCst) == 1
            && self.inner.stopping.load(Ordering::SeqCst)
        {
            self.inner.drained.notify_waiters();
        }
    }
}

/// Worker threads, each with a single-threaded runtime serving the connections handed to it.
struct Workers {
    senders: std::sync::Arc<[mpsc::UnboundedSender<Handoff>]>,
    done: Vec<oneshot::Receiver<()>>,
}

impl Workers {
    fn start(threads: NonZeroUsize, connections: &Connections) -> Self {
        let mut senders = Vec::with_capacity(threads.get());
        let mut done = Vec::with_capacity(threads.get());
        for index in 0..threads.get() {
            let (sender, mut receiver) = mpsc::unbounded_channel::<Handoff>();
            let (done_tx, done_rx) = oneshot::channel();
            let connections = connections.clone();
            let started = std::thread::Builder::new()
                .name(format!("kgw-worker-{index}"))
                .spawn(move || {
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => runtime,
                        Err(error) => {
                            tracing::error!(%error, "cannot start a worker runtime");
                            return;
                        }
                    };
                    runtime.block_on(async move {
                        while let Some((stream, info, watcher)) = receiver.recv().await {
                            match TcpStream::from_std(stream) {
                                Ok(stream) => connections.spawn(stream, info, watcher),
                                Err(error) => {
                                    tracing::debug!(remote = %info.remote, %error, "connection dropped");
                                }
                            }
                        }
                    });
                    // Dropping the runtime closes the connections still open after the drain.
                    drop(runtime);
                    let _ = done_tx.send(());
                });
            match started {
                Ok(_) => {
                    senders.push(sender);
                    done.push(done_rx);
                }
                Err(error) => tracing::error!(%error, "cannot start a worker thread"),
            }
        }
        Self {
            senders: senders.into(),
            done,
        }
    }

    fn senders(&self) -> std::sync::Arc<[mpsc::UnboundedSender<Handoff>]> {
        self.senders.clone()
    }

    /// Ends every worker (their remaining connections are closed) and waits for them.
    async fn stop(self) {
        drop(self.senders);
        for done in self.done {
            let _ = done.await;
        }
    }
}

/// A hyper service for one connection. Each request's future holds a reference to this
/// connection's own allocation rather than to the gateway's shared one, whose reference count
/// every worker thread would otherwise update on every request.
#[derive(Clone)]
pub(crate) struct ConnectionService {
    pub(crate) inner: std::sync::Arc<(Gateway, ConnectionInfo)>,
    /// The connection's header read timeout clock (HTTP/1 only): busy from each request's
    /// head until its response body has been written.
    pub(crate) clock: Option<Arc<ConnectionClock>>,
}

impl hyper::service::Service<http::Request<Incoming>> for ConnectionService {
    type Response = http::Response<GuardedBody>;
    type Error = std::convert::Infallible;
    type Future = ResponseFuture;

    /// Routes the request right away (resolution and filters never wait), so that only a
    /// forwarded request gets a future (boxed: hyper's dispatcher wants one type), and that
    /// future starts at the upstream exchange: [`Gateway::handle`]'s chain of nested futures,
    /// each moved into its parent, cost a few KB of copying per request.
    fn call(&self, request: http::Request<Incoming>) -> ResponseFuture {
        let busy = self.clock.as_ref().map(ConnectionClock::busy);
        let (gateway, info) = &*self.inner;
        let counters = gateway.counters();
        counters.count_request();
        let response = match gateway.route(request, *info, false) {
            Routed::Forward(forwarding) => {
                let in_flight = InFlightRequest {
                    inner: self.inner.clone(),
                };
                return ResponseFuture {
                    state: Answer::Forwarding(Box::pin(Gateway::forward(in_flight, forwarding))),
                    busy,
                };
            }
            Routed::Respond(response) => response,
            // Never with `pass_unmatched` false; answered as `Gateway::handle` would.
            Routed::Unmatched(_) => status_response(http::StatusCode::NOT_FOUND),
        };
        counters.record_status(response.status());
        counters.count_finished();
        ResponseFuture {
            state: Answer::Ready(Some(response)),
            busy,
        }
    }
}

/// The response to one request of a connection.
pub(crate) struct ResponseFuture {
    state: Answer,
    /// Handed to the response body, so that the connection stays busy until it is written.
    busy: Option<BusyGuard>,
}

enum Answer {
    /// Answered without forwarding; `None` once taken.
    Ready(Option<http::Response<ProxyBody>>),
    /// On its way upstream.
    Forwarding(Pin<Box<dyn Future<Output = http::Response<ProxyBody>> + Send>>),
}

impl Future for ResponseFuture {
    type Output = Result<http::Response<GuardedBody>, std::convert::Infallible>;

    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.get_mut();
        let response = match &mut this.state {
            Answer::Forwarding(future) => std::task::ready!(future.as_mut().poll(cx)),
            // Polled again after completion (hyper never does): answered with a 500 rather
            // than a panic.
            Answer::Ready(response) => response
                .take()
                .unwrap_or_else(|| status_response(http::StatusCode::INTERNAL_SERVER_ERROR)),
        };
        let busy = this.busy.take();
        std::task::Poll::Ready(Ok(response.map(|body| GuardedBody::new(body, busy))))
    }
}

/// The gateway, for a forwarded request's future, counting the request as in flight until it
/// is dropped: when the response is ready, or when hyper drops the future because the client
/// went away.
struct InFlightRequest {
    inner: std::sync::Arc<(Gateway, ConnectionInfo)>,
}

impl std::ops::Deref for InFlightRequest {
    type Target = Gateway;

    fn deref(&self) -> &Gateway {
        &self.inner.0
    }
}

impl Drop for InFlightRequest {
    fn drop(&mut self) {
        self.inner.0.counters().count_finished();
    }
}
