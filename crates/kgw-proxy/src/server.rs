//! The hyper server runner: one accept loop per Gateway listener, request limits, graceful
//! shutdown that drains in-flight requests.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

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
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            max_request_body_bytes: 16 * 1024 * 1024,
            drain_timeout: Duration::from_secs(30),
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
    /// GOAWAY) for at most `drain_timeout`, and returns.
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
        let graceful = std::sync::Arc::new(GracefulShutdown::new());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut accept_loops = tokio::task::JoinSet::new();
        for (port, listener) in self.listeners {
            let gateway = self.gateway.clone();
            let builder = builder.clone();
            let graceful = graceful.clone();
            let mut stop = stop_rx.clone();
            accept_loops.spawn(async move {
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
                    let service = gateway.connection_service(info);
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .into_owned();
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%remote, error = %crate::fault::error_chain(&*error), "connection ended with an error");
                        }
                    });
                }
            });
        }
        shutdown.await;
        let _ = stop_tx.send(true);
        while accept_loops.join_next().await.is_some() {}
        tracing::info!("shutting down: draining in-flight requests");
        // Every accept loop has ended and dropped its handle, so this is the last one.
        let Ok(graceful) = std::sync::Arc::try_unwrap(graceful) else {
            return;
        };
        if tokio::time::timeout(options.drain_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("drain timeout reached; closing remaining connections");
        }
    }
}

/// A hyper service for one connection.
#[derive(Clone)]
pub(crate) struct ConnectionService {
    pub(crate) gateway: Gateway,
    pub(crate) info: ConnectionInfo,
}

impl hyper::service::Service<http::Request<Incoming>> for ConnectionService {
    type Response = http::Response<crate::body::ProxyBody>;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, request: http::Request<Incoming>) -> Self::Future {
        let gateway = self.gateway.clone();
        let info = self.info;
        Box::pin(async move { Ok(gateway.handle(request, info).await) })
    }
}
