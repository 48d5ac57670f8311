//! The HTTP/1 header read timeout, kept outside hyper.
//!
//! hyper's own `header_read_timeout` arms a timer whenever it waits for a request head (every
//! keep-alive request included): a boxed tokio `Sleep` put into the timer wheel and taken out
//! again, a clock read, and an extra read poll after each response — about 1,500 instructions,
//! 4.6 % of a proxied request (callgrind, docs/benchmarks.md). A slowloris guard needs no
//! millisecond precision, and the proxy already knows when a connection waits for a head: from
//! the end of its last response (or from its start) until hyper hands it the next request.
//!
//! - Each connection has a [`ConnectionClock`]: how many of its requests are being answered,
//!   and since when it has been idle, on a coarse clock.
//! - A request holds a [`BusyGuard`] from the moment hyper hands it over until hyper drops the
//!   response body (it has been written) or the request is abandoned.
//! - One sweeper task per server ([`HeadTimeouts::sweep`]) advances the coarse clock every
//!   tick (a tenth of the timeout, between 10 ms and 1 s) and marks connections idle for longer
//!   than the timeout as expired, waking their task, which then closes the connection.
//!
//! Same rule as hyper's (a connection waiting for a request head longer than the timeout is
//! closed without an answer), enforced to within one tick either way (the idle time starts at
//! the last tick's time, and is checked at the next ticks), for a few atomic operations per
//! request.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use atomic_waker::AtomicWaker;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::body::{BoxError, ProxyBody};

/// The header read timeout of one server's HTTP/1 connections.
pub(crate) struct HeadTimeouts {
    timeout: Duration,
    tick: Duration,
    epoch: Instant,
    /// Milliseconds since `epoch`, as of the last tick.
    now_ms: AtomicU64,
    clocks: Mutex<Vec<Weak<ConnectionClock>>>,
}

impl HeadTimeouts {
    pub(crate) fn new(timeout: Duration) -> Arc<Self> {
        let tick = (timeout / 10).clamp(Duration::from_millis(10), Duration::from_secs(1));
        Arc::new(Self {
            timeout,
            tick,
            epoch: Instant::now(),
            now_ms: AtomicU64::new(0),
            clocks: Mutex::new(Vec::new()),
        })
    }

    /// The header read timeout.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A clock for a new HTTP/1 connection, idle from now.
    pub(crate) fn register(self: &Arc<Self>) -> Arc<ConnectionClock> {
        let clock = Arc::new(ConnectionClock {
            timeouts: Arc::clone(self),
            busy: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(self.now_ms.load(Ordering::SeqCst)),
            expired: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        self.clocks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&clock));
        clock
    }

    /// Advances the clock and expires idle connections, every tick, until dropped.
    pub(crate) async fn sweep(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(self.tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.expire_idle();
        }
    }

    fn expire_idle(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        let timeout_ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
        self.now_ms.store(now, Ordering::SeqCst);
        self.clocks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|clock| {
                let Some(clock) = clock.upgrade() else {
                    return false;
                };
                // `busy` before `idle_since`: a guard stamps the time before it lowers the
                // count, so a connection seen idle here has its fresh stamp.
                if clock.busy.load(Ordering::SeqCst) == 0
                    && clock
                        .idle_since_ms
                        .load(Ordering::SeqCst)
                        .saturating_add(timeout_ms)
                        <= now
                    && !clock.expired.swap(true, Ordering::SeqCst)
                {
                    clock.waker.wake();
                }
                true
            });
    }
}

/// One HTTP/1 connection's requests in progress and idle time.
pub(crate) struct ConnectionClock {
    timeouts: Arc<HeadTimeouts>,
    busy: AtomicUsize,
    idle_since_ms: AtomicU64,
    expired: AtomicBool,
    waker: AtomicWaker,
}

