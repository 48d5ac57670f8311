//! Reloading the routing snapshot when manifest files change: poll modification times, rebuild,
//! swap. A bad edit keeps the last good snapshot and logs why.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use kgw_api::ObjectKey;
use kgw_api::load::{LoadOptions, load_paths};
use kgw_validate::report::{Report, Severity};

use crate::gateway::Gateway;
use crate::secrets::SecretStore;
use crate::table::{Snapshot, SnapshotError};

/// Why files could not become a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The files did not load (syntax, unknown fields, unreadable paths).
    #[error("manifests did not load:\n{0}")]
    Load(String),
    /// Validation found errors and the reload policy refuses them.
    #[error("{count} validation error(s):\n{text}")]
    Invalid {
        /// Number of error diagnostics.
        count: usize,
        /// One line per error.
        text: String,
    },
    /// The snapshot could not be built.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

/// What to build and how strictly.
#[derive(Clone)]
pub struct SnapshotSource {
    /// Files and folders holding the manifests.
    pub paths: Vec<PathBuf>,
    /// The Gateway to serve.
    pub gateway: ObjectKey,
    /// Secret values for Backend TLS.
    pub secrets: Arc<dyn SecretStore>,
    /// How the manifests are read.
    pub load: LoadOptions,
    /// Validation options.
    pub validate: kgw_validate::Options,
    /// Refuse a configuration with error diagnostics (default `true`). When `false`, invalid
    /// parts answer 500 as they would in a cluster.
    pub reject_errors: bool,
}

impl std::fmt::Debug for SnapshotSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotSource")
            .field("paths", &self.paths)
            .field("gateway", &self.gateway)
            .field("reject_errors", &self.reject_errors)
            .finish_non_exhaustive()
    }
}

impl SnapshotSource {
    /// Serve `gateway` from the manifests under `paths`, refusing configurations with errors.
    pub fn new(paths: Vec<PathBuf>, gateway: ObjectKey, secrets: Arc<dyn SecretStore>) -> Self {
        Self {
            paths,
            gateway,
            secrets,
            load: LoadOptions::default(),
            validate: kgw_validate::Options::default(),
            reject_errors: true,
        }
    }

    /// Loads, validates (diagnostics are logged) and builds a snapshot.
    pub fn build(&self) -> Result<Snapshot, BuildError> {
        let resources = load_paths(&self.paths, &self.load)
            .map_err(|errors| BuildError::Load(errors.to_string()))?;
        let report = kgw_validate::validate(&resources, &self.validate);
        log_diagnostics(&report);
        let errors: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(describe)
            .collect();
        if self.reject_errors && !errors.is_empty() {
            return Err(BuildError::Invalid {
                count: errors.len(),
                text: errors.join("\n"),
            });
        }
        Ok(Snapshot::build(
            &resources,
            &report,
            &self.gateway,
            &*self.secrets,
        )?)
    }
}

fn describe(d: &kgw_validate::report::Diagnostic) -> String {
    let place = match (&d.file, d.line) {
        (Some(file), Some(line)) => format!("{file}:{line}: "),
        (Some(file), None) => format!("{file}: "),
        _ => String::new(),
    };
    format!("{place}{} [{}] {}", d.object, d.code, d.message)
}

fn log_diagnostics(report: &Report) {
    for d in &report.diagnostics {
        let text = describe(d);
        match d.severity {
            Severity::Error => tracing::error!("{text}"),
            Severity::Warning => tracing::warn!("{text}"),
            Severity::Info => tracing::info!("{text}"),
        }
    }
}

/// The newest modification time under `paths` and the number of files seen (so a deleted file
/// counts as a change even when no remaining file is newer).
fn fingerprint(paths: &[PathBuf]) -> (Option<SystemTime>, usize) {
    let mut newest = None;
    let mut count = 0;
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
            continue;
        }
        count += 1;
        if let Ok(modified) = meta.modified() {
            newest = newest.max(Some(modified));
        }
    }
    (newest, count)
}

/// Polls `source.paths` every `interval` and swaps a rebuilt snapshot into `gateway` after each
/// change, until `shutdown` completes. A change that fails to build is logged (with its
/// diagnostics) and counted in `reloads_rejected`; the last good snapshot stays.
pub async fn watch(
    gateway: Gateway,
    source: SnapshotSource,
    interval: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut seen = fingerprint(&source.paths);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = ticker.tick() => {}
        }
        let now = fingerprint(&source.paths);
        if now == seen {
            continue;
        }
        seen = now;
        let builder = source.clone();
        let built = tokio::task::spawn_blocking(move || builder.build()).await;
        match built {
            Ok(Ok(snapshot)) => {
                gateway.swap_table(snapshot);
                tracing::info!("routing table reloaded");
            }
            Ok(Err(error)) => {
                gateway
                    .counters()
                    .reloads_rejected
                    .fetch_add(1, Ordering::Relaxed);
                tracing::error!("reload rejected; keeping the last good table: {error}");
            }
            Err(join) => {
                gateway
                    .counters()
                    .reloads_rejected
                    .fetch_add(1, Ordering::Relaxed);
                tracing::error!("reload failed: {join}");
            }
        }
    }
}
