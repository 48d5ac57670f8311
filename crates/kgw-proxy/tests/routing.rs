//! End-to-end routing through real loopback servers: the docs' scenarios, faults, mirrors.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use http::{Response, StatusCode};
use http_body_util::Full;
use kgw_proxy::GatewayOptions;

fn route(namespace: &str, hostname: &str, backend_ref: &str, extra: &str) -> String {
    format!(
        "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route
  namespace: {namespace}
spec:
  parentRefs:
  - name: http
    namespace: kgateway-system
  hostnames:
    - {hostname}
  rules:
    - backendRefs:
      - {backend_ref}
{extra}"
    )
}

const JSON_BACKEND_REF: &str = "name: json-backend
        kind: Backend
        group: gateway.kgateway.dev";

#[tokio::test]
async fn docs_static_backend_rewrites_the_host() {
    let (upstream_addr, log) = upstream("posts").await;
    let yaml = format!(
        "{}---\n{}",
        static_backend("default", "json-backend", upstream_addr),
        route(
            "default",
            "static.example",
            JSON_BACKEND_REF,
            "      filters:
      - type: URLRewrite
        urlRewrite:
          hostname: jsonplaceholder.typicode.com
"
        )
    );
    let running = start(&yaml, GatewayOptions::default()).await;
    let client = client();
    let (status, body) = get(&client, running.addr, "static.example", "/posts/1?x=1").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "posts"));
    let seen = log.lock().unwrap().pop().unwrap();
    assert_eq!(seen.header("host"), Some("jsonplaceholder.typicode.com"));
    assert!(seen.uri.ends_with("/posts/1?x=1"), "{}", seen.uri);

    // Another host has no route.
    let (status, _) = get(&client, running.addr, "other.example", "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(log.lock().unwrap().len(), 0);
    let metrics = running.gateway.counters().render_prometheus();
    assert!(metrics.contains("kgw_no_route_total 1\n"), "{metrics}");
    running.shutdown().await;
}

fn cross_namespace(addr: std::net::SocketAddr, grant: bool) -> String {
    let mut yaml = format!(
        "\
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: Namespace
metadata:
  name: backends
---
{}---
{}",
        static_backend("backends", "json-backend", addr),
        route(
            "team-a",
            "posts.example",
            "name: json-backend
        namespace: backends
        kind: Backend
        group: gateway.kgateway.dev",
            ""
        )
    );
    if grant {
        yaml.push_str(
            "---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: team-a-to-backends
  namespace: backends
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: team-a
  to:
  - group: gateway.kgateway.dev
    kind: Backend
",
        );
    }
    yaml
}

#[tokio::test]
async fn cross_namespace_needs_a_reference_grant() {
    let (upstream_addr, log) = upstream("ok").await;
    let client = client();

    let granted = start(
        &cross_namespace(upstream_addr, true),
        GatewayOptions::default(),
    )
    .await;
    let (status, _) = get(&client, granted.addr, "posts.example", "/posts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(log.lock().unwrap().len(), 1);
    granted.shutdown().await;

    let refused = start(
        &cross_namespace(upstream_addr, false),
        GatewayOptions::default(),
    )
    .await;
    let (status, _) = get(&client, refused.addr, "posts.example", "/posts").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        log.lock().unwrap().len(),
        1,
        "nothing forwarded without the grant"
    );
    refused.shutdown().await;
}

#[tokio::test]
async fn port_on_a_backend_ref_answers_500() {
    let (upstream_addr, log) = upstream("ok").await;
    let yaml = format!(
        "{}---\n{}",
        static_backend("default", "json-backend", upstream_addr),
        route(
            "default",
            "static.example",
            "name: json-backend
        kind: Backend
        group: gateway.kgateway.dev
        port: 80",
            ""
        )
    );
    let running = start(&yaml, GatewayOptions::default()).await;
    let (status, _) = get(&client(), running.addr, "static.example", "/").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(log.lock().unwrap().is_empty());
    running.shutdown().await;
}

async fn fault_status(backend_addr: std::net::SocketAddr, extra: &str) -> (StatusCode, Duration) {
    let yaml = format!(
        "{}---\n{}",
        static_backend("default", "json-backend", backend_addr),
        route("default", "static.example", JSON_BACKEND_REF, extra)
    );
    let running = start(&yaml, GatewayOptions::default()).await;
    let started = Instant::now();
    let (status, _) = get(&client(), running.addr, "static.example", "/").await;
    let elapsed = started.elapsed();
    running.shutdown().await;
    (status, elapsed)
}

