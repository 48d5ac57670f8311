//! Counters for a `/metrics`-style endpoint, in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::fault::Fault;
use crate::gateway::Gateway;

/// Monotonic counters (and one gauge) the gateway updates as it works. Cheap to read at any
/// time from any thread.
///
/// The per-request counters (requests, in flight, responses by class, forwarded) are kept per
/// thread shard and summed when read, so that worker threads serving requests at the same time
/// do not contend for one cache line; read them with [`Counters::requests`],
/// [`Counters::in_flight`], [`Counters::responses_by_class`] and [`Counters::forwarded`]. The
/// rarer ones are plain atomics.
#[derive(Debug, Default)]
pub struct Counters {
    hot: HotCounters,
    /// Requests that matched no route (404).
    pub no_route: AtomicU64,
    /// Requests whose backend could not be used (500).
    pub unresolved_backend: AtomicU64,
    /// Upstream connect failures (503).
    pub upstream_connect_failures: AtomicU64,
    /// Upstream resets and malformed responses (502).
    pub upstream_protocol_errors: AtomicU64,
    /// Upstream timeouts (504).
    pub upstream_timeouts: AtomicU64,
    /// Mirror requests sent.
    pub mirrors_sent: AtomicU64,
    /// Mirror requests that failed (never affects the client).
    pub mirrors_failed: AtomicU64,
    /// Routing tables swapped in.
    pub table_swaps: AtomicU64,
    /// Reloads rejected (the last good table stayed).
    pub reloads_rejected: AtomicU64,
}

/// Shards of the per-request counters. A thread keeps to one shard (threads are spread over
/// them in the order they first count something), so up to this many threads never share one.
const HOT_SHARDS: usize = 16;

/// The per-request counters, one set per shard.
#[derive(Debug, Default)]
struct HotCounters {
    shards: [HotShard; HOT_SHARDS],
}

/// One shard's per-request counters, on cache lines of their own.
#[derive(Debug, Default)]
#[repr(align(128))]
struct HotShard {
    requests: AtomicU64,
    /// Requests whose handling ended (in flight = requests - finished).
    finished: AtomicU64,
    responses_by_class: [AtomicU64; 5],
    forwarded: AtomicU64,
}

