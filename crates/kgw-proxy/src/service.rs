//! The gateway as a tower `Service`, and a `Layer` that routes what the gateway's routes match
//! and hands everything else to the inner service.

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};

use crate::body::{BoxError, ProxyBody};
use crate::gateway::{ConnectionInfo, Gateway};

/// Per-request connection facts for [`GatewayService`]: put a [`ConnectionInfo`] in the
/// request's extensions, or the service's defaults apply (its listener port, remote
/// `0.0.0.0:0`).
fn connection_info<B>(request: &Request<B>, default_port: u16) -> ConnectionInfo {
    request
        .extensions()
        .get::<ConnectionInfo>()
        .copied()
        .unwrap_or(ConnectionInfo {
            port: default_port,
            remote: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        })
}

/// A tower `Service` that routes every request through the gateway (404 when no route
/// matches). `port` is the Gateway listener port the requests count as arriving on.
#[derive(Clone, Debug)]
pub struct GatewayService {
    gateway: Gateway,
    port: u16,
}

impl GatewayService {
    /// A service routing as if requests arrived on listener port `port`.
    pub fn new(gateway: Gateway, port: u16) -> Self {
        Self { gateway, port }
    }
}

impl<B> tower::Service<Request<B>> for GatewayService
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let gateway = self.gateway.clone();
        let info = connection_info(&request, self.port);
        Box::pin(async move { Ok(gateway.handle(request, info).await) })
    }
}

/// A tower `Layer`: requests that match one of the gateway's routes are handled by the
/// gateway; the rest go, untouched, to the inner service.
#[derive(Clone, Debug)]
pub struct GatewayLayer {
    gateway: Gateway,
    port: u16,
}

impl GatewayLayer {
    /// Routes as if requests arrived on listener port `port`.
    pub fn new(gateway: Gateway, port: u16) -> Self {
        Self { gateway, port }
    }
}

impl<S> tower::Layer<S> for GatewayLayer {
    type Service = GatewayOr<S>;

    fn layer(&self, inner: S) -> GatewayOr<S> {
        GatewayOr {
            gateway: self.gateway.clone(),
            port: self.port,
            inner,
        }
    }
}

/// The service [`GatewayLayer`] builds.
#[derive(Clone, Debug)]
pub struct GatewayOr<S> {
    gateway: Gateway,
    port: u16,
    inner: S,
}

impl<S, B> tower::Service<Request<B>> for GatewayOr<S>
where
    S: tower::Service<Request<B>, Response = Response<ProxyBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send,
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<ProxyBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let gateway = self.gateway.clone();
        let info = connection_info(&request, self.port);
        // The inner service was driven to readiness; take it and leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            match gateway.handle_matched(request, info).await {
                Ok(response) => Ok(response),
                Err(unmatched) => inner.call(unmatched).await,
            }
        })
    }
}
