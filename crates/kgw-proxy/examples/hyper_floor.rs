//! The floor under `kgw serve`'s HTTP/1 cost: the cheapest reverse proxy that hyper allows,
//! with none of kgw's work (no routing, filters, limits, timeouts, metrics or pool sharing).
//!
//! It runs the same shape as `kgw serve` — one single-threaded runtime per core, each with its
//! own `SO_REUSEPORT` listener, hyper's HTTP/1 server, and a `hyper::client::conn::http1`
//! connection polled on the request's task — and proxies every request to one upstream with a
//! fixed `Host`. The response body is collected before it is answered (cheaper than relaying
//! it frame by frame). `crates/kgw-proxy/benches/proxy.sh` runs it beside nginx and `kgw serve`
//! so that the part of kgw's cost that is hyper's, and the part that is kgw's own, can be told
//! apart. Not a gateway: it never answers anything but what the upstream said or a bare 502.
//!
//! ```text
//! cargo run --release -p kgw-proxy --example hyper_floor -- 127.0.0.1:18093 127.0.0.1:18090
//! ```

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::Poll;

use bytes::{Bytes, BytesMut};
use http::header::HOST;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1 as client;
use hyper::server::conn::http1 as server;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpSocket, TcpStream};

type Upstream = (
    client::SendRequest<Incoming>,
    client::Connection<TokioIo<TcpStream>, Incoming>,
);

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream), None) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: hyper_floor LISTEN_ADDR:PORT UPSTREAM_ADDR:PORT");
        std::process::exit(2)
    };
    let (Ok(listen), Ok(upstream)) = (listen.parse(), upstream.parse()) else {
        eprintln!("hyper_floor: addresses are IP:PORT");
        std::process::exit(2)
    };
    let threads = std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1);
    let workers: Vec<_> = (0..threads)
        .map(|_| std::thread::spawn(move || worker(listen, upstream)))
        .collect();
    for worker in workers {
        match worker.join() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("hyper_floor: {error}"),
            Err(_) => eprintln!("hyper_floor: a worker panicked"),
        }
    }
}

fn worker(listen: SocketAddr, upstream: SocketAddr) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseport(true)?;
        socket.bind(listen)?;
        let listener = socket.listen(1024)?;
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::task::spawn_local(serve(stream, upstream));
        }
    })
}

/// Serves one downstream connection, with at most one upstream connection of its own (HTTP/1
/// has one request in flight per connection).
async fn serve(stream: TcpStream, upstream: SocketAddr) {
    let slot: Rc<RefCell<Option<Upstream>>> = Rc::default();
    let service = service_fn(move |request| {
        let slot = Rc::clone(&slot);
        async move {
            let response = proxy(&slot, request, upstream).await.unwrap_or_else(|_| {
                let mut response = Response::new(Full::default());
                *response.status_mut() = StatusCode::BAD_GATEWAY;
                response
            });
            Ok::<_, Infallible>(response)
        }
    });
    let _ = server::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn proxy(
    slot: &RefCell<Option<Upstream>>,
    request: Request<Incoming>,
    upstream: SocketAddr,
) -> Result<Response<Full<Bytes>>, BoxError> {
    let (mut parts, body) = request.into_parts();
    parts.headers.insert(
        HOST,
        HeaderValue::from_static("jsonplaceholder.typicode.com"),
    );
    let mut request = Request::from_parts(parts, body);
    let mut idle = slot.borrow_mut().take();
    loop {
        let reused = idle.is_some();
        let (mut sender, mut conn) = if let Some(pair) = idle.take() {
            pair
        } else {
            let stream = TcpStream::connect(upstream).await?;
            stream.set_nodelay(true)?;
            client::handshake(TokioIo::new(stream)).await?
        };
        let mut sent = pin!(sender.try_send_request(request));
        // The connection future does the I/O: poll it whenever the exchange waits.
        let sent = poll_fn(|cx| {
            if let Poll::Ready(result) = sent.as_mut().poll(cx) {
                return Poll::Ready(Some(result));
            }
            if conn.poll_without_shutdown(cx).is_pending() {
                return Poll::Pending;
            }
            // The connection ended: hyper has failed the request it held (handing it back if
            // it was not written), or it never took it.
            match sent.as_mut().poll(cx) {
                Poll::Ready(result) => Poll::Ready(Some(result)),
                Poll::Pending => Poll::Ready(None),
            }
        })
        .await;
        let response = match sent {
            None => return Err("the upstream connection ended".into()),
            Some(Ok(response)) => response,
            Some(Err(mut error)) => match error.take_message() {
                // The upstream closed an idle connection: the same request on a new one.
                Some(unsent) if reused => {
                    request = unsent;
                    continue;
                }
                _ => return Err(error.into_error().into()),
            },
        };
        let (parts, mut body) = response.into_parts();
        let mut collected = BytesMut::new();
        while let Some(frame) = poll_fn(|cx| match Pin::new(&mut body).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame),
            Poll::Pending => match conn.poll_without_shutdown(cx) {
                Poll::Ready(_) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        })
        .await
        {
            if let Ok(data) = frame?.into_data() {
                collected.extend_from_slice(&data);
            }
        }
        // Keep the connection once it is ready for the next request.
        let reusable = poll_fn(|cx| match sender.poll_ready(cx) {
            Poll::Ready(ready) => Poll::Ready(ready.is_ok()),
            Poll::Pending => match conn.poll_without_shutdown(cx) {
                Poll::Ready(_) => Poll::Ready(false),
                Poll::Pending => Poll::Pending,
            },
        })
        .await;
        if reusable {
            *slot.borrow_mut() = Some((sender, conn));
        }
        return Ok(Response::from_parts(parts, Full::new(collected.freeze())));
    }
}
