//! A minimal `kgw serve`: routes real traffic for one Gateway from manifest files, reloading
//! them on change.
//!
//! ```text
//! cargo run --release -p kgw-proxy --example serve -- \
//!     --gateway kgateway-system/http --listen 8080=127.0.0.1:18081 docs/examples/static-backend
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kgw_api::ObjectKey;
use kgw_proxy::reload::{SnapshotSource, watch};
use kgw_proxy::secrets::NoSecrets;
use kgw_proxy::{Gateway, GatewayOptions, ListenerSpec, ServerOptions};

/// `TOKIO_WORKER_THREADS` when set to a positive number, else one per core.
fn worker_threads() -> std::num::NonZeroUsize {
    std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| std::thread::available_parallelism().ok())
        .unwrap_or(std::num::NonZeroUsize::MIN)
}

fn usage() -> ! {
    eprintln!("usage: serve --gateway NS/NAME [--listen PORT=ADDR:PORT]... PATH...");
    std::process::exit(2)
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let mut args = std::env::args().skip(1);
    let (mut gateway, mut listeners, mut paths) = (None, Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--gateway" => {
                let value = args.next().unwrap_or_else(|| usage());
                let (namespace, name) = value.split_once('/').unwrap_or_else(|| usage());
                gateway = Some(ObjectKey::new(namespace, name));
            }
            "--listen" => {
                let value = args.next().unwrap_or_else(|| usage());
                let (port, addr) = value.split_once('=').unwrap_or_else(|| usage());
                listeners.push(ListenerSpec {
                    port: port.parse().unwrap_or_else(|_| usage()),
                    addr: addr.parse::<SocketAddr>().unwrap_or_else(|_| usage()),
                });
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    let Some(gateway) = gateway else { usage() };
    if paths.is_empty() || listeners.is_empty() {
        usage();
    }
    let source = SnapshotSource::new(paths, gateway, Arc::new(NoSecrets));
    let snapshot = match source.build() {
        Ok(snapshot) => snapshot,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    // The same runtime setup as `kgw serve`: this thread accepts and reloads; one worker
    // thread per core (or `TOKIO_WORKER_THREADS`) serves the connections.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"));
    runtime.block_on(async move {
        let options = GatewayOptions {
            server: ServerOptions {
                worker_threads: Some(worker_threads()),
                ..ServerOptions::default()
            },
            ..GatewayOptions::default()
        };
        let gateway = Gateway::new(snapshot, options);
        let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
        let mut watch_stop = stop.subscribe();
        tokio::spawn(watch(
            gateway.clone(),
            source,
            Duration::from_millis(500),
            async move {
                let _ = watch_stop.recv().await;
            },
        ));
        let bound = gateway.bind(&listeners).await.unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1);
        });
        for (port, addr) in bound.local_addrs() {
            tracing::info!(%addr, port, "listening");
        }
        bound
            .serve(async move {
                let _ = tokio::signal::ctrl_c().await;
                let _ = stop.send(());
            })
            .await;
    });
}
