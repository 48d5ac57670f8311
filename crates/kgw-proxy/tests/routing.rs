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

/// `static.example` routed to the `json-backend` Backend at `addr`, without filters.
fn json_backend_route(addr: std::net::SocketAddr) -> String {
    format!(
        "{}---\n{}",
        static_backend("default", "json-backend", addr),
        route("default", "static.example", JSON_BACKEND_REF, "")
    )
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
    let yaml = json_backend_route(upstream_addr);
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
async fn clients_speak_http1_or_h2c_and_silent_ones_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (upstream_addr, _) = upstream("ok").await;
    let yaml = json_backend_route(upstream_addr);
    let mut options = GatewayOptions::default();
    options.server.header_read_timeout = Duration::from_millis(300);
    let running = start(&yaml, options).await;

    // HTTP/2 with prior knowledge (h2c); the host travels as `:authority`.
    let stream = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    let (mut h2, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get("http://static.example/")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = h2.send_request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), StatusCode::OK);

    // The preface split over two writes: the server has to read on before it can tell.
    let mut split = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    split.set_nodelay(true).unwrap();
    split.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The rest of the preface and an empty SETTINGS frame; the server answers with its own
    // SETTINGS frame (type 4).
    split
        .write_all(b"\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let mut frame_head = [0_u8; 9];
    tokio::time::timeout(Duration::from_secs(3), split.read_exact(&mut frame_head))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frame_head[3], 4, "{frame_head:?}");
    // Closed here: a graceful shutdown would wait for this client to acknowledge GOAWAY.
    drop(split);

    // An HTTP/1.1 request trickling in byte by byte, starting with the preface's first letter.
    let mut trickle = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    trickle.set_nodelay(true).unwrap();
    for byte in
        b"POST / HTTP/1.1\r\nHost: static.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    {
        trickle.write_all(&[*byte]).await.unwrap();
    }
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), trickle.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // A client that connects and sends nothing is cut off after the header read timeout.
    let mut silent = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), silent.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "silent connection still open after the header read timeout"
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

/// A route in `default` whose rule and backendRef both mirror to a Backend in `shadows`.
fn cross_namespace_mirror(
    main: std::net::SocketAddr,
    mirror: std::net::SocketAddr,
    grant: bool,
) -> String {
    let mirror_filter = |indent: &str| {
        format!(
            "{indent}filters:
{indent}- type: RequestMirror
{indent}  requestMirror:
{indent}    backendRef:
{indent}      name: mirror-backend
{indent}      namespace: shadows
{indent}      kind: Backend
{indent}      group: gateway.kgateway.dev
"
        )
    };
    let mut yaml = format!(
        "\
apiVersion: v1
kind: Namespace
metadata:
  name: shadows
---
{}---
{}---
{}",
        static_backend("default", "json-backend", main),
        static_backend("shadows", "mirror-backend", mirror),
        route(
            "default",
            "static.example",
            &format!("{JSON_BACKEND_REF}\n{}", mirror_filter("        ")),
            &mirror_filter("      "),
        )
    );
    if grant {
        yaml.push_str(
            "---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: default-to-shadows
  namespace: shadows
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: default
  to:
  - group: gateway.kgateway.dev
    kind: Backend
",
        );
    }
    yaml
}

#[tokio::test]
async fn cross_namespace_mirrors_need_a_reference_grant() {
    let (main_addr, main_log) = upstream("main").await;
    let (mirror_addr, mirror_log) = upstream("mirror").await;
    let client = client();

    let refused = start(
        &cross_namespace_mirror(main_addr, mirror_addr, false),
        GatewayOptions::default(),
    )
    .await;
    let (status, body) = get(&client, refused.addr, "static.example", "/orders").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "main"));
    assert_eq!(main_log.lock().unwrap().len(), 1);
    // Mirrors are spawned before the main request is sent: had one fired, it would have
    // arrived by now or within this grace period.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        mirror_log.lock().unwrap().is_empty(),
        "a mirror crossed namespaces without a ReferenceGrant"
    );
    refused.shutdown().await;

    let granted = start(
        &cross_namespace_mirror(main_addr, mirror_addr, true),
        GatewayOptions::default(),
    )
    .await;
    let (status, _) = get(&client, granted.addr, "static.example", "/orders").await;
    assert_eq!(status, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(3);
    while mirror_log.lock().unwrap().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        mirror_log.lock().unwrap().len(),
        2,
        "the rule's and the backendRef's mirror both fire with the grant"
    );
    granted.shutdown().await;
}

