//! HTTP/1.1 upstream connections driven on the request's own task.
//!
//! hyper-util's pooled client runs every upstream connection as a task of its own: the request
//! is handed to that task over a channel, the response head comes back over another, and each
//! chunk of the response body crosses once more, so one proxied request wakes two tasks several
//! times. This pool keeps `hyper::client::conn::http1` connections (the request sender and the
//! connection future together) and polls the connection future from whoever uses it: the
//! request's task while it waits for the response head, then the response body that the
//! downstream connection relays. Idle connections go back to a stack per upstream (and per
//! tokio runtime, so a connection is only used by the runtime whose I/O driver owns its
//! socket), most recently used first, and expire after `pool_idle_timeout`.
//!
//! Used for plain HTTP/1.1 exchanges only; HTTP/2, upgrades and `CONNECT` keep hyper-util's
//! client (see [`crate::upstream`]).

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::runtime::Handle;

use crate::body::ProxyBody;
use crate::connector::{UpstreamConnector, UpstreamStream, UpstreamTls};
use crate::fault::{Fault, classify_send_error, error_chain};
use crate::upstream::ClientOptions;

type Connection = http1::Connection<TokioIo<UpstreamStream>, ProxyBody>;

/// A pool of HTTP/1.1 connections to any number of upstreams, plain or with one TLS setting.
pub(crate) struct H1Pool {
    inner: Arc<PoolInner>,
}

impl std::fmt::Debug for H1Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H1Pool")
            .field("shards", &self.inner.shards.len())
            .finish_non_exhaustive()
    }
}

/// Shards of the idle stacks: a runtime's connections live in the shard its id hashes to, so
/// worker threads (one runtime each) mostly lock and count references on memory of their own
/// instead of passing one cache line back and forth on every request.
const SHARDS: usize = 16;

struct PoolInner {
    connector: UpstreamConnector,
    shards: Box<[Arc<Shard>]>,
}

impl PoolInner {
    fn shard(&self, runtime: tokio::runtime::Id) -> &Arc<Shard> {
        use std::hash::BuildHasher;
        // Runtime ids come from tokio, not from clients: a fixed seed is safe.
        let hash = foldhash::fast::FixedState::default().hash_one(runtime);
        // The modulo is below `SHARDS`, so the conversion and the index cannot fail.
        let index = usize::try_from(hash % SHARDS as u64).unwrap_or(0);
        &self.shards[index]
    }
}

/// One shard, on cache lines of its own.
#[repr(align(128))]
struct Shard {
    idle_timeout: Duration,
    max_idle: usize,
    state: Mutex<PoolState>,
}

#[derive(Default)]
struct PoolState {
    idle: HashMap<PoolKey, Vec<Idle>, foldhash::fast::RandomState>,
    /// Runtimes that run a task closing this pool's expired and dead idle connections. A list:
    /// it is searched on every `put` and holds a runtime or two (the runtimes whose ids hash to
    /// this shard), where a hash set would run SipHash each time.
    reapers: Vec<tokio::runtime::Id>,
}

#[derive(Clone)]
struct PoolKey {
    runtime: tokio::runtime::Id,
    authority: Authority,
}

// `Authority`'s own `Hash` and `Eq` ignore ASCII case, and its `Hash` feeds the hasher one
// lowercased byte at a time: two lookups per request paid for that. The key compares and hashes
// the authority's bytes as they are instead (consistently, so `Hash` agrees with `Eq`);
// authorities differing only in case, which come from the configuration, at worst get separate
// idle stacks.
impl PartialEq for PoolKey {
    fn eq(&self, other: &Self) -> bool {
        self.runtime == other.runtime && self.authority.as_str() == other.authority.as_str()
    }
}

impl Eq for PoolKey {}

impl std::hash::Hash for PoolKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.runtime.hash(state);
        self.authority.as_str().hash(state);
    }
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

/// One upstream connection: the request sender and the connection future that does its I/O.
/// Always boxed: hyper's connection state (buffers included) is large, and a connection moves
/// from the idle stack to the request and on to the response body on every request.
struct Conn {
    sender: http1::SendRequest<ProxyBody>,
    /// `None` once the connection has ended.
    connection: Option<Connection>,
}

