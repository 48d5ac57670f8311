//! Upstream connection reuse (the HTTP/1.1 pool driven on the request's task) and the
//! dedicated worker threads of the server runner.

mod common;

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http::{Response, StatusCode};
use http_body_util::Full;
use kgw_proxy::{GatewayOptions, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An HTTP/1.1 upstream that counts the connections it accepts. Responses: `/empty` → 204,
/// `/close` → 200 with `Connection: close`, anything else → 200 `ok`.
async fn counting_upstream() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |request: http::Request<hyper::body::Incoming>| async move {
                        let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
                        match request.uri().path() {
                            "/empty" => {
                                *response.status_mut() = StatusCode::NO_CONTENT;
                                *response.body_mut() = Full::new(Bytes::new());
                            }
                            "/close" => {
                                response.headers_mut().insert(
                                    http::header::CONNECTION,
                                    http::HeaderValue::from_static("close"),
                                );
                            }
                            _ => {}
                        }
                        Ok::<_, std::convert::Infallible>(response)
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn sequential_requests_reuse_one_upstream_connection() {
    let (upstream, accepted) = counting_upstream().await;
    let running = start(&backend_route(upstream), GatewayOptions::default()).await;
    let client = client();
    for path in ["/a", "/empty", "/b", "/empty", "/c"] {
        let (status, _) = get(&client, running.addr, "static.example", path).await;
        assert!(status.is_success(), "{path}: {status}");
    }
    for _ in 0..3 {
        let (status, _, body) =
            send(&client, running.addr, "HEAD", "static.example", "/", "").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    running.shutdown().await;
}

#[tokio::test]
async fn connections_the_upstream_closes_are_replaced() {
    let (upstream, accepted) = counting_upstream().await;
    let running = start(&backend_route(upstream), GatewayOptions::default()).await;
    let client = client();
    for _ in 0..3 {
        let (status, body) = get(&client, running.addr, "static.example", "/close").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    running.shutdown().await;
}

/// An upstream that answers one keep-alive response per connection and then closes it, as an
/// upstream whose idle timeout expired does.
async fn one_shot_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn an_idle_connection_closed_by_the_upstream_is_not_used() {
    let upstream = one_shot_upstream().await;
    let running = start(&backend_route(upstream), GatewayOptions::default()).await;
    let client = client();
    for _ in 0..3 {
        let (status, body) = get(&client, running.addr, "static.example", "/").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
        // Let the upstream's close arrive before the next request.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.shutdown().await;
}

#[tokio::test]
async fn worker_threads_serve_and_drain() {
    let (upstream, _) = counting_upstream().await;
    let options = GatewayOptions {
        server: ServerOptions {
            worker_threads: NonZeroUsize::new(2),
            ..ServerOptions::default()
        },
        ..GatewayOptions::default()
    };
    let running = start(&backend_route(upstream), options).await;
    let addr = running.addr;
    let requests: Vec<_> = (0..16)
        .map(|i| {
            tokio::spawn(async move {
                // One client each: separate downstream connections, spread over the workers.
                get(&client(), addr, "static.example", &format!("/{i}")).await
            })
        })
        .collect();
    for request in requests {
        let (status, body) = request.await.unwrap();
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    }
    running.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