#[tokio::test]
async fn connect_refused_answers_503() {
    let port = closed_port().await;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    assert_eq!(
        fault_status(addr, "").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn malformed_or_reset_upstream_answers_502() {
    let garbage = raw_upstream(b"this is not http\r\n\r\n").await;
    assert_eq!(fault_status(garbage, "").await.0, StatusCode::BAD_GATEWAY);
    let reset = raw_upstream(b"").await;
    assert_eq!(fault_status(reset, "").await.0, StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn rule_timeout_answers_504() {
    let (slow, _) = upstream_with(
        Duration::from_secs(3),
        Arc::new(|_| Response::new(Full::new(Bytes::from_static(b"late")))),
    )
    .await;
    let (status, elapsed) = fault_status(slow, "      timeouts:\n        request: 200ms\n").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn invalid_backend_answers_500() {
    let yaml = format!(
        "\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: json-backend
  namespace: default
spec:
  static:
    hosts:
      - host: 127.0.0.1
        port: 0
---
{}",
        route("default", "static.example", JSON_BACKEND_REF, "")
    );
    let running = start(&yaml, GatewayOptions::default()).await;
    let (status, _) = get(&client(), running.addr, "static.example", "/").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    running.shutdown().await;
}

#[tokio::test]
async fn mirrors_are_fire_and_forget() {
    let (main_addr, main_log) = upstream("main").await;
    // The mirror takes seconds to answer: the client must not wait for it.
    let (mirror_addr, mirror_log) = upstream_with(
        Duration::from_secs(5),
        Arc::new(|_| Response::new(Full::new(Bytes::from_static(b"mirror")))),
    )
    .await;
    let yaml = format!(
        "{}---\n{}---\n{}",
        static_backend("default", "json-backend", main_addr),
        static_backend("default", "mirror-backend", mirror_addr),
        route(
            "default",
            "static.example",
            JSON_BACKEND_REF,
            "      filters:
      - type: RequestMirror
        requestMirror:
          backendRef:
            name: mirror-backend
            kind: Backend
            group: gateway.kgateway.dev
"
        )
    );
    let running = start(&yaml, GatewayOptions::default()).await;
    let started = Instant::now();
    let (status, _, body) = send(
        &client(),
        running.addr,
        "POST",
        "static.example",
        "/orders",
        "{\"id\":1}",
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "main"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(main_log.lock().unwrap()[0].body, "{\"id\":1}");
    // The copy arrives (with the body and Envoy's `-shadow` host) while the answer is pending.
    let deadline = Instant::now() + Duration::from_secs(3);
    while mirror_log.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let copy = mirror_log.lock().unwrap()[0].clone();
    assert_eq!(copy.body, "{\"id\":1}");
    assert_eq!(copy.header("host"), Some("static.example-shadow"));
    assert_eq!(
        running
            .gateway
            .counters()
            .mirrors_sent
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    running.shutdown().await;
}

#[tokio::test]
async fn request_limits_and_slow_clients() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (upstream_addr, _) = upstream("ok").await;
    let yaml = format!(
        "{}---\n{}",
        static_backend("default", "json-backend", upstream_addr),
        route("default", "static.example", JSON_BACKEND_REF, "")
    );
    let mut options = GatewayOptions::default();
    options.server.max_request_body_bytes = 8;
    options.server.header_read_timeout = Duration::from_millis(200);
    let running = start(&yaml, options).await;
    let client = client();
    let (status, _, _) = send(
        &client,
        running.addr,
        "POST",
        "static.example",
        "/",
        "0123456789",
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, _) = send(&client, running.addr, "POST", "static.example", "/", "0123").await;
    assert_eq!(status, StatusCode::OK);

    // A client that never finishes its head is cut off after the header read timeout.
    let mut slow = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: static.example\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), slow.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "connection still open after the header read timeout"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests() {
    let (slow, _) = upstream_with(
        Duration::from_millis(500),
        Arc::new(|_| Response::new(Full::new(Bytes::from_static(b"done")))),
    )
    .await;
    let yaml = format!(
        "{}---\n{}",
        static_backend("default", "json-backend", slow),
        route("default", "static.example", JSON_BACKEND_REF, "")
    );
    let running = start(&yaml, GatewayOptions::default()).await;
    let addr = running.addr;
    let in_flight = tokio::spawn(async move { get(&client(), addr, "static.example", "/").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    running.shutdown().await;
    let (status, body) = in_flight.await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "done"));
    // New connections are refused once shut down.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn h2c_and_websocket_app_protocols() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (h2_addr, h2_log) = upstream("h2").await;
    let (ws_addr, _) = upstream_with(
        Duration::ZERO,
        Arc::new(|_| {
            Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header("connection", "upgrade")
                .header("upgrade", "websocket")
                .body(Full::new(Bytes::new()))
                .unwrap()
        }),
    )
    .await;
    let with_protocol = |yaml: String, protocol: &str| {
        yaml.replace(
            "  static:\n",
            &format!("  static:\n    appProtocol: {protocol}\n"),
        )
    };
    let yaml = format!(
        "{}---\n{}---\n{}---\n{}",
        with_protocol(
            static_backend("default", "h2-backend", h2_addr),
            "kubernetes.io/h2c"
        ),
        with_protocol(
            static_backend("default", "ws-backend", ws_addr),
            "kubernetes.io/ws"
        ),
        route(
            "default",
            "h2.example",
            "name: h2-backend\n        kind: Backend\n        group: gateway.kgateway.dev",
            ""
        ),
        route(
            "default",
            "ws.example",
            "name: ws-backend\n        kind: Backend\n        group: gateway.kgateway.dev",
            ""
        )
        .replace("name: route", "name: ws-route"),
    );
    let running = start(&yaml, GatewayOptions::default()).await;
    let (status, _) = get(&client(), running.addr, "h2.example", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h2_log.lock().unwrap()[0].version, http::Version::HTTP_2);

    let mut ws = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    ws.write_all(b"GET /chat HTTP/1.1\r\nHost: ws.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        .await
        .unwrap();
    let mut head = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(3), ws.read(&mut head))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket"), "{head}");
    running.shutdown().await;
}
