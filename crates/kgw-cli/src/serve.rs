//! `kgw serve`: routes real HTTP traffic for one Gateway with kgw-proxy, reloading the
//! manifests when they change.

use std::io::{IsTerminal, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use kgw_api::ObjectKey;
use kgw_api::gateway::common::parse_duration;
use kgw_api::load::LoadOptions;
use kgw_proxy::reload::{SnapshotSource, watch};
use kgw_proxy::secrets::{DirSecrets, NoSecrets, SecretStore};
use kgw_proxy::{Gateway, GatewayOptions, ListenerSpec, ServerOptions, Snapshot};
use tokio::sync::watch as signal_channel;

use crate::args::ServeArgs;
use crate::inputs::validate_options;
use crate::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};

/// What the command line asked for, checked.
struct Plan {
    source: SnapshotSource,
    overrides: Vec<ListenerSpec>,
    metrics: Option<SocketAddr>,
    interval: Duration,
}

/// Runs `kgw serve` until Ctrl-C or SIGTERM and returns the exit status.
pub fn run(args: &ServeArgs) -> u8 {
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    init_tracing();
    let snapshot = match plan.source.build() {
        Ok(snapshot) => snapshot,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_FINDINGS;
        }
    };
    let listeners = listeners(&snapshot, &plan.overrides);
    // This thread accepts connections, reloads the manifests and serves the metrics; the
    // connections themselves are served by one worker thread per core, each with its own
    // single-threaded runtime (see `ServerOptions::worker_threads`).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return EXIT_FINDINGS;
        }
    };
    runtime.block_on(serve(plan, snapshot, listeners))
}

fn plan(args: &ServeArgs) -> Result<Plan, String> {
    let manifests = &args.manifests;
    if manifests.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err("kgw serve watches files; standard input (`-`) cannot be served".into());
    }
    let gateway = match args.gateway.split_once('/') {
        Some((namespace, name)) if !namespace.is_empty() && !name.is_empty() => {
            ObjectKey::new(namespace, name)
        }
        _ => {
            return Err(format!(
                "--gateway takes NAMESPACE/NAME, not `{}`",
                args.gateway
            ));
        }
    };
    let overrides = args
        .listen
        .iter()
        .map(|text| parse_listen(text))
        .collect::<Result<Vec<_>, _>>()?;
    let metrics = args
        .metrics
        .as_deref()
        .map(|text| {
            text.parse::<SocketAddr>()
                .map_err(|_| format!("--metrics takes ADDR:PORT, not `{text}`"))
        })
        .transpose()?;
    let interval = parse_duration(&args.watch_interval)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            format!(
                "--watch-interval takes a non-zero duration such as 500ms or 2s, not `{}`",
                args.watch_interval
            )
        })?;
    let secrets: Arc<dyn SecretStore> = match &args.secrets_dir {
        Some(dir) if !dir.is_dir() => {
            return Err(format!("--secrets-dir {} is not a folder", dir.display()));
        }
        Some(dir) => Arc::new(DirSecrets::new(dir)),
        None => Arc::new(NoSecrets),
    };
    let mut source = SnapshotSource::new(manifests.paths.clone(), gateway, secrets);
    source.load = LoadOptions {
        allow_unknown_fields: manifests.validation.allow_unknown_fields,
        ..LoadOptions::default()
    };
    source.validate = validate_options(manifests);
    source.reject_errors = !args.allow_errors;
    Ok(Plan {
        source,
        overrides,
        metrics,
        interval,
    })
}

/// `PORT=ADDR:PORT`.
fn parse_listen(text: &str) -> Result<ListenerSpec, String> {
    let bad = || format!("--listen takes PORT=ADDR:PORT (like 8080=127.0.0.1:18080), not `{text}`");
    let (port, addr) = text.split_once('=').ok_or_else(bad)?;
    Ok(ListenerSpec {
        port: port.parse().map_err(|_| bad())?,
        addr: addr.parse().map_err(|_| bad())?,
    })
}

