//! Loopback servers and a client for the proxy's integration tests.
#![allow(dead_code, clippy::missing_panics_doc)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kgw_api::ObjectKey;
use kgw_api::load::{LoadOptions, load_str};
use kgw_proxy::{Gateway, GatewayOptions, ListenerSpec, Snapshot};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What an upstream received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub version: http::Version,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub type Log = Arc<Mutex<Vec<Seen>>>;

pub type Handler = Arc<dyn Fn(&Seen) -> Response<Full<Bytes>> + Send + Sync>;

/// An HTTP/1.1 + h2c upstream on loopback that records every request and answers with
/// `handler` after `delay`.
pub async fn upstream_with(delay: Duration, handler: Handler) -> (SocketAddr, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Log = Arc::default();
    let seen_log = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let log = seen_log.clone();
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let log = log.clone();
                    let handler = handler.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(http_body_util::Collected::to_bytes)
                            .unwrap_or_default();
                        let seen = Seen {
                            method: parts.method.to_string(),
                            uri: parts.uri.to_string(),
                            version: parts.version,
                            headers: parts.headers,
                            body,
                        };
                        log.lock().unwrap().push(seen.clone());
                        tokio::time::sleep(delay).await;
                        Ok::<_, Infallible>(handler(&seen))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, log)
}

/// An upstream answering 200 with `body`.
pub async fn upstream(body: &'static str) -> (SocketAddr, Log) {
    upstream_with(
        Duration::ZERO,
        Arc::new(move |_| Response::new(Full::new(Bytes::from(body)))),
    )
    .await
}

/// A TCP server that answers every connection with raw `bytes` and closes it.
pub async fn raw_upstream(bytes: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(bytes).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

/// A loopback port with nothing listening.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// The docs' Gateway (`docs/examples/static-backend`): `kgateway-system/http`, one HTTP listener
/// on 8080 open to all namespaces.
pub const GATEWAY: &str = include_str!("../../../../docs/examples/static-backend/gateway.yaml");

pub fn gateway_key() -> ObjectKey {
    ObjectKey::new("kgateway-system", "http")
}

/// Loads `yaml` (plus the docs' Gateway), validates it and builds the snapshot.
pub fn snapshot(yaml: &str, options: &GatewayOptions) -> Snapshot {
    let manifests = format!("{GATEWAY}---\n{yaml}");
    let resources = load_str("test.yaml", &manifests, &LoadOptions::default()).unwrap();
    let report = kgw_validate::validate(&resources, &kgw_validate::Options::default());
    Snapshot::build(&resources, &report, &gateway_key(), &*options.secrets).unwrap()
}

/// A running gateway for `yaml`, listener port 8080 bound on a free loopback port.
pub struct Running {
    pub gateway: Gateway,
    pub addr: SocketAddr,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: tokio::task::JoinHandle<()>,
}

impl Running {
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), self.server)
            .await
            .unwrap()
            .unwrap();
    }
}

pub async fn start(yaml: &str, options: GatewayOptions) -> Running {
    let table = snapshot(yaml, &options);
    start_with(table, options).await
}

pub async fn start_with(table: Snapshot, options: GatewayOptions) -> Running {
    let gateway = Gateway::new(table, options);
    let listeners = [ListenerSpec {
        port: 8080,
        addr: "127.0.0.1:0".parse().unwrap(),
    }];
    let bound = gateway.bind(&listeners).await.unwrap();
    let addr = bound.local_addrs()[0].1;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bound.serve(async move {
        let _ = stopped.await;
    }));
    Running {
        gateway,
        addr,
        stop: Some(stop),
        server,
    }
}

pub type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

pub fn client() -> Client {
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http()
}

/// Sends `method path` with `Host: host` to the gateway; returns status, headers and body.
pub async fn send(
    client: &Client,
    addr: SocketAddr,
    method: &str,
    host: &str,
    path: &str,
    body: &'static str,
) -> (StatusCode, http::HeaderMap, String) {
    let request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("host", host)
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

pub async fn get(
    client: &Client,
    addr: SocketAddr,
    host: &str,
    path: &str,
) -> (StatusCode, String) {
    let (status, _, body) = send(client, addr, "GET", host, path, "").await;
    (status, body)
}

/// A static Backend `name` in `namespace` pointing at `addr`.
pub fn static_backend(namespace: &str, name: &str, addr: SocketAddr) -> String {
    format!(
        "\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: {name}
  namespace: {namespace}
spec:
  type: Static
  static:
    hosts:
      - host: {ip}
        port: {port}
",
        ip = addr.ip(),
        port = addr.port()
    )
}

/// A static Backend `default/app` at `addr` and an HTTPRoute `default/route` (every hostname)
/// that sends everything to it.
pub fn backend_route(addr: SocketAddr) -> String {
    format!(
        "{}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route
  namespace: default
spec:
  parentRefs:
  - name: http
    namespace: kgateway-system
  rules:
    - backendRefs:
      - name: app
        kind: Backend
        group: gateway.kgateway.dev
",
        static_backend("default", "app", addr)
    )
}