/// A WebSocket-ish upstream: answers the upgrade with 101, then echoes every chunk back with
/// an `echo:` prefix over the raw connection.
async fn echo_upgrade_upstream() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n")
                    .await;
                let mut buf = [0u8; 1024];
                loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    let mut reply = b"echo:".to_vec();
                    reply.extend_from_slice(&buf[..n]);
                    if stream.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn websocket_bytes_flow_both_ways_after_the_upgrade() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ws_addr = echo_upgrade_upstream().await;
    let yaml = format!(
        "{}---\n{}",
        static_backend("default", "ws-backend", ws_addr).replace(
            "  static:\n",
            "  static:\n    appProtocol: kubernetes.io/ws\n"
        ),
        route(
            "default",
            "ws.example",
            "name: ws-backend\n        kind: Backend\n        group: gateway.kgateway.dev",
            ""
        ),
    );
    let running = start(&yaml, GatewayOptions::default()).await;
    let mut ws = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    ws.write_all(b"GET /chat HTTP/1.1\r\nHost: ws.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    while !received.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(3), ws.read(&mut buf))
            .await
            .expect("the 101 arrives")
            .unwrap();
        assert!(n > 0, "connection closed before the 101");
        received.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&received).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    for message in ["ping", "second message"] {
        ws.write_all(message.as_bytes()).await.unwrap();
        let mut echoed = Vec::new();
        let expected = format!("echo:{message}");
        while echoed.len() < expected.len() {
            let n = tokio::time::timeout(Duration::from_secs(3), ws.read(&mut buf))
                .await
                .expect("the echo arrives")
                .unwrap();
            assert!(n > 0, "upgraded connection closed");
            echoed.extend_from_slice(&buf[..n]);
        }
        assert_eq!(String::from_utf8_lossy(&echoed), expected);
    }
    drop(ws);
    running.shutdown().await;
}

#[tokio::test]
async fn the_header_read_timeout_spares_slow_responses_and_closes_idle_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // An upstream whose response body trickles in for longer than the header read timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0_u8; 1];
            if stream.read(&mut byte).await.unwrap() == 0 {
                return;
            }
            head.push(byte[0]);
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n")
            .await
            .unwrap();
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            stream.write_all(b"abc").await.unwrap();
        }
        // Kept open: the pool may keep the connection.
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let mut options = GatewayOptions::default();
    options.server.header_read_timeout = Duration::from_millis(200);
    let running = start(&json_backend_route(upstream_addr), options).await;

    let mut client = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: static.example\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0_u8; 1024];
    while !answer.ends_with(b"abcabcabc") {
        let read = tokio::time::timeout(Duration::from_secs(3), client.read(&mut buf))
            .await
            .expect("the response stalled")
            .unwrap();
        assert!(
            read > 0,
            "closed mid-response after {:?}: {}",
            started.elapsed(),
            String::from_utf8_lossy(&answer)
        );
        answer.extend_from_slice(&buf[..read]);
    }
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(started.elapsed() >= Duration::from_millis(400));

    // Now idle, waiting for a next request head that never comes: closed after the timeout.
    let idle = Instant::now();
    let read = tokio::time::timeout(Duration::from_secs(3), client.read(&mut buf))
        .await
        .expect("the idle keep-alive connection was not closed");
    assert_eq!(read.unwrap(), 0);
    assert!(
        idle.elapsed() >= Duration::from_millis(150),
        "{:?}",
        idle.elapsed()
    );
    running.shutdown().await;
}