impl Conn {
    /// Drives the connection's I/O. Returns `false` once it has ended (closed or failed).
    fn drive(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(connection) = &mut self.connection else {
            return false;
        };
        match Pin::new(connection).poll(cx) {
            Poll::Pending => true,
            Poll::Ready(result) => {
                if let Err(error) = result {
                    tracing::debug!(error = %error_chain(&error), "upstream connection ended with an error");
                }
                // Dropping the dispatcher answers a request still waiting on it with an error.
                self.connection = None;
                false
            }
        }
    }

    /// Whether the connection can carry another request right now. Polls it once, so an idle
    /// connection the upstream closed is noticed, and a finished exchange settles.
    fn reusable(&mut self, cx: &mut Context<'_>) -> bool {
        self.drive(cx) && self.sender.is_ready()
    }
}

impl H1Pool {
    /// A pool whose connections are made by a connector with `tls` (plain TCP when `None`).
    pub(crate) fn new(options: &ClientOptions, tls: Option<UpstreamTls>) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Arc::new(Shard {
                    idle_timeout: options.pool_idle_timeout,
                    max_idle: options.pool_max_idle_per_host,
                    state: Mutex::new(PoolState::default()),
                })
            })
            .collect();
        Self {
            inner: Arc::new(PoolInner {
                connector: UpstreamConnector::new(tls, options.connect_timeout),
                shards,
            }),
        }
    }

    /// Sends `request` (origin-form URI, `Host` set) to `authority` and waits for the response
    /// head. A request that a reused connection never sent (the upstream closed it meanwhile)
    /// is retried on another connection, as hyper-util's client does.
    pub(crate) async fn send(
        &self,
        authority: &Authority,
        mut request: Request<ProxyBody>,
    ) -> Result<Response<PooledBody>, Fault> {
        let runtime = Handle::try_current()
            .map_err(|e| Fault::ConnectFailed(format!("no tokio runtime: {e}")))?
            .id();
        let key = PoolKey {
            runtime,
            authority: authority.clone(),
        };
        let shard = self.inner.shard(runtime);
        loop {
            let (mut conn, reused) = match shard.checkout(&key).await {
                Some(conn) => (conn, true),
                // Boxed: connecting (TCP, maybe TLS, the handshake) is the largest state of this
                // future by far and the rare one; every request's future would otherwise be as
                // large.
                None => (Box::pin(self.inner.connect(authority)).await?, false),
            };
            let mut sending = std::pin::pin!(conn.sender.try_send_request(request));
            let sent = poll_fn(|cx| {
                // The connection first: it writes the request and reads the response.
                conn.drive(cx);
                sending.as_mut().poll(cx)
            })
            .await;
            match sent {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let mut body = PooledBody {
                        body,
                        conn: Some(conn),
                        shard: shard.clone(),
                        key: Some(key),
                    };
                    if body.body.is_end_stream() {
                        // No body to relay (HEAD, 204, 304, empty): the connection is free now.
                        body.release();
                    }
                    return Ok(Response::from_parts(parts, body));
                }
                Err(mut error) => match error.take_message() {
                    Some(unsent) if reused => {
                        tracing::debug!(error = %error_chain(error.error()), "pooled connection closed before the request was sent; retrying");
                        request = unsent;
                    }
                    _ => return Err(classify_send_error(error.error())),
                },
            }
        }
    }
}

impl Shard {
    /// The most recently used idle connection to `key` that can carry a request, if any.
    async fn checkout(self: &Arc<Self>, key: &PoolKey) -> Option<Box<Conn>> {
        loop {
            let mut conn = {
                let now = Instant::now();
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                let stack = state.idle.get_mut(key)?;
                let idle = stack.pop()?;
                if now.saturating_duration_since(idle.since) > self.idle_timeout {
                    // Pushed in time order: everything below is older still.
                    let expired = std::mem::take(stack);
                    drop(state);
                    drop(expired);
                    return None;
                }
                idle.conn
            };
            if poll_fn(|cx| Poll::Ready(conn.reusable(cx))).await {
                return Some(conn);
            }
        }
    }
}