impl ConnectionClock {
    /// Marks a request head as received; the connection is busy until the guard drops.
    pub(crate) fn busy(self: &Arc<Self>) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::SeqCst);
        BusyGuard {
            clock: Arc::clone(self),
        }
    }

    /// Whether the connection waited too long for a request head. Registers `cx`'s waker the
    /// first time (`registered` false): a task's waker stays valid for that task, so later
    /// polls only read the flag.
    pub(crate) fn expired(&self, cx: &Context<'_>, registered: &mut bool) -> bool {
        if !*registered {
            *registered = true;
            self.waker.register(cx.waker());
        }
        self.expired.load(Ordering::SeqCst)
    }
}

/// A request being answered; dropped when hyper has written its response body, or gave up.
pub(crate) struct BusyGuard {
    clock: Arc<ConnectionClock>,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let clock = &self.clock;
        clock.idle_since_ms.store(
            clock.timeouts.now_ms.load(Ordering::SeqCst),
            Ordering::SeqCst,
        );
        clock.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its connection busy until hyper drops it.
pub(crate) struct GuardedBody {
    body: ProxyBody,
    _guard: Option<BusyGuard>,
}

impl GuardedBody {
    pub(crate) fn new(body: ProxyBody, guard: Option<BusyGuard>) -> Self {
        Self {
            body,
            _guard: guard,
        }
    }
}

impl Body for GuardedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_connection_expires_after_the_timeout_and_a_busy_one_does_not() {
        let timeouts = HeadTimeouts::new(Duration::from_millis(100));
        let idle = timeouts.register();
        let busy = timeouts.register();
        let guard = busy.busy();
        let mut registered = false;
        let cx = Context::from_waker(std::task::Waker::noop());
        timeouts.expire_idle();
        assert!(!idle.expired(&cx, &mut registered));
        std::thread::sleep(Duration::from_millis(150));
        timeouts.expire_idle();
        assert!(idle.expired(&cx, &mut registered));
        assert!(
            !busy.expired(&cx, &mut registered),
            "busy connections never expire"
        );
        // Idle from the end of its response on: not expired right after it.
        drop(guard);
        timeouts.expire_idle();
        assert!(!busy.expired(&cx, &mut registered));
        std::thread::sleep(Duration::from_millis(150));
        timeouts.expire_idle();
        assert!(busy.expired(&cx, &mut registered));
    }

    #[test]
    fn closed_connections_leave_the_list() {
        let timeouts = HeadTimeouts::new(Duration::from_secs(10));
        let kept = timeouts.register();
        drop(timeouts.register());
        timeouts.expire_idle();
        let clocks = timeouts
            .clocks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        assert_eq!(clocks.len(), 1);
        assert!(clocks[0].ptr_eq(&Arc::downgrade(&kept)));
    }

    #[test]
    fn the_tick_is_a_tenth_of_the_timeout_within_bounds() {
        assert_eq!(
            HeadTimeouts::new(Duration::from_secs(10)).tick,
            Duration::from_secs(1)
        );
        assert_eq!(
            HeadTimeouts::new(Duration::from_mins(1)).tick,
            Duration::from_secs(1)
        );
        assert_eq!(
            HeadTimeouts::new(Duration::from_millis(300)).tick,
            Duration::from_millis(30)
        );
        assert_eq!(
            HeadTimeouts::new(Duration::from_millis(1)).tick,
            Duration::from_millis(10)
        );
    }

    #[tokio::test]
    async fn the_sweeper_wakes_an_expired_connection() {
        let timeouts = HeadTimeouts::new(Duration::from_millis(50));
        let clock = timeouts.register();
        let sweeper = tokio::spawn(Arc::clone(&timeouts).sweep());
        let mut registered = false;
        let closed = tokio::time::timeout(
            Duration::from_secs(5),
            std::future::poll_fn(|cx| {
                if clock.expired(cx, &mut registered) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
        )
        .await;
        sweeper.abort();
        assert!(closed.is_ok(), "the idle connection was never woken");
    }
}
