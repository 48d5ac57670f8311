//! The control loop: watch → snapshot → validate → write status, until the watch stream ends.

use futures::StreamExt;
use kgw_api::Resources;
use kgw_validate::report::Report;
use kube::Client;

use crate::snapshot::{Snapshot, SnapshotConfig};
use crate::writer::{StatusWriter, WriteSummary};

/// What the loop is and how it watches.
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// Our `controllerName`, as GatewayClasses name it (`kgw.dev/gateway-controller`).
    pub controller_name: String,
    /// The server-side-apply field manager of status writes.
    pub field_manager: String,
    /// Watch and debounce settings.
    pub snapshot: SnapshotConfig,
}

/// Runs the loop: after each settled change, rebuilds [`Resources`], computes a report with
/// `validate` and writes the statuses that differ. `on_round` sees every round's outcome (for
/// logs or metrics). Watch errors are logged and retried by the watchers; failed patches are
/// retried at the next change because their status still differs.
pub async fn run<V, R>(client: Client, config: ControllerConfig, mut validate: V, mut on_round: R)
where
    V: FnMut(&Resources) -> Report,
    R: FnMut(&Resources, &Report, &WriteSummary),
{
    let (snapshot, mut changes) = Snapshot::start(&client, &config.snapshot);
    let writer = StatusWriter::new(client, config.controller_name, config.field_manager);
    while let Some(change) = changes.next().await {
        if let Err(error) = change {
            tracing::warn!(%error, "watch error; the watcher retries");
            continue;
        }
        let resources = snapshot.resources();
        let report = validate(&resources);
        let summary = writer.write(&resources, &report).await;
        for failure in &summary.failed {
            tracing::warn!(error = %failure, "status patch failed");
        }
        on_round(&resources, &report, &summary);
    }
}