impl PoolInner {
    async fn connect(&self, authority: &Authority) -> Result<Box<Conn>, Fault> {
        let uri = Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| Fault::Unresolved(format!("upstream uri: {e}")))?;
        let io = tower::ServiceExt::oneshot(self.connector.clone(), uri)
            .await
            .map_err(|error| Fault::ConnectFailed(error_chain(&*error)))?;
        let (sender, connection) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|error| Fault::ConnectFailed(error_chain(&error)))?;
        Ok(Box::new(Conn {
            sender,
            connection: Some(connection),
        }))
    }
}

impl Shard {
    /// Returns a connection whose exchange has finished to its stack.
    fn put(self: &Arc<Self>, key: PoolKey, conn: Box<Conn>) {
        if conn.connection.is_none() || conn.sender.is_closed() || self.max_idle == 0 {
            return;
        }
        let runtime = key.runtime;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let stack = state.idle.entry(key).or_default();
        if stack.len() >= self.max_idle {
            drop(state);
            drop(conn);
            return;
        }
        stack.push(Idle {
            conn,
            since: Instant::now(),
        });
        if !state.reapers.contains(&runtime) {
            state.reapers.push(runtime);
            drop(state);
            self.spawn_reaper(runtime);
        }
    }

    /// Closes this runtime's expired idle connections, and those the upstream closed, every
    /// so often, for as long as the pool exists.
    fn spawn_reaper(self: &Arc<Self>, runtime: tokio::runtime::Id) {
        let Ok(handle) = Handle::try_current() else {
            // Outside the runtime (a body dropped late): the next `put` on it tries again.
            self.state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .reapers
                .retain(|id| *id != runtime);
            return;
        };
        let pool: Weak<Self> = Arc::downgrade(self);
        let period =
            (self.idle_timeout / 2).clamp(Duration::from_millis(100), Duration::from_secs(10));
        handle.spawn(async move {
            let mut interval = tokio::time::interval(period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval.tick().await;
            loop {
                interval.tick().await;
                let Some(pool) = pool.upgrade() else { return };
                pool.reap(runtime);
            }
        });
    }

    fn reap(&self, runtime: tokio::runtime::Id) {
        let now = Instant::now();
        // Polled without a waker: only to learn whether the upstream closed the connection.
        let mut cx = Context::from_waker(Waker::noop());
        let mut closed = Vec::new();
        {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.idle.retain(|key, stack| {
                if key.runtime != runtime {
                    return true;
                }
                let mut index = 0;
                while index < stack.len() {
                    let idle = &mut stack[index];
                    if now.saturating_duration_since(idle.since) > self.idle_timeout
                        || !idle.conn.drive(&mut cx)
                    {
                        closed.push(stack.remove(index));
                    } else {
                        index += 1;
                    }
                }
                !stack.is_empty()
            });
        }
        drop(closed);
    }
}

/// An upstream response body that drives its connection while it is read, and puts the
/// connection back into the pool once the body has been read to its end.
pub(crate) struct PooledBody {
    body: Incoming,
    conn: Option<Box<Conn>>,
    shard: Arc<Shard>,
    key: Option<PoolKey>,
}

impl PooledBody {
    fn release(&mut self) {
        if let (Some(conn), Some(key)) = (self.conn.take(), self.key.take()) {
            self.shard.put(key, conn);
        }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        if let Some(conn) = &mut this.conn
            && !conn.drive(cx)
        {
            this.conn = None;
        }
        let frame = match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => frame,
            Poll::Pending => return Poll::Pending,
        };
        match &frame {
            None => this.release(),
            Some(Ok(_)) if this.body.is_end_stream() => this.release(),
            Some(Ok(_)) => {}
            Some(Err(_)) => this.conn = None,
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        // Read to its end without a final poll (the relay stops at `is_end_stream`): reusable.
        // Otherwise the rest of the response is unread and the connection closes.
        if self.body.is_end_stream() {
            self.release();
        }
    }
}
