//! Swapping the routing table while traffic flows: no request is lost.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use http::StatusCode;
use kgw_api::ObjectKey;
use kgw_proxy::GatewayOptions;
use kgw_proxy::reload::{SnapshotSource, watch};
use kgw_proxy::secrets::NoSecrets;

struct Load {
    sent: Arc<AtomicU64>,
    ok: Arc<AtomicU64>,
    from_b: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<Vec<(StatusCode, String)>>>,
}

/// `workers` clients sending requests back to back until stopped.
fn load(addr: std::net::SocketAddr, workers: usize) -> Load {
    let (sent, ok, from_b) = (
        Arc::<AtomicU64>::default(),
        Arc::<AtomicU64>::default(),
        Arc::<AtomicU64>::default(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let workers = (0..workers)
        .map(|_| {
            let (sent, ok, from_b, stop) = (sent.clone(), ok.clone(), from_b.clone(), stop.clone());
            tokio::spawn(async move {
                let client = client();
                let mut failures = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    sent.fetch_add(1, Ordering::Relaxed);
                    let (status, body) = get(&client, addr, "app.example", "/").await;
                    if status == StatusCode::OK {
                        ok.fetch_add(1, Ordering::Relaxed);
                        if body == "b" {
                            from_b.fetch_add(1, Ordering::Relaxed);
                        }
                    } else {
                        failures.push((status, body));
                    }
                }
                failures
            })
        })
        .collect();
    Load {
        sent,
        ok,
        from_b,
        stop,
        workers,
    }
}

impl Load {
    async fn finish(self) -> (u64, u64, Vec<(StatusCode, String)>) {
        self.stop.store(true, Ordering::Relaxed);
        let mut failures = Vec::new();
        for worker in self.workers {
            failures.extend(worker.await.unwrap());
        }
        (
            self.sent.load(Ordering::Relaxed),
            self.ok.load(Ordering::Relaxed),
            failures,
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapping_tables_under_load_loses_no_request() {
    let (a, _) = upstream("a").await;
    let (b, _) = upstream("b").await;
    let options = GatewayOptions::default();
    let running = start(&backend_route(a), options.clone()).await;
    let traffic = load(running.addr, 8);
    for round in 0..20 {
        tokio::time::sleep(Duration::from_millis(15)).await;
        let target = if round % 2 == 0 { b } else { a };
        running
            .gateway
            .swap_table(snapshot(&backend_route(target), &options));
    }
    let from_b = traffic.from_b.clone();
    let (sent, ok, failures) = traffic.finish().await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(sent, ok, "every request sent was answered 200");
    assert!(sent > 100, "too little load to mean anything: {sent}");
    assert!(from_b.load(Ordering::Relaxed) > 0, "the swaps took effect");
    assert_eq!(
        running
            .gateway
            .counters()
            .table_swaps
            .load(Ordering::Relaxed),
        20
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_watch_reloads_and_keeps_the_last_good_table() {
    let (a, _) = upstream("a").await;
    let (b, _) = upstream("b").await;
    let dir = std::env::temp_dir().join(format!("kgw-proxy-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.yaml");
    std::fs::write(dir.join("gateway.yaml"), GATEWAY).unwrap();
    std::fs::write(&file, backend_route(a)).unwrap();

    let source = SnapshotSource::new(
        vec![dir.clone()],
        ObjectKey::new("kgateway-system", "http"),
        Arc::new(NoSecrets),
    );
    let running = start_with(source.build().unwrap(), GatewayOptions::default()).await;
    let (stop_watch, watch_stopped) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(watch(
        running.gateway.clone(),
        source,
        Duration::from_millis(20),
        async move {
            let _ = watch_stopped.await;
        },
    ));
    let traffic = load(running.addr, 4);
    let client = client();
    assert_eq!(get(&client, running.addr, "app.example", "/").await.1, "a");

    // mtime granularity: make sure the edit is seen as newer.
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::fs::write(&file, backend_route(b)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while get(&client, running.addr, "app.example", "/").await.1 != "b" {
        assert!(Instant::now() < deadline, "the edit was not picked up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // A broken edit is rejected: traffic keeps flowing to b.
    std::fs::write(&file, "kind: HTTPRoute\nspec: [unclosed\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while running
        .gateway
        .counters()
        .reloads_rejected
        .load(Ordering::Relaxed)
        == 0
    {
        assert!(Instant::now() < deadline, "the broken edit was not noticed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        get(&client, running.addr, "app.example", "/").await,
        (StatusCode::OK, "b".to_owned())
    );

    let (sent, ok, failures) = traffic.finish().await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(sent, ok);
    let _ = stop_watch.send(());
    watcher.await.unwrap();
    running.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