impl HotCounters {
    /// The calling thread's shard.
    fn shard(&self) -> &HotShard {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % HOT_SHARDS;
        }
        // A thread being torn down (no thread-locals left) counts in shard 0.
        let index = SHARD.try_with(|index| *index).unwrap_or(0);
        &self.shards[index % HOT_SHARDS]
    }

    fn sum(&self, field: impl Fn(&HotShard) -> &AtomicU64) -> u64 {
        self.shards
            .iter()
            .map(|shard| field(shard).load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

impl Counters {
    /// Requests received.
    pub fn requests(&self) -> u64 {
        self.hot.sum(|shard| &shard.requests)
    }

    /// Requests being handled right now (a gauge).
    pub fn in_flight(&self) -> u64 {
        // `finished` first: a request counted there was counted in `requests` before, so the
        // difference never goes below zero.
        let finished = self.hot.sum(|shard| &shard.finished);
        self.requests().saturating_sub(finished)
    }

    /// Responses sent, by status class: index 0 is 1xx … index 4 is 5xx.
    pub fn responses_by_class(&self) -> [u64; 5] {
        std::array::from_fn(|class| self.hot.sum(|shard| &shard.responses_by_class[class]))
    }

    /// Requests forwarded to an upstream (whatever the upstream answered).
    pub fn forwarded(&self) -> u64 {
        self.hot.sum(|shard| &shard.forwarded)
    }

    /// Counts a request; it counts as in flight until the returned guard is dropped (also when
    /// its handling is abandoned, e.g. because the client went away).
    pub(crate) fn request_started(&self) -> InFlight<'_> {
        self.count_request();
        InFlight { counters: self }
    }

    /// Counts a request as received; [`Self::count_finished`] must follow once it is done
    /// (for callers that cannot hold an [`InFlight`] borrowing the counters).
    pub(crate) fn count_request(&self) {
        self.hot.shard().requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request counted by [`Self::count_request`] as no longer in flight.
    pub(crate) fn count_finished(&self) {
        self.hot.shard().finished.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a response by its status class.
    pub(crate) fn record_status(&self, status: http::StatusCode) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.hot.shard().responses_by_class[class].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_forwarded(&self) {
        self.hot.shard().forwarded.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_fault(&self, fault: &Fault) {
        let counter = match fault {
            Fault::ConnectFailed(_) => &self.upstream_connect_failures,
            Fault::BadUpstream(_) => &self.upstream_protocol_errors,
            Fault::Timeout => &self.upstream_timeouts,
            Fault::Unresolved(_) => &self.unresolved_backend,
            Fault::BodyTooLarge | Fault::ClientBody(_) => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// All counters in the Prometheus text exposition format, names prefixed `kgw_`.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP kgw_{name} {help}\n# TYPE kgw_{name} counter");
            let _ = writeln!(out, "kgw_{name} {value}");
        };
        counter("requests_total", "Requests received.", self.requests());
        counter(
            "forwarded_total",
            "Requests forwarded upstream.",
            self.forwarded(),
        );
        counter(
            "no_route_total",
            "Requests that matched no route.",
            self.no_route.load(Ordering::Relaxed),
        );
        counter(
            "unresolved_backend_total",
            "Requests whose backend was unusable.",
            self.unresolved_backend.load(Ordering::Relaxed),
        );
        counter(
            "upstream_connect_failures_total",
            "Upstream connect failures.",
            self.upstream_connect_failures.load(Ordering::Relaxed),
        );
        counter(
            "upstream_protocol_errors_total",
            "Upstream resets and malformed responses.",
            self.upstream_protocol_errors.load(Ordering::Relaxed),
        );
        counter(
            "upstream_timeouts_total",
            "Upstream timeouts.",
            self.upstream_timeouts.load(Ordering::Relaxed),
        );
        counter(
            "mirrors_sent_total",
            "Mirror requests sent.",
            self.mirrors_sent.load(Ordering::Relaxed),
        );
        counter(
            "mirrors_failed_total",
            "Mirror requests that failed.",
            self.mirrors_failed.load(Ordering::Relaxed),
        );
        counter(
            "table_swaps_total",
            "Routing tables swapped in.",
            self.table_swaps.load(Ordering::Relaxed),
        );
        counter(
            "reloads_rejected_total",
            "Reloads rejected; the last good table stayed.",
            self.reloads_rejected.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP kgw_in_flight Requests being handled.\n# TYPE kgw_in_flight gauge\nkgw_in_flight {}",
            self.in_flight()
        );
        let _ = writeln!(
            out,
            "# HELP kgw_responses_total Responses by status class.\n# TYPE kgw_responses_total counter"
        );
        for (index, value) in self.responses_by_class().iter().enumerate() {
            let _ = writeln!(
                out,
                "kgw_responses_total{{class=\"{}xx\"}} {value}",
                index + 1,
            );
        }
        out
    }
}

/// A request being handled; see [`Counters::request_started`].
pub(crate) struct InFlight<'a> {
    counters: &'a Counters,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counters.count_finished();
    }
}

/// Serves `GET /metrics` (the gateway's [`Counters`] in the Prometheus text format) on
/// `listener` until `shutdown` completes; every other path answers 404. Plain HTTP/1.1, one
/// task per connection; meant for a loopback or cluster-internal address.
pub async fn serve_metrics(
    gateway: Gateway,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "metrics accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let gateway = gateway.clone();
        let service =
            hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let response = metrics_response(&gateway, request.method(), request.uri().path());
                std::future::ready(Ok::<_, std::convert::Infallible>(response))
            });
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(10))
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, "metrics connection ended with an error");
            }
        });
    }
}

fn metrics_response(
    gateway: &Gateway,
    method: &http::Method,
    path: &str,
) -> http::Response<crate::body::ProxyBody> {
    if path != "/metrics" {
        return crate::fault::status_response(http::StatusCode::NOT_FOUND);
    }
    if method != http::Method::GET && method != http::Method::HEAD {
        return crate::fault::status_response(http::StatusCode::METHOD_NOT_ALLOWED);
    }
    let mut response =
        http::Response::new(crate::body::full(gateway.counters().render_prometheus()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_land_in_their_class_and_render() {
        let counters = Counters::default();
        for status in [
            http::StatusCode::OK,
            http::StatusCode::BAD_GATEWAY,
            http::StatusCode::BAD_GATEWAY,
        ] {
            drop(counters.request_started());
            counters.record_status(status);
        }
        let in_flight = counters.request_started();
        counters.record_fault(&Fault::Timeout);
        // Counted on another thread, so in another shard.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _in_flight = counters.request_started();
                counters.record_forwarded();
                counters.record_status(http::StatusCode::OK);
            });
        });
        assert_eq!(counters.requests(), 5);
        assert_eq!(counters.in_flight(), 1);
        assert_eq!(counters.forwarded(), 1);
        assert_eq!(counters.responses_by_class(), [0, 2, 0, 0, 2]);
        let text = counters.render_prometheus();
        assert!(text.contains("kgw_requests_total 5\n"), "{text}");
        assert!(text.contains("kgw_in_flight 1\n"), "{text}");
        assert!(
            text.contains("kgw_responses_total{class=\"2xx\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("kgw_responses_total{class=\"5xx\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("kgw_upstream_timeouts_total 1\n"), "{text}");
        drop(in_flight);
        assert_eq!(counters.in_flight(), 0);
    }
}
