//! The hyper server runner: one accept loop per Gateway listener, request limits, graceful
//! shutdown that drains in-flight requests, and optionally dedicated worker threads with one
//! single-threaded runtime each ([`ServerOptions::worker_threads`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::gateway::{ConnectionInfo, Gateway};

/// Limits and timeouts of the downstream (client-facing) side.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Time allowed for a client to send a complete request head (slowloris protection).
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
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(options.header_read_timeout)
            .max_buf_size(options.max_header_bytes.max(8192))
            .max_headers(options.max_headers);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(options.max_header_bytes).unwrap_or(u32::MAX));
        let connections = Connections {
            gateway: self.gateway.clone(),
            builder,
        };
        let workers = options
            .worker_threads
            .map(|threads| Workers::start(threads, &connections));
        let graceful = std::sync::Arc::new(GracefulShutdown::new());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut accept_loops = tokio::task::JoinSet::new();
        for (port, listener) in self.listeners {
            let connections = connections.clone();
            let graceful = graceful.clone();
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
                    let watcher = graceful.watcher();
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
        // Every accept loop has ended and dropped its handle, so this is the last one.
        if let Ok(graceful) = std::sync::Arc::try_unwrap(graceful)
            && tokio::time::timeout(options.drain_timeout, graceful.shutdown())
                .await
                .is_err()
        {
            tracing::warn!("drain timeout reached; closing remaining connections");
        }
        if let Some(workers) = workers {
            workers.stop().await;
        }
    }
}

/// An accepted connection on its way to a worker thread.
type Handoff = (std::net::TcpStream, ConnectionInfo, Watcher);

/// What serving one connection needs, on whichever runtime serves it.
#[derive(Clone)]
struct Connections {
    gateway: Gateway,
    builder: auto::Builder<TokioExecutor>,
}

impl Connections {
    /// Serves `stream` on a task of the current runtime.
    fn spawn(&self, stream: TcpStream, info: ConnectionInfo, watcher: Watcher) {
        let service = self.gateway.connection_service(info);
        let connection = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = watcher.watch(connection);
        let remote = info.remote;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%remote, error = %crate::fault::error_chain(&*error), "connection ended with an error");
            }
        });
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
}

impl hyper::service::Service<http::Request<Incoming>> for ConnectionService {
    type Response = http::Response<crate::body::ProxyBody>;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, request: http::Request<Incoming>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move {
            let (gateway, info) = &*inner;
            Ok(gateway.handle(request, *info).await)
        })
    }
}