/// Every port of the Gateway's listeners, on 127.0.0.1 unless `--listen` moved it; a
/// `--listen` for a port the Gateway does not have is served too (a later edit may add it).
fn listeners(snapshot: &Snapshot, overrides: &[ListenerSpec]) -> Vec<ListenerSpec> {
    let mut specs: Vec<ListenerSpec> = overrides.to_vec();
    for listener in snapshot.gateway_table().listeners() {
        if !specs.iter().any(|s| s.port == listener.port) {
            specs.push(ListenerSpec {
                port: listener.port,
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, listener.port)),
            });
        }
    }
    for spec in overrides {
        if !snapshot
            .gateway_table()
            .listeners()
            .any(|l| l.port == spec.port)
        {
            tracing::warn!(
                port = spec.port,
                "--listen names a port no listener of the Gateway has; it answers 404 until one does"
            );
        }
    }
    specs
}

/// `TOKIO_WORKER_THREADS` when set to a positive number (the variable tokio's multi-threaded
/// runtime reads, which `kgw serve` used before it had worker threads of its own), else one
/// per core.
fn worker_threads() -> NonZeroUsize {
    std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .or_else(|| std::thread::available_parallelism().ok())
        .unwrap_or(NonZeroUsize::MIN)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

async fn serve(plan: Plan, snapshot: Snapshot, listeners: Vec<ListenerSpec>) -> u8 {
    let options = GatewayOptions {
        server: ServerOptions {
            worker_threads: Some(worker_threads()),
            ..ServerOptions::default()
        },
        secrets: plan.source.secrets.clone(),
        ..GatewayOptions::default()
    };
    let gateway = Gateway::new(snapshot, options);
    let bound = match gateway.bind(&listeners).await {
        Ok(bound) => bound,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
    };
    let metrics_listener = match plan.metrics {
        Some(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => Some(listener),
            Err(error) => {
                eprintln!("error: bind {addr} for --metrics: {error}");
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    // Machine-readable lines on standard output, so scripts learn the bound addresses
    // (`--listen 8080=127.0.0.1:0` picks a free port).
    {
        let mut out = std::io::stdout().lock();
        for (port, addr) in bound.local_addrs() {
            let _ = writeln!(out, "listening port={port} addr={addr}");
            tracing::info!(port, %addr, "listening");
        }
        if let Some(addr) = metrics_listener.as_ref().and_then(|l| l.local_addr().ok()) {
            let _ = writeln!(out, "metrics addr={addr}");
            tracing::info!(%addr, "metrics at /metrics");
        }
        let _ = out.flush();
    }

    let (stop_tx, stop_rx) = signal_channel::channel(false);
    let stopped = |mut rx: signal_channel::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let watcher = tokio::spawn(watch(
        gateway.clone(),
        plan.source,
        plan.interval,
        stopped(stop_rx.clone()),
    ));
    let metrics = metrics_listener.map(|listener| {
        tokio::spawn(kgw_proxy::metrics::serve_metrics(
            gateway.clone(),
            listener,
            stopped(stop_rx.clone()),
        ))
    });
    bound
        .serve(async move {
            shutdown_signal().await;
            tracing::info!("shutdown requested");
            let _ = stop_tx.send(true);
        })
        .await;
    let _ = watcher.await;
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    tracing::info!("stopped");
    EXIT_OK
}

/// Ctrl-C, or SIGTERM on Unix (what Kubernetes and service managers send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_specs_parse_and_bad_ones_explain_the_form() {
        let spec = parse_listen("8080=127.0.0.1:0").unwrap();
        assert_eq!(spec.port, 8080);
        assert_eq!(spec.addr, "127.0.0.1:0".parse().unwrap());
        let spec = parse_listen("443=[::1]:8443").unwrap();
        assert_eq!(spec.addr, "[::1]:8443".parse().unwrap());
        for bad in [
            "8080",
            "8080=localhost",
            "x=127.0.0.1:1",
            "70000=127.0.0.1:1",
        ] {
            let error = parse_listen(bad).unwrap_err();
            assert!(error.contains("PORT=ADDR:PORT"), "{bad}: {error}");
        }
    }
}
